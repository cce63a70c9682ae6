import Foundation
import HangarPackages
import Testing

/// Archives made by the tools people actually use, so the readers match real-world output:
/// GNU tar (GNU long names) and Info-ZIP writing to a pipe (data descriptors, Unix modes, symlinks).
@Suite("Archives from GNU tar and Info-ZIP")
struct ToolArchiveTests {
    static let longName = String(repeating: "deeply-nested/", count: 9) + "module_with_a_rather_long_name.py"

    /// A package folder with a manifest, an executable script, a long path and a symlink.
    private func makeFolder() throws -> String {
        let folder = freshDestination()
        let files = FileManager.default
        try files.createDirectory(atPath: folder + "/" + (Self.longName as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try #"{"name": "tools", "command": ["./run.sh"]}"#.write(toFile: folder + "/hangar.json", atomically: false, encoding: .utf8)
        try "#!/bin/sh\nexec python3 server.py\n".write(toFile: folder + "/run.sh", atomically: false, encoding: .utf8)
        try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/run.sh")
        try "x = 1\n".write(toFile: folder + "/" + Self.longName, atomically: false, encoding: .utf8)
        try files.createSymbolicLink(atPath: folder + "/start", withDestinationPath: "run.sh")
        return folder
    }

    private func run(_ script: String, in folder: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(script) failed")
        return [UInt8](data)
    }

    private func expectExtractsLikeTheFolder(_ archive: [UInt8], format: String, withSymlink: Bool = true) throws {
        let package = try PackageArchive.inspect(bytes: archive)
        #expect(package.formatName == format)
        #expect(package.manifest.command == ["./run.sh"])
        let destination = freshDestination()
        defer { try? FileManager.default.removeItem(atPath: destination) }
        try package.extract(to: destination)
        #expect(try String(contentsOfFile: destination + "/" + Self.longName, encoding: .utf8) == "x = 1\n")
        if withSymlink {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: destination + "/start") == "run.sh")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: destination + "/run.sh")[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o755)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tar"), "needs GNU tar at /usr/bin/tar"))
    func gnuTarGzip() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // `tar -czf - .` starts with a "./" entry for the root folder, which is accepted and skipped.
        try expectExtractsLikeTheFolder(run("tar --format=gnu -czf - .", in: folder), format: "tar.gz")
        try expectExtractsLikeTheFolder(run("tar --format=pax -cf - .", in: folder), format: "tar")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zip"), "needs Info-ZIP at /usr/bin/zip"))
    func infoZipToAPipe() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try expectExtractsLikeTheFolder(run("zip -q -r -y ../$$.zip . && cat ../$$.zip && rm ../$$.zip", in: folder), format: "zip")
        // Streamed to a pipe, zip writes data descriptors after each entry (it cannot stream symlinks).
        let streamed = try run("zip -q -r - hangar.json run.sh deeply-nested | cat", in: folder)
        try expectExtractsLikeTheFolder(streamed, format: "zip", withSymlink: false)
    }
}
