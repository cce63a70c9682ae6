/// The spec's encoding of values mirrored into HTTP headers (`Mcp-Name`, `Mcp-Param-*`): plain
/// when the value is visible ASCII without edge spaces, else `=?base64?...?=` of its UTF-8.
public enum HeaderValue {
    public static func encode(_ value: String) -> String {
        let plain = value.utf8.allSatisfy { (0x20...0x7E).contains($0) }
            && value.first != " " && value.last != " "
            && !isSentinel(value)
        return plain ? value : "=?base64?" + Base64.encode(Array(value.utf8)) + "?="
    }

    /// The value a header carries, or nil when its base64 form is broken.
    public static func decode(_ header: String) -> String? {
        guard isSentinel(header) else { return header }
        guard let bytes = Base64.decode(header.dropFirst(9).dropLast(2)) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func isSentinel(_ value: String) -> Bool {
        value.hasPrefix("=?base64?") && value.hasSuffix("?=") && value.count >= 11
    }
}

/// Standard base64 (RFC 4648, with padding).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0xF) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes, or nil when the text is not base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        var padding = false
        for c in text.utf8 {
            if c == UInt8(ascii: "=") { padding = true; continue }
            let v = values[Int(c)]
            if v == 255 || padding { return nil }
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}
