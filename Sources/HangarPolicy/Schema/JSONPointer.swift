/// JSON Pointer (RFC 6901) helpers.
enum JSONPointer {
    static func escape(_ token: String) -> String {
        // Byte checks: `String.contains(String)` goes through Foundation and is slow.
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingTildesAndSlashes()
    }

    static func unescape(_ token: Substring) -> String {
        guard token.utf8.contains(UInt8(ascii: "~")) else { return String(token) }
        var out = ""
        var it = token.makeIterator()
        while let c = it.next() {
            if c == "~" {
                switch it.next() {
                case "0": out.append("~")
                case "1": out.append("/")
                case let other?: out.append("~"); out.append(other)
                case nil: out.append("~")
                }
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// The unescaped tokens of a pointer (`""` has none).
    static func tokens(_ pointer: String) -> [String] {
        guard !pointer.isEmpty else { return [] }
        return pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(unescape)
    }
}

extension String {
    fileprivate func replacingTildesAndSlashes() -> String {
        var out = ""
        for c in self {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }
}
