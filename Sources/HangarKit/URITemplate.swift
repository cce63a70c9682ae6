/// A URI template of simple `{name}` expressions (RFC 6570 level 1), matched against URIs.
/// A variable matches one or more characters up to the next literal part, never a `/`.
struct URITemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal(String)
        case variable(String)
    }

    let parts: [Part]

    init(_ template: String) {
        var parts: [Part] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            parts.append(.variable(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    /// The variables of `uri`, or `nil` when it is not of this template's form.
    func match(_ uri: String) -> [String: String]? {
        var variables: [String: String] = [:]
        var rest = Substring(uri)
        var index = 0
        while index < parts.count {
            switch parts[index] {
            case .literal(let literal):
                guard rest.hasPrefix(literal) else { return nil }
                rest = rest.dropFirst(literal.count)
            case .variable(let name):
                var end = rest.firstIndex(of: "/") ?? rest.endIndex
                if index + 1 < parts.count, case .literal(let next) = parts[index + 1],
                   let found = rest.firstRange(of: next), found.lowerBound < end {
                    end = found.lowerBound
                }
                guard end > rest.startIndex else { return nil }
                variables[name] = String(rest[..<end])
                rest = rest[end...]
            }
            index += 1
        }
        return rest.isEmpty ? variables : nil
    }
}
