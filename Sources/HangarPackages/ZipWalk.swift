/// Reads a zip archive from its central directory, refusing what a careful reader must:
/// multi-disk and encrypted archives, unknown compression, local headers that disagree with
/// the directory, overlapping entries, and declared sizes over the limits, all before any
/// content is inflated. Content is inflated in chunks bounded by the declared size, so a
/// header that lies about its size is caught at the first extra byte.
struct ZipWalk: ArchiveWalk {
    private struct DirectoryRecord {
        var raw: RawEntry
        var display: String
        var method: UInt16
        var crc: UInt32
        var packedSize: Int
        var localOffset: Int
    }

    private let bytes: [UInt8]
    private let limits: PackageLimits
    private let records: [DirectoryRecord]
    private var index = -1

    init(_ bytes: [UInt8], limits: PackageLimits) throws(PackageError) {
        self.bytes = bytes
        self.limits = limits
        let directory = try Self.locateDirectory(bytes)
        guard directory.count <= limits.maxEntries else {
            throw PackageError(.tooManyEntries, "the archive has \(directory.count) entries; the limit is \(limits.maxEntries)")
        }
        var records: [DirectoryRecord] = []
        records.reserveCapacity(directory.count)
        var offset = directory.offset
        for _ in 0..<directory.count {
            let (record, next) = try Self.readRecord(bytes, at: offset, directoryEnd: directory.offset + directory.size)
            records.append(record)
            offset = next
        }
        self.records = records
        try checkDeclaredSizes()
        try checkLocalHeaders()
    }

    // MARK: Walking

    mutating func next() throws(PackageError) -> RawEntry? {
        index += 1
        return index < records.count ? records[index].raw : nil
    }

    mutating func readContent(_ consume: ([UInt8]) throws(PackageError) -> Void) throws(PackageError) {
        let record = records[index]
        let start = try dataStart(record)
        let range = start..<(start + record.packedSize)
        let declared = record.raw.size
        var crc: UInt32 = 0
        var produced = 0
        if record.method == 0 {
            var chunkStart = range.lowerBound
            while chunkStart < range.upperBound {
                let chunk = Array(bytes[chunkStart..<min(chunkStart + 65_536, range.upperBound)])
                crc = crc32Continuing(crc, chunk)
                try consume(chunk)
                chunkStart += chunk.count
            }
            produced = record.packedSize
        } else {
            let inflater = try BoundedInflater(bytes, range: range, format: .deflate, what: "entry '\(record.display)'")
            while true {
                // Ask for one byte more than declared, to see a lying header at the first extra byte.
                let chunk = try inflater.read(maximum: min(65_536, declared - produced + 1))
                if chunk.isEmpty { break }
                produced += chunk.count
                if produced > declared {
                    throw PackageError(.sizeMismatch, "entry '\(record.display)' inflates to more than the \(declared) bytes its header declares", entry: record.display)
                }
                crc = crc32Continuing(crc, chunk)
                try consume(chunk)
            }
        }
        guard produced == declared else {
            throw PackageError(.sizeMismatch, "entry '\(record.display)' holds \(produced) bytes but its header declares \(declared)", entry: record.display)
        }
        guard crc == record.crc else {
            throw PackageError(.corruptArchive, "entry '\(record.display)' fails its CRC-32 check: the archive is damaged", entry: record.display)
        }
    }

    mutating func finish() throws(PackageError) {}

    // MARK: Checks before any content is read

    private func checkDeclaredSizes() throws(PackageError) {
        var total = 0
        for record in records {
            let size = record.raw.size
            if limits.exceedsRatio(unpacked: size, packed: record.packedSize) {
                throw PackageError(.compressionRatio, "entry '\(record.display)' declares \(size) bytes from \(record.packedSize) compressed, more than \(limits.maxCompressionRatio) times its size", entry: record.display)
            }
            total += size
            if total > limits.maxTotalBytes {
                throw PackageError(.tooLarge, "the archive unpacks to more than \(limits.maxTotalBytes) bytes (at entry '\(record.display)', \(size) bytes)", entry: record.display)
            }
        }
        if limits.exceedsRatio(unpacked: total, packed: bytes.count) {
            throw PackageError(.compressionRatio, "the archive declares \(total) unpacked bytes from \(bytes.count), more than \(limits.maxCompressionRatio) times its size")
        }
    }

    /// Each local header must exist, match its directory record's name, and own its bytes alone.
    private func checkLocalHeaders() throws(PackageError) {
        var spans: [(range: Range<Int>, name: String)] = []
        for record in records {
            let start = try dataStart(record)
            let localName = Array(bytes[(record.localOffset + 30)..<(record.localOffset + 30 + Int(u16(record.localOffset + 26)))])
            guard localName == record.raw.name else {
                throw PackageError(.corruptArchive, "entry '\(record.display)' has a different name in its local header; the archive is inconsistent", entry: record.display)
            }
            spans.append((record.localOffset..<(start + record.packedSize), record.display))
        }
        spans.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (earlier, later) in zip(spans, spans.dropFirst()) where earlier.range.overlaps(later.range) {
            throw PackageError(.corruptArchive, "entries '\(earlier.name)' and '\(later.name)' share compressed bytes, a zip bomb technique", entry: later.name)
        }
    }

    private func dataStart(_ record: DirectoryRecord) throws(PackageError) -> Int {
        let local = record.localOffset
        guard local >= 0, local + 30 <= bytes.count, u32(local) == 0x0403_4B50 else {
            throw PackageError(.corruptArchive, "entry '\(record.display)' points at a missing local header", entry: record.display)
        }
        let start = local + 30 + Int(u16(local + 26)) + Int(u16(local + 28))
        guard start + record.packedSize <= bytes.count else {
            throw PackageError(.corruptArchive, "entry '\(record.display)' is truncated: its data runs past the end of the archive", entry: record.display)
        }
        return start
    }

