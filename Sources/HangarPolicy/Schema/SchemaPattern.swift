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
        guard let regex = try? NSRegularExpression(pattern: ecmaToICU(source), options: []) else { return nil }
        let pattern = SchemaPattern(source: source, regex: regex)
        cache.withLock { cache in
            if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[source] = pattern
        }
        return pattern
    }

    /// Rewrites the ECMA-262 constructs whose ICU meaning differs.
    static func ecmaToICU(_ source: String) -> String {
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
                default: out.append("\\"); out.append(e)
                }
            case "[" where !inClass:
                inClass = true
                out.append(c)
                // A `]` right after `[` or `[^` is a literal in ICU but ends an empty class in ECMA.
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
