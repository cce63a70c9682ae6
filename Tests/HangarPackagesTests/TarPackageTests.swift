import Foundation
import HangarPackages
import Testing

@Suite("Tar packages")
struct TarPackageTests {
    private func base() -> TarBuilder {
        var tar = TarBuilder()
        tar.add("hangar.json", content: Array(manifestJSON.utf8))
        tar.add("server.py", content: Array("print('hello')\n".utf8))
        return tar
    }

    @Test func cleanTarGzExtractsEveryKindOfEntry() throws {
        var tar = base()
        let deepName = "lib/" + String(repeating: "nested-folder/", count: 8) + "module.py"
        tar.add("lib/", type: "5", mode: 0o700)
        tar.longName(deepName)
        tar.add("ignored-short-name", content: Array("x = 1\n".utf8))
        tar.pax([("path", "pax/ünïcode name.txt")])
        tar.add("short", content: Array("pax named\n".utf8))
        tar.add("module.py", content: Array("y = 2\n".utf8), prefix: "prefixed/by/ustar")
        tar.add("bin/tool", content: Array("#!/bin/sh\n".utf8), mode: 0o6755)
        tar.add("bin/tool-again", type: "1", link: "bin/tool")
        tar.add("lib/current", type: "2", link: "../bin/tool")
        let package = try PackageArchive.inspect(bytes: gzip(tar.finished()))
        #expect(package.formatName == "tar.gz")
        #expect(package.entries.map(\.path) == [
            "hangar.json", "server.py", "lib", deepName, "pax/ünïcode name.txt", "prefixed/by/ustar/module.py",
            "bin/tool", "bin/tool-again", "lib/current",
        ])
        #expect(package.entries.first { $0.path == "bin/tool" }?.mode == 0o755)
        #expect(package.entries.first { $0.path == "lib" }?.mode == 0o755)

        let destination = freshDestination()
        defer { try? FileManager.default.removeItem(atPath: destination) }
        try package.extract(to: destination)
        #expect(try String(contentsOfFile: destination + "/" + deepName, encoding: .utf8) == "x = 1\n")
        #expect(try String(contentsOfFile: destination + "/pax/ünïcode name.txt", encoding: .utf8) == "pax named\n")
        #expect(try String(contentsOfFile: destination + "/prefixed/by/ustar/module.py", encoding: .utf8) == "y = 2\n")
        #expect(try String(contentsOfFile: destination + "/bin/tool-again", encoding: .utf8) == "#!/bin/sh\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/lib/current") == "../bin/tool")
        let attributes = try FileManager.default.attributesOfItem(atPath: destination + "/bin/tool")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o755, "setuid and setgid are dropped")
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == getuid(), "ownership is never taken from the archive")
    }

    @Test func plainTarIsAccepted() throws {
        let package = try PackageArchive.inspect(bytes: base().finished())
        #expect(package.formatName == "tar")
        #expect(package.manifest.name == "demo")
    }

    @Test(arguments: [
        ("/etc/passwd", "'/etc/passwd' is an absolute path"),
        ("a/../../outside.txt", "'a/../../outside.txt' has a '..' component"),
        ("..", "'..' has a '..' component"),
    ])
    func unsafePathsAreRefused(name: String, message: String) {
        var tar = base()
        tar.add(name, content: Array("x".utf8))
        expectRefused(gzip(tar.finished()), .unsafePath, mentioning: message)
    }

    @Test func paxPathIsCheckedLikeAnyOther() {
        var tar = base()
        tar.pax([("path", "../../escape.txt")])
        tar.add("harmless.txt", content: Array("x".utf8))
        expectRefused(tar.finished(), .unsafePath, mentioning: "'../../escape.txt'")
        var withNul = base()
        withNul.pax([("path", "a\u{0}b.txt")])
        withNul.add("harmless.txt")
        expectRefused(withNul.finished(), .unsafePath, mentioning: "NUL byte")
    }

    @Test func hardLinkOutsideIsRefused() {
        var tar = base()
        tar.add("shadow", type: "1", link: "/etc/shadow")
        expectRefused(gzip(tar.finished()), .unsafeLink, mentioning: "hard link 'shadow' points at '/etc/shadow', outside the package")
    }

    @Test func hardLinkToALaterFileOrAFolderIsRefused() {
        var later = base()
        later.add("early", type: "1", link: "late.txt")
        later.add("late.txt", content: Array("x".utf8))
        expectRefused(later.finished(), .unsafeLink, mentioning: "'late.txt', which is not an earlier regular file")
        var folder = base()
        folder.add("dir/", type: "5")
        folder.add("link", type: "1", link: "dir")
        expectRefused(folder.finished(), .unsafeLink, mentioning: "hard link 'link' points at 'dir'")
    }

    @Test func gnuLongLinkTargetsAreReadAndChecked() throws {
        let deep = String(repeating: "folder/", count: 15)
        var inside = base()
        inside.longLink(deep + "../../server.py")
        inside.add("alias", type: "2", link: String((deep + "../../server.py").prefix(100)))
        let package = try PackageArchive.inspect(bytes: inside.finished())
        #expect(package.entries.last?.kind == .symlink(target: deep + "../../server.py"))

        var outside = base()
        outside.longLink(String(repeating: "../", count: 40) + "etc/passwd")
        outside.add("alias", type: "2", link: "harmless")
        expectRefused(outside.finished(), .unsafeLink, mentioning: "symlink 'alias' -> '../../../")
    }

    @Test func symlinkLeavingThePackageIsRefused() {
        var tar = base()
        tar.add("sub/", type: "5")
        tar.add("sub/up", type: "2", link: "../../etc")
        expectRefused(tar.finished(), .unsafeLink, mentioning: "symlink 'sub/up' -> '../../etc' resolves outside the package")
    }

    @Test(arguments: [("3", "character device"), ("4", "block device"), ("6", "FIFO")])
    func specialFilesAreRefused(type: String, what: String) {
        var tar = base()
        tar.add("dev/thing", type: Character(type))
        expectRefused(gzip(tar.finished()), .specialFile, mentioning: "entry 'dev/thing' is a \(what)")
    }

    @Test func tarGzBombStopsInflatingAtTheRatio() {
        // 150 MiB of zeros (under the 200 MiB total) compress about 1000:1; inflation must stop near 100:1.
        var header = TarBuilder()
        header.add("hangar.json", content: Array(manifestJSON.utf8))
        header.add("zeros.bin", declaredSize: 150 << 20)
        var pieces: [[UInt8]] = [header.bytes]
        pieces += Array(repeating: [UInt8](repeating: 0, count: 1 << 20), count: 150)
        pieces.append([UInt8](repeating: 0, count: 1_024))
        var next = 0
        let bomb = gzip { defer { next += 1 }; return next < pieces.count ? pieces[next] : nil }
        #expect(bomb.count < 1 << 20)
        expectRefused(bomb, .compressionRatio, mentioning: "(at entry 'zeros.bin'); inflation was stopped")
    }

    @Test func declaredHugeTarEntryIsRefusedFromItsHeader() {
        var tar = base()
        tar.add("huge.bin", declaredSize: 1 << 30)
        expectRefused(gzip(tar.bytes), .tooLarge, mentioning: "at entry 'huge.bin', 1073741824 bytes")
    }

    @Test func tooManyEntriesAreRefused() {
        var tar = base()
        for i in 0..<20 { tar.add("f\(i)") }
        var limits = PackageLimits()
        limits.maxEntries = 10
        expectRefused(tar.finished(), .tooManyEntries, mentioning: "more than 10 entries (stopped at 'f8')", limits: limits)
    }

    @Test func duplicateNamesAreRefused() {
        var tar = base()
        tar.add("server.py", content: Array("print('again')\n".utf8))
        expectRefused(tar.finished(), .duplicatePath, mentioning: "'server.py' appears more than once")
    }

    @Test func truncatedAndDamagedTarsAreRefused() {
        var tar = base()
        tar.add("big.txt", content: [UInt8](repeating: 0x41, count: 5_000))
        let whole = tar.finished()
        expectRefused(Array(whole.prefix(3_000)), .corruptArchive, mentioning: "truncated inside entry 'big.txt'")
        expectRefused(Array(tar.bytes), .corruptArchive, mentioning: "ends without its end-of-archive marker")
        let zipped = gzip(whole)
        expectRefused(Array(zipped.prefix(zipped.count - 30)), .corruptArchive, mentioning: "truncated")
        var badChecksum = whole
        badChecksum[1_024 + 10] ^= 0x01
        expectRefused(badChecksum, .corruptArchive, mentioning: "a tar header after entry 'hangar.json' is damaged")
    }
}