    // MARK: Parsing

    private func u16(_ at: Int) -> UInt16 { Self.u16(bytes, at) }
    private func u32(_ at: Int) -> UInt32 { Self.u32(bytes, at) }
    private static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(b, at)) | UInt32(u16(b, at + 2)) << 16 }
    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32 }

    private static func corrupt(_ message: String) -> PackageError { PackageError(.corruptArchive, message) }

    /// The central directory's entry count, offset and size, from the end record (or its ZIP64 form).
    private static func locateDirectory(_ b: [UInt8]) throws(PackageError) -> (count: Int, offset: Int, size: Int) {
        guard b.count >= 22 else { throw corrupt("the zip archive is truncated: it has no end-of-directory record") }
        var eocd = b.count - 22
        let lowest = max(0, b.count - 22 - 65_535)
        while eocd >= lowest, u32(b, eocd) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= lowest else { throw corrupt("the zip archive is truncated: it has no end-of-directory record") }
        guard u16(b, eocd + 4) == 0, u16(b, eocd + 6) == 0 else { throw corrupt("multi-part zip archives are not supported") }
        var count = UInt64(u16(b, eocd + 10))
        var size = UInt64(u32(b, eocd + 12))
        var offset = UInt64(u32(b, eocd + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard locator >= 0, u32(b, locator) == 0x0706_4B50 else { throw corrupt("the zip archive's ZIP64 locator is missing") }
            let record = u64(b, locator + 8)
            guard b.count >= 56, record <= UInt64(b.count - 56), u32(b, Int(record)) == 0x0606_4B50 else { throw corrupt("the zip archive's ZIP64 end record is missing") }
            count = u64(b, Int(record) + 32)
            size = u64(b, Int(record) + 40)
            offset = u64(b, Int(record) + 48)
        }
        guard offset <= UInt64(b.count), size <= UInt64(b.count) - offset, count <= size / 46 + 1 else {
            throw corrupt("the zip archive's central directory lies outside the file: it is truncated or damaged")
        }
        return (Int(count), Int(offset), Int(size))
    }

    private static func readRecord(_ b: [UInt8], at p: Int, directoryEnd: Int) throws(PackageError) -> (DirectoryRecord, Int) {
        guard p + 46 <= directoryEnd, u32(b, p) == 0x0201_4B50 else { throw corrupt("the zip archive's central directory is damaged") }
        let nameLength = Int(u16(b, p + 28)), extraLength = Int(u16(b, p + 30)), commentLength = Int(u16(b, p + 32))
        let next = p + 46 + nameLength + extraLength + commentLength
        guard next <= directoryEnd else { throw corrupt("the zip archive's central directory is damaged") }
        let name = Array(b[(p + 46)..<(p + 46 + nameLength)])
        let display = EntryPath.display(name)
        let flags = u16(b, p + 8), method = u16(b, p + 10)
        guard flags & 1 == 0 else { throw PackageError(.corruptArchive, "entry '\(display)' is encrypted; upload an unencrypted archive", entry: display) }
        guard method == 0 || method == 8 else {
            throw PackageError(.corruptArchive, "entry '\(display)' uses compression method \(method); only store and deflate are supported", entry: display)
        }
        var unpacked = UInt64(u32(b, p + 24)), packed = UInt64(u32(b, p + 20)), local = UInt64(u32(b, p + 42))
        // ZIP64 extended information replaces the 32-bit fields that are all ones, in this order.
        var extra = p + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = u16(b, extra), length = Int(u16(b, extra + 2))
            if id == 0x0001 {
                var field = extra + 4
                if unpacked == 0xFFFF_FFFF, field + 8 <= extraEnd { unpacked = u64(b, field); field += 8 }
                if packed == 0xFFFF_FFFF, field + 8 <= extraEnd { packed = u64(b, field); field += 8 }
                if local == 0xFFFF_FFFF, field + 8 <= extraEnd { local = u64(b, field) }
            }
            extra += 4 + length
        }
        guard unpacked <= UInt64(Int.max / 2), packed <= UInt64(b.count), local <= UInt64(b.count) else {
            throw PackageError(.corruptArchive, "entry '\(display)' has sizes or an offset outside the archive", entry: display)
        }
        let external = u32(b, p + 38)
        let madeBy = u16(b, p + 4) >> 8
        let isUnix = madeBy == 3 || madeBy == 19
        let mode = isUnix ? external >> 16 : 0
        let kind: RawEntry.RawKind
        switch mode & 0o170000 {
        case 0o040000: kind = .directory
        case 0o120000: kind = .symlink
        case 0o100000: kind = .file
        case 0o020000: kind = .special("character device")
        case 0o060000: kind = .special("block device")
        case 0o010000: kind = .special("FIFO")
        case 0o140000: kind = .special("socket")
        case 0: kind = name.last == UInt8(ascii: "/") || (!isUnix && external & 0x10 != 0) ? .directory : .file
        default: kind = .special("entry of unknown type \(String(mode & 0o170000, radix: 8))")
        }
        if kind == .directory, unpacked != 0 {
            throw PackageError(.corruptArchive, "directory entry '\(display)' declares content", entry: display)
        }
        if method == 0, packed != unpacked {
            throw PackageError(.sizeMismatch, "stored entry '\(display)' declares \(unpacked) bytes but holds \(packed)", entry: display)
        }
        let raw = RawEntry(name: name, kind: kind, linkTarget: nil, mode: mode, size: Int(unpacked))
        let record = DirectoryRecord(raw: raw, display: display, method: method, crc: u32(b, p + 16), packedSize: Int(packed), localOffset: Int(local))
        return (record, next)
    }
}
