import Foundation
import HangarPackages
import Testing
import ZIPFoundation

@Suite("Zip packages")
struct ZipPackageTests {
    /// One gigabyte of zeros in a single deflated entry (about 1 MB), built once by streaming.
    static let gigabyteOfZeros: [UInt8] = bomb(declaring: nil)

    static func bomb(declaring declared: Int?) -> [UInt8] {
        var zip = RawZip()
        zip.add("hangar.json", text: manifestJSON)
        zip.add("server.py", text: "print('hi')\n")
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        zip.add("bomb.bin", size: 1 << 30, declaredSize: declared) { Array(zeros.prefix($0)) }
        return zip.bytes
    }

    @Test func cleanPackageExtractsWithSafeModes() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("server.py", "import sys\nprint('hello')\n")
        try zip.folder("bin/")
        try zip.file("bin/run", "#!/bin/sh\nexec python3 server.py\n", permissions: 0o4755)
        try zip.file("data/notes.txt", "plain", permissions: 0o600, compress: false)
        try zip.symlink("current", to: "bin/run")
        let package = try PackageArchive.inspect(bytes: zip.bytes)
        #expect(package.formatName == "zip")
        #expect(package.manifest.command == ["python3", "server.py"])
        #expect(package.entries.map(\.path) == ["hangar.json", "server.py", "bin", "bin/run", "data/notes.txt", "current"])
        #expect(package.entries.first { $0.path == "current" }?.kind == .symlink(target: "bin/run"))

        let destination = freshDestination()
        defer { try? FileManager.default.removeItem(atPath: destination) }
        try package.extract(to: destination)
        #expect(try String(contentsOfFile: destination + "/server.py", encoding: .utf8) == "import sys\nprint('hello')\n")
        #expect(try mode(destination + "/bin/run") == 0o755, "setuid is dropped, the execute bits stay")
        #expect(try mode(destination + "/data/notes.txt") == 0o644)
        #expect(try mode(destination + "/bin") == 0o755)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/current") == "bin/run")
        #expect(package.scanReport.findings.isEmpty)

