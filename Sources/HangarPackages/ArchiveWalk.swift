/// What an archive says about one entry, before any of it is trusted.
struct RawEntry {
    enum RawKind: Equatable {
        case file
        case directory
        case symlink
        case hardLink
        /// A device, FIFO, socket or unknown type, described for the error message.
        case special(String)
    }

    var name: [UInt8]
    var kind: RawKind
    /// The link target from the header (tar); zip symlinks carry theirs as content.
    var linkTarget: [UInt8]?
    /// Mode bits as archived (permission bits only are used).
    var mode: UInt32
    /// Declared unpacked size of the content.
    var size: Int
}

/// One pass over an archive's entries in order, with bounded access to each entry's content.
/// Every pass re-checks the bounds, so extraction is as safe as inspection.
protocol ArchiveWalk {
    /// The next entry, or nil after the last one.
    mutating func next() throws(PackageError) -> RawEntry?
    /// Streams the current entry's content in chunks; call at most once per entry.
    /// Unread content is skipped (and still counted) by `next()`.
    mutating func readContent(_ consume: ([UInt8]) throws(PackageError) -> Void) throws(PackageError)
    /// Checks what follows the last entry (gzip trailer, zip consistency).
    mutating func finish() throws(PackageError)
}

/// The archive formats Hangar accepts, recognised by their first bytes.
enum ArchiveFormat: String, Sendable {
    case zip
    case tar
    case tarGzip = "tar.gz"

    static func detect(_ bytes: [UInt8]) -> ArchiveFormat? {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if bytes.starts(with: [0x1F, 0x8B]) { return .tarGzip }
        if TarHeader.hasUstarMagic(bytes[...]) { return .tar }
        return nil
    }

    func walk(_ bytes: [UInt8], limits: PackageLimits) throws(PackageError) -> any ArchiveWalk {
        switch self {
        case .zip: return try ZipWalk(bytes, limits: limits)
        case .tar: return TarWalk(source: PlainTarSource(bytes), limits: limits)
        case .tarGzip: return TarWalk(source: try GzipTarSource(bytes, limits: limits), limits: limits)
        }
    }
}
