/// One 512-byte tar header block (ustar, GNU and old-style), decoded field by field.
struct TarHeader {
    static let blockSize = 512

    let block: ArraySlice<UInt8>

    /// True when `bytes` starts with a header carrying the ustar (POSIX) or GNU magic.
    static func hasUstarMagic(_ bytes: ArraySlice<UInt8>) -> Bool {
        let start = bytes.startIndex
        guard bytes.count >= 263 else { return false }
        return Array(bytes[(start + 257)..<(start + 262)]) == Array("ustar".utf8)
    }

    var isZero: Bool { block.allSatisfy { $0 == 0 } }

    var typeFlag: UInt8 { block[block.startIndex + 156] }

    /// The path from the name field, joined to the ustar prefix field when there is one.
    var name: [UInt8] {
        let own = field(0, 100)
        guard Self.hasUstarMagic(block), block[block.startIndex + 263] == UInt8(ascii: "0") else { return own }
        let prefix = field(345, 155)
        return prefix.isEmpty ? own : prefix + [UInt8(ascii: "/")] + own
    }

    var linkName: [UInt8] { field(157, 100) }

    /// True when the stored checksum matches the block (unsigned or, as some old tars wrote, signed).
    var hasValidChecksum: Bool {
        guard let stored = number(148, 8) else { return false }
        var unsigned = 0, signed = 0
        for (i, byte) in block.enumerated() {
            let value = (148..<156).contains(i) ? 0x20 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        return stored == unsigned || stored == signed
    }

    var mode: UInt32? { number(100, 8).map { UInt32(truncatingIfNeeded: $0) } }
    var size: Int? { number(124, 12) }

    /// Bytes of a NUL-terminated text field.
    func field(_ offset: Int, _ length: Int) -> [UInt8] {
        let start = block.startIndex + offset
        let bytes = block[start..<(start + length)]
        return Array(bytes.prefix { $0 != 0 })
    }

    /// An octal number field, or a GNU base-256 one (high bit set); nil when malformed or huge.
    func number(_ offset: Int, _ length: Int) -> Int? {
        let start = block.startIndex + offset
        let bytes = block[start..<(start + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            guard first == 0x80 else { return nil }
            var value = 0
            for byte in bytes.dropFirst() {
                guard value < Int.max >> 9 else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value < Int.max >> 4 else { return nil }
                value = value * 8 + Int(byte - UInt8(ascii: "0"))
                seenDigit = true
            case 0, UInt8(ascii: " "):
                if seenDigit { return value }
            default:
                return nil
            }
        }
        return value
    }
}

/// Pax extended header records (`"<length> <key>=<value>\n"`), keeping the ones Hangar uses.
struct PaxRecords {
    var path: [UInt8]?
    var linkPath: [UInt8]?
    var size: Int?

    init() {}

    init(parsing data: [UInt8], entry: String) throws(PackageError) {
        var position = 0
        while position < data.count {
            guard let space = data[position...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[position..<space], as: UTF8.self)),
                  length > space - position, position + length <= data.count,
                  data[position + length - 1] == UInt8(ascii: "\n") else {
                throw PackageError(.corruptArchive, "a pax header before '\(entry)' is malformed", entry: entry)
            }
            let record = data[(space + 1)..<(position + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
                let value = Array(record[(equals + 1)...])
                switch key {
                case "path": path = value
                case "linkpath": linkPath = value
                case "size":
                    guard let number = Int(String(decoding: value, as: UTF8.self)), number >= 0 else {
                        throw PackageError(.corruptArchive, "a pax header before '\(entry)' has an invalid size", entry: entry)
                    }
                    size = number
                default: break
                }
            }
            position += length
        }
    }

    /// These records, with `defaults` (from global headers) filling what they leave out.
    func over(_ defaults: PaxRecords) -> PaxRecords {
        var merged = self
        merged.path = path ?? defaults.path
        merged.linkPath = linkPath ?? defaults.linkPath
        merged.size = size
        return merged
    }
}