        // A second extraction into the same place is refused, and the first stays intact.
        #expect(throws: PackageError.self) { try package.extract(to: destination) }
        #expect(FileManager.default.fileExists(atPath: destination + "/server.py"))
    }

    @Test func zipSlipIsRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("../evil.txt", "owned")
        expectRefused(zip.bytes, .unsafePath, mentioning: "'../evil.txt'")
    }

    @Test func absolutePathIsRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("/etc/cron.d/evil", "* * * * * root sh")
        expectRefused(zip.bytes, .unsafePath, mentioning: "'/etc/cron.d/evil' is an absolute path")
    }

    @Test func backslashNameIsRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("..\\evil.txt", "owned")
        expectRefused(zip.bytes, .unsafePath, mentioning: "backslash")
    }

    @Test func symlinkToSystemFileIsRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.symlink("passwd", to: "/etc/passwd")
        expectRefused(zip.bytes, .unsafeLink, mentioning: "symlink 'passwd' -> '/etc/passwd' is absolute")
    }

    @Test func symlinkChainThatEscapesIsRefused() throws {
        // Read lexically, "d/up/.." is "d"; the kernel follows d/up to the root first, so it is the root's parent.
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.folder("d/")
        try zip.symlink("d/up", to: "..")
        try zip.symlink("escape", to: "d/up/..")
        expectRefused(zip.bytes, .unsafeLink, mentioning: "symlink 'escape' -> 'd/up/..' resolves outside the package")
    }

    @Test func writingThroughASymlinkIsRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.folder("real/")
        try zip.symlink("alias", to: "real")
        try zip.file("alias/x.txt", "through the link")
        expectRefused(zip.bytes, .unsafePath, mentioning: "'alias/x.txt' lies under 'alias', which is not a folder")
    }

    @Test func duplicateNamesAreRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("server.py", "print(1)")
        try zip.file("./server.py", "print(2)")
        expectRefused(zip.bytes, .duplicatePath, mentioning: "'server.py' appears more than once")
    }

    @Test func fifoEntryIsRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("pipe", "")
        // External attributes (offset 38): mode 010644, a FIFO, in the upper 16 bits.
        let patched = patchZip(zip.bytes, entry: "pipe", centralOffset: 38, localOffset: nil, value: UInt32(0o010644) << 16)
        expectRefused(patched, .specialFile, mentioning: "entry 'pipe' is a FIFO")
    }

    @Test func declaredZipBombIsRefusedBeforeInflating() throws {
        _ = Self.gigabyteOfZeros
        let start = ContinuousClock.now
        expectRefused(Self.gigabyteOfZeros, .compressionRatio, mentioning: "entry 'bomb.bin' declares 1073741824 bytes")
        var limits = PackageLimits()
        limits.maxCompressionRatio = 10_000
        expectRefused(Self.gigabyteOfZeros, .tooLarge, mentioning: "at entry 'bomb.bin'", limits: limits)
        #expect(ContinuousClock.now - start < .seconds(2), "refused from the headers, without inflating")
    }

    @Test func undeclaredZipBombStopsAtTheDeclaredSize() throws {
        // The headers claim 1,000 bytes; the data inflates to a gigabyte.
        var lying = patchZip(Self.gigabyteOfZeros, entry: "bomb.bin", centralOffset: 24, localOffset: 22, value: 1_000)
        #expect(lying != Self.gigabyteOfZeros)
        let start = ContinuousClock.now
        expectRefused(lying, .sizeMismatch, mentioning: "entry 'bomb.bin' inflates to more than the 1000 bytes its header declares")
        #expect(ContinuousClock.now - start < .seconds(2), "inflation stops at the first byte past the declared size")
        // Claiming 20 MiB passes the header checks (ratio limit raised); inflation still stops at 20 MiB + 1.
        lying = patchZip(Self.gigabyteOfZeros, entry: "bomb.bin", centralOffset: 24, localOffset: 22, value: 20 << 20)
        var limits = PackageLimits()
        limits.maxCompressionRatio = 1_000_000
        expectRefused(lying, .sizeMismatch, mentioning: "more than the 20971520 bytes", limits: limits)
    }

    @Test func lyingSmallHeadersAreCaught() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("server.py", String(repeating: "print('x')\n", count: 10))
        let bytes = zip.bytes
        let tooSmall = patchZip(bytes, entry: "server.py", centralOffset: 24, localOffset: 22, value: 10)
        expectRefused(tooSmall, .sizeMismatch, mentioning: "entry 'server.py' inflates to more than the 10 bytes")
        let tooLarge = patchZip(bytes, entry: "server.py", centralOffset: 24, localOffset: 22, value: 200)
        expectRefused(tooLarge, .sizeMismatch, mentioning: "entry 'server.py' holds 110 bytes but its header declares 200")
        let badChecksum = patchZip(bytes, entry: "server.py", centralOffset: 16, localOffset: 14, value: 0xDEAD_BEEF)
        expectRefused(badChecksum, .corruptArchive, mentioning: "entry 'server.py' fails its CRC-32 check")
    }

    @Test func truncatedAndCorruptZipsAreRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("server.py", String(repeating: "print('some text')\n", count: 50))
        let bytes = zip.bytes
        expectRefused(Array(bytes.prefix(bytes.count / 2)), .corruptArchive, mentioning: "truncated")
        var damaged = bytes
        let data = bytes.firstRange(of: Array("server.py".utf8))!.upperBound
        for i in data..<(data + 12) { damaged[i] ^= 0x5A }
        expectRefused(damaged, .corruptArchive, mentioning: "entry 'server.py'")
    }

    @Test func tooManyEntriesAreRefused() throws {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("server.py", "print(1)")
        for i in 0..<5 { try zip.file("f\(i).txt", "x") }
        var limits = PackageLimits()
        limits.maxEntries = 6
        expectRefused(zip.bytes, .tooManyEntries, mentioning: "7 entries; the limit is 6", limits: limits)
    }

    @Test func oversizedUploadAndUnknownFormatsAreRefused() throws {
        var limits = PackageLimits()
        limits.maxArchiveBytes = 100
        expectRefused([UInt8](repeating: 0x50, count: 101), .archiveTooLarge, mentioning: "101 bytes; the limit is 100", limits: limits)
        expectRefused(Array("#!/bin/sh\necho not an archive\n".utf8), .unknownFormat, mentioning: "not a zip, tar or tar.gz")
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}

@Suite("Package files and destinations")
struct PackageDestinationTests {
    private func cleanZip() throws -> [UInt8] {
        let zip = try ZipBuilder()
        try zip.file("hangar.json", manifestJSON)
        try zip.file("server.py", "print('hello')\n")
        return zip.bytes
    }

    @Test func archiveOnDiskIsInspectedAfterItsSizeIsChecked() throws {
        let path = freshDestination() + ".zip"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(cleanZip()).write(to: URL(fileURLWithPath: path))
        #expect(try PackageArchive.inspect(path: path).manifest.name == "demo")
        var limits = PackageLimits()
        limits.maxArchiveBytes = 10
        #expect { try PackageArchive.inspect(path: path, limits: limits) } throws: { error in
            (error as? PackageError)?.kind == .archiveTooLarge
        }
        #expect { try PackageArchive.inspect(path: path + ".missing") } throws: { _ in true }
    }

    @Test func failedExtractionLeavesNothingBehind() throws {
        let package = try PackageArchive.inspect(bytes: cleanZip())
        let parent = freshDestination()
        #expect { try package.extract(to: parent + "/missing-parent/dest") } throws: { error in
            (error as? PackageError)?.kind == .writeFailed
        }
        #expect(!FileManager.default.fileExists(atPath: parent))

        let existing = freshDestination()
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: existing) }
        #expect { try package.extract(to: existing) } throws: { error in
            (error as? PackageError)?.kind == .destinationExists
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing).isEmpty, "an existing folder is never written into")
    }
}
