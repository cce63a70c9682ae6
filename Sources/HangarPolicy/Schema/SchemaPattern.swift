import Foundation
import Synchronization

/// A compiled `pattern` (ECMA-262 flavoured, run on ICU via `NSRegularExpression`). `\d`, `\w`
/// and `$` are rewritten to their ECMA meaning (ASCII digits/word characters, end of input).
/// Compiled patterns are shared process-wide, so a pattern is compiled once however many
/// schemas use it.
final class SchemaPattern: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after creation and documented thread-safe
    // for matching; `source` is a constant.
    let source: String
    private let regex: NSRegularExpression

    private init(source: String, regex: NSRegularExpression) {
        self.source = source
        self.regex = regex
    }

    /// True when the pattern matches anywhere in `text` (patterns are not implicitly anchored).
    func matches(_ text: String) -> Bool {
        let length = text.utf16.count
        return regex.firstMatch(in: text, options: [], range: NSRange(location: 0, length: length)) != nil
    }

    private static let cache = Mutex<[String: SchemaPattern]>([:])
    private static let cacheLimit = 1024

    /// The compiled pattern, or nil when `source` is not a valid regular expression.
    static func compile(_ source: String) -> SchemaPattern? {
        if let hit = cache.withLock({ $0[source] }) { return hit }
        guard let translated = ecmaToICU(source),
              let regex = try? NSRegularExpression(pattern: translated, options: [])
        else { return nil }
        let pattern = SchemaPattern(source: source, regex: regex)
        cache.withLock { cache in
            if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[source] = pattern
        }
        return pattern
    }

    /// Rewrites the ECMA-262 constructs whose ICU meaning differs; nil for syntax ECMA-262
    /// rejects but ICU would accept (inline flags and comments, `\a`).
    static func ecmaToICU(_ source: String) -> String? {
        var out = ""
        out.reserveCapacity(source.utf8.count + 8)
        var inClass = false
        var chars = source.makeIterator()
        while let c = chars.next() {
            switch c {
            case "\\":
                guard let e = chars.next() else { out.append("\\"); break }
                switch e {
                case "d": out += inClass ? "0-9" : "[0-9]"
                case "D": out += inClass ? "\\D" : "[^0-9]"
                case "w": out += inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]"
                case "W": out += inClass ? "\\W" : "[^a-zA-Z0-9_]"
                // ECMA's \s also matches U+FEFF.
                case "s": out += inClass ? "\\s\\uFEFF" : "[\\s\\uFEFF]"
                case "S": out += inClass ? "\\S" : "[^\\s\\uFEFF]"
                case "a": return nil
                default: out.append("\\"); out.append(e)
                }
            case "(" where !inClass:
                out.append(c)
                // `(?` may only start a group kind ECMA-262 has: (?: (?= (?! (?<= (?<! (?<name>.
                var lookahead = chars
                if lookahead.next() == "?" {
                    let kind = lookahead.next()
                    guard kind == ":" || kind == "=" || kind == "!" || kind == "<" else { return nil }
                }
            case "[" where !inClass:
                // ECMA's `[]` matches nothing and `[^]` anything; in ICU `]` there would be a literal.
                var lookahead = chars
                let first = lookahead.next()
                if first == "]" {
                    out += "(?!)"
                    chars = lookahead
                    continue
                }
                if first == "^", lookahead.next() == "]" {
                    out += "[\\s\\S]"
                    chars = lookahead
                    continue
                }
                inClass = true
                out.append(c)
            case "]" where inClass:
                inClass = false
                out.append(c)
            case "$" where !inClass:
                out += "\\z"
            default:
                out.append(c)
            }
        }
        return out
    }
}
