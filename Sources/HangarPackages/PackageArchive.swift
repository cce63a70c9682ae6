#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Entry point for uploaded packages: checks an archive completely, before anything is written.
public enum PackageArchive {
    /// Reads every entry of a zip, tar or tar.gz archive (format recognised by its first bytes),
    /// inflating with bounds, and refuses it with a precise `PackageError` if any entry is unsafe,
    /// any limit is exceeded, or the manifest is missing or invalid. Nothing is written to disk.
    public static func inspect(bytes: [UInt8], limits: PackageLimits = .default) throws(PackageError) -> InspectedPackage {
        guard bytes.count <= limits.maxArchiveBytes else {
            throw PackageError(.archiveTooLarge, "the archive is \(bytes.count) bytes; the limit is \(limits.maxArchiveBytes)")
        }
        guard let format = ArchiveFormat.detect(bytes) else {
            throw PackageError(.unknownFormat, "the upload is not a zip, tar or tar.gz archive (unrecognised first bytes)")
        }
        var walk = try format.walk(bytes, limits: limits)
        var checker = EntryChecker(limits: limits)
        var contents = CapturedContents(limits: limits)
        while let raw = try walk.next() {
            guard let entry = try checker.check(raw) else { continue }
            switch entry.kind {
            case .file:
                var capture = contents.capture(for: entry)
                try walk.readContent { chunk throws(PackageError) in try capture.append(chunk) }
                contents.keep(capture)
            case .symlink where raw.linkTarget == nil:
                var target: [UInt8] = []
                try walk.readContent { chunk throws(PackageError) in
                    target += chunk
                    guard target.count <= limits.maxPathBytes else {
                        throw PackageError(.unsafeLink, "symlink '\(entry.path)' has a target longer than \(limits.maxPathBytes) bytes", entry: entry.path)
                    }
                }
                try checker.setSymlinkTarget(target)
            default:
                break
            }
        }
        try walk.finish()
        try checker.checkLayout()
        let manifest = try PackageManifest(files: contents.manifests, entries: checker.entries, limits: limits)
        let report = PackageScanner().scan(contents.scanned, heads: contents.heads, skipped: contents.skipped)
        return InspectedPackage(format: format, entries: checker.entries, manifest: manifest, scanReport: report,
                                archive: bytes, limits: limits)
    }

    /// `inspect(bytes:limits:)` for an archive on disk; its size is checked before it is read.
    public static func inspect(path: String, limits: PackageLimits = .default) throws(PackageError) -> InspectedPackage {
        // Non-blocking, so a FIFO in its place cannot hang the caller; fstat refuses it below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw PackageError(.unknownFormat, "cannot open '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw PackageError(.unknownFormat, "'\(path)' is not a regular file")
        }
        guard Int(info.st_size) <= limits.maxArchiveBytes else {
            throw PackageError(.archiveTooLarge, "the archive is \(info.st_size) bytes; the limit is \(limits.maxArchiveBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            guard count > 0 else { throw PackageError(.corruptArchive, "cannot read '\(path)' to its end") }
            filled += count
        }
        return try inspect(bytes: bytes, limits: limits)
    }
}

/// The bytes inspection keeps: manifests, text for the scanner (bounded), and each file's
/// first bytes (to recognise native binaries).
struct CapturedContents {
    struct Capture {
        let path: String
        let limit: Int
        let isManifest: Bool
        var bytes: [UInt8] = []
        var head: [UInt8] = []

        mutating func append(_ chunk: [UInt8]) throws(PackageError) {
            if head.count < 4 { head += chunk.prefix(4 - head.count) }
            guard bytes.count < limit else { return }
            bytes += chunk.prefix(limit - bytes.count)
        }
    }

    let limits: PackageLimits
    var manifests: [String: [UInt8]] = [:]
    var scanned: [(path: String, bytes: [UInt8])] = []
    var heads: [(path: String, bytes: [UInt8])] = []
    var skipped: [String] = []
    private var scanBudget: Int

    init(limits: PackageLimits) {
        self.limits = limits
        scanBudget = limits.maxScanTotalBytes
    }

    mutating func capture(for entry: PackageEntry) -> Capture {
        if PackageManifest.fileNames.contains(entry.path) {
            return Capture(path: entry.path, limit: limits.maxManifestBytes + 1, isManifest: true)
        }
        let scannable = entry.size <= limits.maxScanFileBytes && entry.size <= scanBudget
        if scannable { scanBudget -= entry.size } else { skipped.append(entry.path) }
        return Capture(path: entry.path, limit: scannable ? entry.size : 0, isManifest: false)
    }

    mutating func keep(_ capture: Capture) {
        heads.append((capture.path, capture.head))
        if capture.isManifest {
            manifests[capture.path] = capture.bytes
            scanned.append((capture.path, capture.bytes))
        } else if capture.limit > 0 {
            scanned.append((capture.path, capture.bytes))
        }
    }
}
