/// The byte stream a tar archive is read from: the upload itself, or its gzip decompression.
protocol TarSource {
    /// Exactly `count` more bytes, or fewer only where the data ends.
    mutating func read(_ count: Int) throws(PackageError) -> [UInt8]
    /// Reads what follows the archive's end marker (bounded), so a gzip trailer is verified.
    mutating func finish() throws(PackageError)
    /// The entry being read, named in errors about the stream.
    var entryInProgress: String? { get set }
}

/// An uncompressed tar upload.
struct PlainTarSource: TarSource {
    private let bytes: [UInt8]
    private var position = 0
    var entryInProgress: String?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(_ count: Int) throws(PackageError) -> [UInt8] {
        let end = min(bytes.count, position + count)
        defer { position = end }
        return Array(bytes[position..<end])
    }

    mutating func finish() throws(PackageError) {}
}

/// A gzip-compressed tar upload, inflated on demand. Inflation stops as soon as the output
/// exceeds the total size the limits allow (contents plus header overhead) or
/// `maxCompressionRatio` times the upload.
struct GzipTarSource: TarSource {
    private let inflater: BoundedInflater
    private let limits: PackageLimits
    private let packedSize: Int
    private let maximumOutput: Int
    var entryInProgress: String?

    init(_ bytes: [UInt8], limits: PackageLimits) throws(PackageError) {
        inflater = try BoundedInflater(bytes, range: 0..<bytes.count, format: .gzip, what: "the gzip stream")
        self.limits = limits
        packedSize = bytes.count
        // Each entry costs up to a header, a pax header and two blocks of padding beyond its content.
        maximumOutput = limits.maxTotalBytes + limits.maxEntries * 4 * TarHeader.blockSize + (1 << 20)
    }

    mutating func read(_ count: Int) throws(PackageError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            let chunk = try inflater.read(maximum: min(count - result.count, 1 << 16))
            if chunk.isEmpty { break }
            result += chunk
            try checkOutput()
        }
        return result
    }

    mutating func finish() throws(PackageError) {
        entryInProgress = nil
        while try !inflater.read(maximum: 1 << 16).isEmpty { try checkOutput() }
    }

    private func checkOutput() throws(PackageError) {
        let at = entryInProgress.map { " (at entry '\($0)')" } ?? ""
        if limits.exceedsRatio(unpacked: inflater.produced, packed: packedSize) {
            throw PackageError(.compressionRatio, "the gzip stream inflates to more than \(limits.maxCompressionRatio) times its \(packedSize) bytes\(at); inflation was stopped", entry: entryInProgress)
        }
        if inflater.produced > maximumOutput {
            throw PackageError(.tooLarge, "the gzip stream inflates to more than \(maximumOutput) bytes\(at); inflation was stopped", entry: entryInProgress)
        }
    }
}
