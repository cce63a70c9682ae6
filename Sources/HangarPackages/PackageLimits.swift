/// Bounds on an uploaded package. Every one is checked before anything is written, and
/// again while writing; exceeding one is a `PackageError` naming the entry, never a crash.
public struct PackageLimits: Sendable, Hashable {
    /// Largest archive accepted, as uploaded (default 50 MiB).
    public var maxArchiveBytes: Int
    /// Largest sum of all entries' contents once unpacked (default 200 MiB).
    public var maxTotalBytes: Int
    /// Most entries (files, directories, links) in one archive (default 10,000).
    public var maxEntries: Int
    /// Largest unpacked-to-packed ratio, per entry and for the whole archive (default 100).
    public var maxCompressionRatio: Int
    /// Sizes up to this many unpacked bytes never trip the ratio check: small text compresses well
    /// (default 1 MiB).
    public var compressionRatioFloor: Int
    /// Longest entry path in bytes (default 1,024) and most components in it (default 32).
    public var maxPathBytes: Int
    public var maxPathDepth: Int
    /// Largest `hangar.json` or `server.json` (default 64 KiB).
    public var maxManifestBytes: Int
    /// Text files larger than this are not scanned (default 1 MiB); at most `maxScanTotalBytes`
    /// are held for scanning in all (default 32 MiB).
    public var maxScanFileBytes: Int
    public var maxScanTotalBytes: Int

    public init(
        maxArchiveBytes: Int = 50 << 20, maxTotalBytes: Int = 200 << 20, maxEntries: Int = 10_000,
        maxCompressionRatio: Int = 100, compressionRatioFloor: Int = 1 << 20,
        maxPathBytes: Int = 1_024, maxPathDepth: Int = 32, maxManifestBytes: Int = 64 << 10,
        maxScanFileBytes: Int = 1 << 20, maxScanTotalBytes: Int = 32 << 20
    ) {
        self.maxArchiveBytes = maxArchiveBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
        self.maxCompressionRatio = maxCompressionRatio
        self.compressionRatioFloor = compressionRatioFloor
        self.maxPathBytes = maxPathBytes
        self.maxPathDepth = maxPathDepth
        self.maxManifestBytes = maxManifestBytes
        self.maxScanFileBytes = maxScanFileBytes
        self.maxScanTotalBytes = maxScanTotalBytes
    }

    public static let `default` = PackageLimits()

    /// True when `unpacked` bytes from `packed` bytes exceed the ratio (above the floor).
    func exceedsRatio(unpacked: Int, packed: Int) -> Bool {
        unpacked > compressionRatioFloor && unpacked / maxCompressionRatio > max(packed, 1)
    }
}
