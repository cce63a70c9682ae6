import Foundation

/// The `format` values Hangar can assert. Formats are annotations unless
/// `JSONSchema.Options.assertFormats` is set (or the meta-schema enables format-assertion);
/// unknown formats are always ignored.
enum SchemaFormat: String, Sendable, CaseIterable {
    case dateTime = "date-time", date, time, duration
    case email, idnEmail = "idn-email", hostname, idnHostname = "idn-hostname"
    case ipv4, ipv6, uri, uriReference = "uri-reference", iri, iriReference = "iri-reference"
    case uriTemplate = "uri-template", uuid, jsonPointer = "json-pointer"
    case relativeJSONPointer = "relative-json-pointer", regex

    /// Whether `text` is a valid instance of the format.
    func accepts(_ text: String) -> Bool {
        switch self {
        case .dateTime: return Self.isDateTime(text)
        case .date: return Self.isDate(Substring(text))
        case .time: return Self.isTime(Substring(text))
        case .duration: return Self.isDuration(text)
        case .email, .idnEmail: return Self.isEmail(text, international: self == .idnEmail)
        case .hostname: return Self.isHostname(text)
        case .idnHostname: return Self.isHostname(text, international: true)
        case .ipv4: return Self.isIPv4(Substring(text))
        case .ipv6: return Self.isIPv6(text)
        case .uri: return Self.isURI(text, requireScheme: true, international: false)
        case .uriReference: return Self.isURI(text, requireScheme: false, international: false)
        case .iri: return Self.isURI(text, requireScheme: true, international: true)
        case .iriReference: return Self.isURI(text, requireScheme: false, international: true)
        case .uriTemplate: return Self.isURITemplate(text)
        case .uuid: return Self.isUUID(text)
        case .jsonPointer: return Self.isJSONPointer(Substring(text))
        case .relativeJSONPointer: return Self.isRelativeJSONPointer(text)
        case .regex: return SchemaPattern.compile(text) != nil
        }
    }

    private static func digits(_ s: Substring, count: Int) -> Int? {
        guard s.count == count, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(s)
    }

