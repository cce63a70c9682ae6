/// One entry of an inspected package, as it will be written: a normalised relative path,
/// what it is, its unpacked size and the mode it gets (0755 or 0644; never setuid, setgid,
/// sticky or the archive's ownership).
public struct PackageEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case file
        case directory
        /// A symbolic link with its target as written in the archive (relative, inside the package).
        case symlink(target: String)
        /// A hard link to an earlier regular file, by its normalised path.
        case hardLink(target: String)
    }

    /// Relative path with `/` separators, no `.` or `..` components and no trailing slash.
    public let path: String
    public let kind: Kind
    /// Unpacked content size in bytes (0 for directories and links).
    public let size: Int
    /// Permission bits the entry gets when extracted.
    public let mode: UInt16

    public init(path: String, kind: Kind, size: Int, mode: UInt16) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
    }

    /// 0755 for directories and for files with any execute bit in the archive, 0644 otherwise.
    static func sanitisedMode(_ archived: UInt32, isDirectory: Bool) -> UInt16 {
        isDirectory || archived & 0o111 != 0 ? 0o755 : 0o644
    }
}
