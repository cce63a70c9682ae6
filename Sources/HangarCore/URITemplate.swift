/// Enough of RFC 6570 to match URIs against resource templates and read their variables:
/// `{var}` matches one path segment (no `/`), `{+var}` and `{#var}` match anything,
/// `{?a,b}` and `{&a}` match an optional query.
public struct URITemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal(String)
        case segment(String)
        case anything(String)
        case query([String])
    }

    let parts: [Part]

    public init(_ template: String) {
        var parts: [Part] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            let expression = rest[rest.index(after: open)..<close]
            switch expression.first {
            case "+", "#": parts.append(.anything(String(expression.dropFirst())))
            case "?", "&": parts.append(.query(expression.dropFirst().split(separator: ",").map(String.init)))
            default: parts.append(.segment(String(expression)))
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    /// Whether `uri` is of this template's form.
    public func matches(_ uri: String) -> Bool { match(uri) != nil }

    /// The variables of `uri`, or nil when it is not of this template's form.
    public func match(_ uri: String) -> [String: String]? {
        var variables: [String: String] = [:]
        return Self.match(parts[...], Substring(uri), &variables) ? variables : nil
    }

    private static func match(_ parts: ArraySlice<Part>, _ s: Substring, _ variables: inout [String: String]) -> Bool {
        guard let part = parts.first else { return s.isEmpty }
        let rest = parts.dropFirst()
        switch part {
        case .literal(let literal):
            return s.hasPrefix(literal) && match(rest, s.dropFirst(literal.count), &variables)
        case .segment(let name), .anything(let name):
            let crossesSlash: Bool
            if case .anything = part { crossesSlash = true } else { crossesSlash = false }
            var end = s.startIndex
            while end < s.endIndex {
                if !crossesSlash, s[end] == "/" || s[end] == "?" { break }
                end = s.index(after: end)
                var attempt = variables
                attempt[name] = String(s[s.startIndex..<end])
                if match(rest, s[end...], &attempt) {
                    variables = attempt
                    return true
                }
            }
            return false
        case .query(let names):
            guard !s.isEmpty else { return match(rest, s, &variables) }
            guard s.first == "?" || s.first == "&" else { return false }
            for pair in s.dropFirst().split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if let key = kv.first, names.contains(String(key)) { variables[String(key)] = kv.count > 1 ? String(kv[1]) : "" }
            }
            return rest.isEmpty
        }
    }
}
