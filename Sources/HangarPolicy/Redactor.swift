import HangarCore

/// Replaces every known secret value with `[redacted:NAME]` in text and JSON, so a secret an
/// upstream echoes back, or one that ends up in an error or log line, is never shown.
/// Values shorter than 4 characters are not redacted (they would mangle ordinary text).
public struct Redactor: Sendable {
    private let secrets: [(name: String, value: String)]

    public init(secrets: [String: String]) {
        // Longest first, so a secret that contains another is replaced whole.
        self.secrets = secrets.filter { $0.value.count >= 4 }.map { (name: $0.key, value: $0.value) }
            .sorted { $0.value.utf8.count > $1.value.utf8.count }
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// Whether a string or key in this JSON text could hold a secret, without parsing it: true
    /// when a secret's bytes appear in the text, when the text has a `\u` escape (which can
    /// spell any character), or when a secret has a character JSON may escape otherwise (`"`,
    /// `\`, `/`, a control character). False means `redact` of the parsed text changes nothing.
    public func mayAppear(inJSON text: [UInt8]) -> Bool {
        guard !secrets.isEmpty else { return false }
        if secrets.contains(where: { $0.value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x2F }) }) {
            return true
        }
        return text.withUnsafeBufferPointer { buffer in
            if Self.find(Array("\\u".utf8), in: buffer) { return true }
            return secrets.contains { Self.find(Array($0.value.utf8), in: buffer) }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, needle.indices.allSatisfy({ haystack[i + $0] == needle[$0] }) { return true }
            i += 1
        }
        return false
    }

    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var out = text
        for s in secrets where out.contains(s.value) {
            out = out.replacingAll(s.value, with: "[redacted:\(s.name)]")
        }
        return out
    }

    /// The value with every string (and object key) redacted; nil when nothing changed, so the
    /// common case allocates nothing.
    public func redact(_ value: JSONValue) -> JSONValue? {
        guard !secrets.isEmpty else { return nil }
        switch value {
        case .string(let s):
            let r = redact(s)
            return r == s ? nil : .string(r)
        case .array(let items):
            var changed = false
            var copy = items
            for i in items.indices {
                if let r = redact(items[i]) { copy[i] = r; changed = true }
            }
            return changed ? .array(copy) : nil
        case .object(let o):
            var changed = false
            var copy = JSONObject()
            copy.reserveCapacity(o.count)
            for (k, v) in o {
                let key = redact(k)
                if key != k { changed = true }
                if let r = redact(v) { copy[key] = r; changed = true } else { copy[key] = v }
            }
            return changed ? .object(copy) : nil
        default:
            return nil
        }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

/// `${secret:NAME}` references in server env values and headers, resolved only when a server
/// is launched or a request is sent.
public enum SecretReference {
    /// The names referenced in `text`.
    public static func names(in text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "${secret:") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            names.append(String(rest[start.upperBound..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return names
    }

    /// `text` with each reference replaced by the secret's value; an unknown name is an error
    /// that names it (never a value).
    public static func resolve(_ text: String, lookup: (String) -> String?) throws(PolicyError) -> String {
        guard text.contains("${secret:") else { return text }
        var result = ""
        var rest = text[...]
        while let start = rest.range(of: "${secret:") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            let name = String(rest[start.upperBound..<end])
            guard let value = lookup(name) else {
                throw PolicyError(.secretUnavailable, "secret \(name) is not set; add it with `hangar secrets set \(name)`")
            }
            result += rest[..<start.lowerBound]
            result += value
            rest = rest[rest.index(after: end)...]
        }
        result += rest
        return result
    }
}
