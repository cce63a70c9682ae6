/// Reads a tar stream (ustar, GNU long names and links, pax `x` and `g` headers) header by
/// header, verifying checksums and refusing truncation; content is streamed in bounded chunks.
struct TarWalk<Source: TarSource>: ArchiveWalk {
    private var source: Source
    private let limits: PackageLimits
    private var globals = PaxRecords()
    /// Content and padding of the current entry not yet read.
    private var pendingContent = 0
    private var pendingPadding = 0
    private var ended = false

    init(source: Source, limits: PackageLimits) {
        self.source = source
        self.limits = limits
    }

    mutating func next() throws(PackageError) -> RawEntry? {
        try skip(pendingContent + pendingPadding)
        pendingContent = 0
        pendingPadding = 0
        guard !ended else { return nil }
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var pax = PaxRecords()
        while true {
            let block = try source.read(TarHeader.blockSize)
            let after = source.entryInProgress.map { " after entry '\($0)'" } ?? ""
            guard block.count == TarHeader.blockSize else {
                throw PackageError(.corruptArchive, "the tar archive is truncated\(after): it ends without its end-of-archive marker", entry: source.entryInProgress)
            }
            let header = TarHeader(block: block[...])
            if header.isZero {
                ended = true
                return nil
            }
            guard header.hasValidChecksum, let size = header.size, let mode = header.mode else {
                throw PackageError(.corruptArchive, "a tar header\(after) is damaged (bad checksum or number field)", entry: source.entryInProgress)
            }
            let display = EntryPath.display(pax.path ?? longName ?? header.name)
            switch header.typeFlag {
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                guard size <= limits.maxPathBytes + 1 else {
                    throw PackageError(.unsafePath, "a GNU long name near '\(display)' is \(size) bytes; the limit is \(limits.maxPathBytes)", entry: display)
                }
                let data = try readWhole(size, for: display).prefix { $0 != 0 }
                if header.typeFlag == UInt8(ascii: "L") { longName = Array(data) } else { longLink = Array(data) }
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                guard size <= 1 << 20 else {
                    throw PackageError(.corruptArchive, "a pax header near '\(display)' is \(size) bytes; the limit is 1 MiB", entry: display)
                }
                let records = try PaxRecords(parsing: readWhole(size, for: display), entry: display)
                if header.typeFlag == UInt8(ascii: "x") { pax = records } else { globals = records.over(globals) }
            default:
                let merged = pax.over(globals)
                var entry = RawEntry(
                    name: merged.path ?? longName ?? header.name, kind: Self.kind(header.typeFlag),
                    linkTarget: merged.linkPath ?? longLink ?? header.linkName, mode: mode, size: merged.size ?? size
                )
                if entry.kind != .symlink && entry.kind != .hardLink { entry.linkTarget = nil }
                // Old tars mark folders only by a trailing slash.
                if entry.kind == .file && entry.name.last == UInt8(ascii: "/") && entry.size == 0 { entry.kind = .directory }
                pendingContent = entry.size
                pendingPadding = (TarHeader.blockSize - entry.size % TarHeader.blockSize) % TarHeader.blockSize
                // Only regular files carry content worth counting; links and folders should have none.
                if entry.kind != .file { entry.size = 0 }
                source.entryInProgress = EntryPath.display(entry.name)
                return entry
            }
        }
    }

    mutating func readContent(_ consume: ([UInt8]) throws(PackageError) -> Void) throws(PackageError) {
        while pendingContent > 0 {
            let chunk = try source.read(min(pendingContent, 1 << 16))
            guard !chunk.isEmpty else { throw truncated() }
            pendingContent -= chunk.count
            try consume(chunk)
        }
    }

    mutating func finish() throws(PackageError) {
        try source.finish()
    }

    private mutating func skip(_ count: Int) throws(PackageError) {
        var remaining = count
        while remaining > 0 {
            let chunk = try source.read(min(remaining, 1 << 16))
            guard !chunk.isEmpty else { throw truncated() }
            remaining -= chunk.count
        }
    }

    private mutating func readWhole(_ size: Int, for display: String) throws(PackageError) -> [UInt8] {
        let data = try source.read(size)
        guard data.count == size else { throw truncated() }
        try skip((TarHeader.blockSize - size % TarHeader.blockSize) % TarHeader.blockSize)
        return data
    }

    private func truncated() -> PackageError {
        let name = source.entryInProgress ?? "a header"
        return PackageError(.corruptArchive, "the tar archive is truncated inside entry '\(name)'", entry: source.entryInProgress)
    }

    private static func kind(_ flag: UInt8) -> RawEntry.RawKind {
        switch flag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): return .file
        case UInt8(ascii: "1"): return .hardLink
        case UInt8(ascii: "2"): return .symlink
        case UInt8(ascii: "5"): return .directory
        case UInt8(ascii: "3"): return .special("character device")
        case UInt8(ascii: "4"): return .special("block device")
        case UInt8(ascii: "6"): return .special("FIFO")
        default: return .special("tar entry of type '\(EntryPath.display([flag]))'")
        }
    }
}