    static func isDate(_ s: Substring) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let y = digits(parts[0], count: 4), let m = digits(parts[1], count: 2),
              let d = digits(parts[2], count: 2), (1...12).contains(m), d >= 1
        else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }

    static func isTime(_ s: Substring) -> Bool {
        // hh:mm:ss[.frac](Z|±hh:mm), leap second 60 only at 23:59 UTC.
        let chars = Array(s)
        guard chars.count >= 9, chars[2] == ":", chars[5] == ":" else { return false }
        guard let h = digits(Substring(String(chars[0..<2])), count: 2),
              let m = digits(Substring(String(chars[3..<5])), count: 2),
              let sec = digits(Substring(String(chars[6..<8])), count: 2)
        else { return false }
        var i = 8
        if i < chars.count, chars[i] == "." {
            i += 1
            let start = i
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
            if i == start { return false }
        }
        guard i < chars.count else { return false }
        var offsetMinutes = 0
        if chars[i] == "Z" || chars[i] == "z" {
            i += 1
        } else if chars[i] == "+" || chars[i] == "-" {
            let sign = chars[i] == "+" ? 1 : -1
            guard chars.count - i == 6, chars[i + 3] == ":",
                  let oh = digits(Substring(String(chars[(i + 1)..<(i + 3)])), count: 2),
                  let om = digits(Substring(String(chars[(i + 4)..<(i + 6)])), count: 2),
                  oh <= 23, om <= 59
            else { return false }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return false
        }
        guard i == chars.count, h <= 23, m <= 59, sec <= 60 else { return false }
        if sec == 60 {
            var utc = (h * 60 + m - offsetMinutes) % (24 * 60)
            if utc < 0 { utc += 24 * 60 }
            return utc == 23 * 60 + 59
        }
        return true
    }

    static func isDateTime(_ s: String) -> Bool {
        guard let t = s.firstIndex(where: { $0 == "T" || $0 == "t" }) else { return false }
        return isDate(s[..<t]) && isTime(s[s.index(after: t)...])
    }

    static func isDuration(_ s: String) -> Bool {
        // ISO 8601 / RFC 3339 appendix A: P[nY][nM][nD][T[nH][nM][nS]] or PnW.
        var chars = Substring(s)
        guard chars.popFirst() == "P", !chars.isEmpty else { return false }
        if chars.last == "W" {
            let n = chars.dropLast()
            return !n.isEmpty && n.allSatisfy { $0.isASCII && $0.isNumber }
        }
        // Units appear in order and without gaps: Y, YM, YMD, M, MD, D (and H, HM, HMS, M, MS, S).
        func units(_ part: Substring, _ order: [Character]) -> Bool {
            var rest = part
            var previous: Int?
            while !rest.isEmpty {
                let number = rest.prefix { $0.isASCII && $0.isNumber }
                guard !number.isEmpty else { return false }
                rest = rest.dropFirst(number.count)
                guard let unit = rest.popFirst(), let position = order.firstIndex(of: unit) else { return false }
                if let previous, position != previous + 1 { return false }
                previous = position
            }
            return previous != nil
        }
        let split = chars.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        if split.count == 2 {
            guard split[0].isEmpty || units(split[0], ["Y", "M", "D"]) else { return false }
            return units(split[1], ["H", "M", "S"])
        }
        return units(chars, ["Y", "M", "D"])
    }

    static func isEmail(_ s: String, international: Bool) -> Bool {
        guard let at = s.lastIndex(of: "@") else { return false }
        let local = s[..<at]
        let domain = s[s.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty else { return false }
        if local.hasPrefix("\"") && local.hasSuffix("\"") && local.count >= 2 {
            // quoted local part: anything printable
        } else {
            let allowed = Set("!#$%&'*+-/=?^_`{|}~.")
            guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
            for c in local where !((c.isASCII && (c.isLetter || c.isNumber)) || allowed.contains(c) || (international && !c.isASCII)) {
                return false
            }
        }
        if domain.hasPrefix("[") && domain.hasSuffix("]") {
            let literal = domain.dropFirst().dropLast()
            if literal.hasPrefix("IPv6:") { return isIPv6(String(literal.dropFirst(5))) }
            return isIPv4(literal)
        }
        return isHostname(String(domain), international: international)
    }

    static func isHostname(_ s: String, international: Bool = false) -> Bool {
        let name = Substring(s)
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
            for c in label where !(c == "-" || (c.isASCII && (c.isLetter || c.isNumber)) || (international && !c.isASCII && (c.isLetter || c.isNumber))) {
                return false
            }
            let lower = label.lowercased()
            if lower.count >= 4, Array(lower)[2] == "-", Array(lower)[3] == "-", !lower.hasPrefix("xn--") { return false }
        }
        return true
    }

    static func isIPv4(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p), v <= 255 else { return false }
            if p.count > 1 && p.hasPrefix("0") { return false }
        }
        return true
    }

    static func isIPv6(_ s: String) -> Bool {
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII }) else { return false }
        var text = Substring(s)
        var groupsNeeded = 8
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(text[text.index(after: lastColon)...]) else { return false }
            text = text[...lastColon]
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
            groupsNeeded = 6
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ part: String) -> Int? {
            if part.isEmpty { return 0 }
            let gs = part.split(separator: ":", omittingEmptySubsequences: false)
            for g in gs where g.isEmpty || g.count > 4 || !g.allSatisfy(\.isHexDigit) { return nil }
            return gs.count
        }
        if halves.count == 2 {
            guard let a = groups(halves[0]), let b = groups(halves[1]) else { return false }
            return a + b < groupsNeeded
        }
        guard let n = groups(halves[0]) else { return false }
        return n == groupsNeeded
    }

    static func isURI(_ s: String, requireScheme: Bool, international: Bool) -> Bool {
        let unreserved = Set("-._~:/?#[]@!$&'()*+,;=%")
        for c in s {
            if c.isASCII {
                if !(c.isLetter || c.isNumber || unreserved.contains(c)) { return false }
            } else if !international {
                return false
            }
        }
        // Percent escapes must be complete.
        let utf8 = Array(s.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%") {
                guard i + 2 < utf8.count, Character(UnicodeScalar(utf8[i + 1])).isHexDigit,
                      Character(UnicodeScalar(utf8[i + 2])).isHexDigit
                else { return false }
                i += 3
            } else { i += 1 }
        }
        let parts = SchemaURI.parse(s)
        if requireScheme && parts.scheme == nil { return false }
        if parts.scheme == nil, let colon = s.firstIndex(of: ":"),
           !s[..<colon].contains("/"), !s[..<colon].contains("?"), !s[..<colon].contains("#")
        {
            return false  // a relative reference's first segment cannot contain ':'
        }
        if let authority = parts.authority {
            var host = authority
            if let at = host.firstIndex(of: "@") {
                let userinfo = host[..<at]
                host = host[host.index(after: at)...]
                if userinfo.contains("[") || userinfo.contains("]") || host.contains("@") { return false }
            }
            if host.hasPrefix("[") {
                guard let close = host.firstIndex(of: "]") else { return false }
                let literal = host[host.index(after: host.startIndex)..<close]
                if !literal.hasPrefix("v") && !literal.hasPrefix("V") && !isIPv6(String(literal)) { return false }
                host = host[host.index(after: close)...]
                if !host.isEmpty && !host.hasPrefix(":") { return false }
            } else if host.contains("[") || host.contains("]") {
                return false
            }
            if let colon = host.firstIndex(of: ":"), !host.hasPrefix("[") {
                // One port, digits only (an unbracketed IPv6 address fails here).
                guard host[host.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            }
        }
        if parts.path.contains("[") || parts.path.contains("]") { return false }
        if let fragment = parts.fragment, fragment.contains("#") { return false }
        return true
    }

    /// RFC 6570: literals, and `{[op]varspec,...}` with varspec = name[:1-9999 | *].
    static func isURITemplate(_ s: String) -> Bool {
        var rest = Substring(s)
        while let c = rest.first {
            if c == "{" {
                guard let close = rest.firstIndex(of: "}") else { return false }
                var expression = rest[rest.index(after: rest.startIndex)..<close]
                if let op = expression.first, "+#./;?&=,!@|".contains(op) { expression = expression.dropFirst() }
                for spec in expression.split(separator: ",", omittingEmptySubsequences: false) {
                    guard isVarspec(spec) else { return false }
                }
                rest = rest[rest.index(after: close)...]
            } else {
                let scalar = c.unicodeScalars.first!.value
                if c == "}" || scalar <= 0x20 || scalar == 0x7F || "\"<>\\^`|".contains(c) { return false }
                rest = rest.dropFirst()
            }
        }
        return true
    }

    private static func isVarspec(_ spec: Substring) -> Bool {
        var name = spec
        if name.hasSuffix("*") {
            name = name.dropLast()
        } else if let colon = name.firstIndex(of: ":") {
            let length = name[name.index(after: colon)...]
            guard (1...4).contains(length.count), !length.hasPrefix("0"), length.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            name = name[..<colon]
        }
        guard !name.isEmpty, !name.hasPrefix("."), !name.hasSuffix("."), !name.contains("..") else { return false }
        var chars = Array(name.utf8)[...]
        while let b = chars.popFirst() {
            if b == UInt8(ascii: "%") {
                guard chars.count >= 2, chars.prefix(2).allSatisfy({ Character(UnicodeScalar($0)).isHexDigit }) else { return false }
                chars = chars.dropFirst(2)
            } else if !(b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || (b < 0x80 && Character(UnicodeScalar(b)).isLetter)
                        || (b < 0x80 && Character(UnicodeScalar(b)).isNumber)) {
                return false
            }
        }
        return true
    }

    static func isUUID(_ s: String) -> Bool {
        let chars = Array(s)
        guard chars.count == 36 else { return false }
        for (i, c) in chars.enumerated() {
            if [8, 13, 18, 23].contains(i) { if c != "-" { return false } } else if !c.isHexDigit { return false }
        }
        return true
    }

    static func isJSONPointer(_ s: Substring) -> Bool {
        guard s.isEmpty || s.hasPrefix("/") else { return false }
        var chars = s.makeIterator()
        while let c = chars.next() {
            if c == "~" {
                guard let n = chars.next(), n == "0" || n == "1" else { return false }
            }
        }
        return true
    }

    static func isRelativeJSONPointer(_ s: String) -> Bool {
        let number = s.prefix { $0.isASCII && $0.isNumber }
        guard !number.isEmpty, number == "0" || !number.hasPrefix("0") else { return false }
        let rest = s.dropFirst(number.count)
        return rest == "#" || isJSONPointer(rest)
    }
}
