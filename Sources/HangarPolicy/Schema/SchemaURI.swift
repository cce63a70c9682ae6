/// RFC 3986 reference resolution, enough for `$id`/`$ref`: schemes, authorities, paths with
/// dot segments, queries, fragments, and URNs. No normalisation beyond what RFC 3986 §5.2 does.
enum SchemaURI {
    struct Parts {
        var scheme: Substring?
        var authority: Substring?
        var path: Substring
        var query: Substring?
        var fragment: Substring?

        var text: String {
            var out = ""
            if let scheme { out += scheme; out += ":" }
            if let authority { out += "//"; out += authority }
            out += path
            if let query { out += "?"; out += query }
            if let fragment { out += "#"; out += fragment }
            return out
        }
    }

    static func parse(_ uri: String) -> Parts {
        var rest = Substring(uri)
        var parts = Parts(path: "")
        if let hash = rest.firstIndex(of: "#") {
            parts.fragment = rest[rest.index(after: hash)...]
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            parts.query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        if let colon = rest.firstIndex(of: ":") {
            let candidate = rest[..<colon]
            if let first = candidate.first, first.isASCII, first.isLetter,
               candidate.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }),
               !candidate.contains("/")
            {
                parts.scheme = candidate
                rest = rest[rest.index(after: colon)...]
            }
        }
        if rest.hasPrefix("//") {
            let afterSlashes = rest.index(rest.startIndex, offsetBy: 2)
            let end = rest[afterSlashes...].firstIndex(of: "/") ?? rest.endIndex
            parts.authority = rest[afterSlashes..<end]
            rest = rest[end...]
        }
        parts.path = rest
        return parts
    }

    /// `reference` resolved against `base` (RFC 3986 §5.2.2).
    static func resolve(_ reference: String, against base: String) -> String {
        let r = parse(reference)
        if r.scheme != nil {
            var t = r
            t.path = Substring(removeDotSegments(r.path))
            return t.text
        }
        let b = parse(base)
        var t = Parts(scheme: b.scheme, path: "", fragment: r.fragment)
        if r.authority != nil {
            t.authority = r.authority
            t.path = Substring(removeDotSegments(r.path))
            t.query = r.query
        } else {
            t.authority = b.authority
            if r.path.isEmpty {
                t.path = b.path
                t.query = r.query ?? b.query
            } else {
                if r.path.hasPrefix("/") {
                    t.path = Substring(removeDotSegments(r.path))
                } else {
                    let merged: String
                    if b.authority != nil && b.path.isEmpty {
                        merged = "/" + r.path
                    } else if let slash = b.path.lastIndex(of: "/") {
                        merged = String(b.path[...slash]) + r.path
                    } else {
                        merged = String(r.path)
                    }
                    t.path = Substring(removeDotSegments(Substring(merged)))
                }
                t.query = r.query
            }
        }
        return t.text
    }

    static func removeDotSegments(_ path: Substring) -> String {
        guard path.contains(".") else { return String(path) }
        var input = String(path)
        var out = ""
        while !input.isEmpty {
            if input.hasPrefix("../") {
                input.removeFirst(3)
            } else if input.hasPrefix("./") {
                input.removeFirst(2)
            } else if input.hasPrefix("/./") {
                input.removeFirst(2)
            } else if input == "/." {
                input = "/"
            } else if input.hasPrefix("/../") {
                input.removeFirst(3)
                if let slash = out.lastIndex(of: "/") { out.removeSubrange(slash...) } else { out = "" }
            } else if input == "/.." {
                input = "/"
                if let slash = out.lastIndex(of: "/") { out.removeSubrange(slash...) } else { out = "" }
            } else if input == "." || input == ".." {
                input = ""
            } else {
                let start = input.startIndex
                let searchFrom = input.hasPrefix("/") ? input.index(after: start) : start
                let end = input[searchFrom...].firstIndex(of: "/") ?? input.endIndex
                out += input[start..<end]
                input.removeSubrange(start..<end)
            }
        }
        return out
    }

    /// The URI with its fragment removed, and the fragment (nil when there is none).
    static func split(_ uri: String) -> (String, String?) {
        guard let hash = uri.firstIndex(of: "#") else { return (uri, nil) }
        return (String(uri[..<hash]), String(uri[uri.index(after: hash)...]))
    }

    static func withoutFragment(_ uri: String) -> String { split(uri).0 }

    /// Percent-decodes a fragment (a JSON Pointer in a URI may escape `%25`, `%22`, ...).
    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "%"), utf8.count >= 2,
               let hi = hexValue(utf8[utf8.startIndex]), let lo = hexValue(utf8[utf8.startIndex + 1])
            {
                bytes.append(hi << 4 | lo)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
