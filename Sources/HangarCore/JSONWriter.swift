/// Writes compact JSON. The output never contains a raw newline, so it is safe for
/// newline-delimited framing.
public enum JSONWriter {
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The length of `bytes(value)`, counted without writing anything.
    public static func byteCount(_ value: JSONValue) -> Int {
        switch value {
        case .null: return 4
        case .bool(let b): return b ? 4 : 5
        case .int(let i): return digitCount(i)
        case .double(let d):
            guard d.isFinite else { return 4 }
            return d.rounded() == d && abs(d) < 1e15 ? digitCount(Int64(d)) : d.description.utf8.count
        case .string(let s): return stringByteCount(s)
        case .array(let a):
            var total = 2 + max(0, a.count - 1)
            for element in a { total += byteCount(element) }
            return total
        case .object(let o):
            var total = 2 + max(0, o.count - 1) + o.count  // braces, commas, colons
            o.keys.elements.withUnsafeBufferPointer { keys in
                o.values.elements.withUnsafeBufferPointer { values in
                    for i in keys.indices { total += stringByteCount(keys[i]) + byteCount(values[i]) }
                }
            }
            return total
        }
    }

    private static func digitCount(_ value: Int64) -> Int {
        var magnitude = value.magnitude
        var count = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    /// The quoted, escaped length of `s`, as `writeString` writes it.
    private static func stringByteCount(_ s: String) -> Int {
        func count(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
            var total = 2 + utf8.count
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
                switch b {
                case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: total += 1
                default: total += 5
                }
            }
            return total
        }
        if let total = s.utf8.withContiguousStorageIfAvailable(count) { return total }
        var s = s
        return s.withUTF8(count)
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        write(value, into: &out, sortingKeys: false)
    }

    /// `value` with every object's members in key order: the same bytes for equal values
    /// whatever order their keys came in (a canonical form to hash).
    public static func sortedBytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out, sortingKeys: true)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8], sortingKeys: Bool) {
        switch value {
        case .null: append("null", &out)
        case .bool(let b): append(b ? "true" : "false", &out)
        case .int(let i): writeInt(i, into: &out)
        case .double(let d):
            if d.isFinite {
                if d.rounded() == d, abs(d) < 1e15 {
                    writeInt(Int64(d), into: &out)
                } else {
                    out.append(contentsOf: d.description.utf8)
                }
            } else {
                append("null", &out)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(element, into: &out, sortingKeys: sortingKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            // Walking the key and value storage directly avoids copying each member out.
            o.keys.elements.withUnsafeBufferPointer { keys in
                o.values.elements.withUnsafeBufferPointer { values in
                    func member(_ i: Int, first: Bool) {
                        if !first { out.append(UInt8(ascii: ",")) }
                        writeString(keys[i], into: &out)
                        out.append(UInt8(ascii: ":"))
                        write(values[i], into: &out, sortingKeys: sortingKeys)
                    }
                    if sortingKeys, keys.count > 1 {
                        for (n, i) in keys.indices.sorted(by: { keys[$0] < keys[$1] }).enumerated() { member(i, first: n == 0) }
                    } else {
                        for i in keys.indices { member(i, first: i == 0) }
                    }
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    private static func append(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func writeInt(_ value: Int64, into out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits are written right to left into a stack buffer: no String is made.
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = digits.count
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                i -= 1
                digits[i] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Native strings expose their UTF-8 without a copy; others are made native first.
        if s.utf8.withContiguousStorageIfAvailable({ writeEscaped($0, into: &out) }) == nil {
            var s = s
            s.withUTF8 { writeEscaped($0, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var runStart = 0
        for i in 0..<utf8.count {
            let b = utf8[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C { continue }
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            runStart = i + 1
            out.append(UInt8(ascii: "\\"))
            switch b {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0xF))
            }
        }
        if runStart < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
    }
}
