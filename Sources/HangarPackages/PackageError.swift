/// Why an uploaded package was refused. `message` names the offending entry and says what to do;
/// it never carries file contents or environment values.
public struct PackageError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The upload is larger than `maxArchiveBytes`.
        case archiveTooLarge = "archive too large"
        /// Neither zip, tar nor gzip-compressed tar.
        case unknownFormat = "unknown format"
        /// Truncated, bad checksum, inconsistent headers, undecodable data.
        case corruptArchive = "corrupt archive"
        /// An entry path that is absolute, has a `..` component, a backslash, NUL or control
        /// character, is too long or too deep, or sits under something that is not a directory.
        case unsafePath = "unsafe path"
        /// Two entries with the same path.
        case duplicatePath = "duplicate path"
        /// A symbolic or hard link that leaves the package, or a hard link to something other
        /// than an earlier regular file.
        case unsafeLink = "unsafe link"
        /// A device, FIFO, socket or other entry that is not a file, directory or link.
        case specialFile = "special file"
        /// More entries than `maxEntries`.
        case tooManyEntries = "too many entries"
        /// The unpacked contents exceed `maxTotalBytes`.
        case tooLarge = "too large"
        /// An entry or the whole archive unpacks to more than `maxCompressionRatio` times its size.
        case compressionRatio = "compression ratio"
        /// A zip entry inflates to a size other than its header declares.
        case sizeMismatch = "size mismatch"
        /// Neither `hangar.json` nor `server.json` at the archive root.
        case missingManifest = "missing manifest"
        /// The manifest is not valid JSON, has wrong types, or names no runnable command.
        case invalidManifest = "invalid manifest"
        /// `extract(to:)` was given a destination that already exists.
        case destinationExists = "destination exists"
        /// The filesystem refused a write while extracting.
        case writeFailed = "write failed"
    }

    public let kind: Kind
    /// What exactly is wrong, naming the entry, in words a user can act on.
    public let message: String
    /// The archive entry at fault, when there is one.
    public let entry: String?

    public init(_ kind: Kind, _ message: String, entry: String? = nil) {
        self.kind = kind
        self.message = message
        self.entry = entry
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
