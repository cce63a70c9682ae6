/// A package that passed inspection: its entries as they will be written, its manifest and
/// what the scanner found. Holds the archive so `extract(to:)` can write it.
public struct InspectedPackage: Sendable {
    /// `zip`, `tar` or `tar.gz`.
    public var formatName: String { format.rawValue }
    /// Every entry, in archive order, with sanitised modes.
    public let entries: [PackageEntry]
    public let manifest: PackageManifest
    public let scanReport: ScanReport
    /// Sum of the files' unpacked sizes.
    public var totalBytes: Int { entries.reduce(0) { $0 + $1.size } }

    let format: ArchiveFormat
    let archive: [UInt8]
    let limits: PackageLimits

    init(format: ArchiveFormat, entries: [PackageEntry], manifest: PackageManifest, scanReport: ScanReport,
         archive: [UInt8], limits: PackageLimits) {
        self.format = format
        self.entries = entries
        self.manifest = manifest
        self.scanReport = scanReport
        self.archive = archive
        self.limits = limits
    }
}
