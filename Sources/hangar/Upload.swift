import ArgumentParser
import Foundation
import HangarCore

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Host a packaged server: hangar upload NAME ARCHIVE (zip, tar or tar.gz with hangar.json at its root).",
        discussion: """
            hangar.json: {"command": ["python3", "server.py"], "env": {...}, "network": "none" | [domains], \
            "memory": "256M", "cpus": 0.5, "pids": 64, "port": false, "ttlSeconds": 3600}. A server.json is accepted too. \
            The daemon checks every entry before writing anything (paths, links, device files, sizes, compression ratio) \
            and scans the files for dangerous patterns.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The server's name.") var name: String
    @Argument(help: "The archive file.") var archive: String
    @Option(help: "block (default: refuse critical findings), strict (refuse warnings too) or warn (report only).") var scan: String = "block"
    @Flag(help: "Add it stopped.") var noStart = false

    func run() async throws {
        guard let bytes = FileManager.default.contents(atPath: archive) else { throw CLIError("cannot read \(archive)") }
        let boundary = "hangar-" + UUID().uuidString
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"\((archive as NSString).lastPathComponent)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let query = "name=\(name)&scan=\(scan)" + (noStart ? "&start=false" : "")
        let reply = try await daemon.client.call(.POST, "servers/upload?" + query, raw: (body, "multipart/form-data; boundary=\(boundary)"),
                                                 timeout: .seconds(300))
        if daemon.json { print(JSONWriter.string(reply)); return }
        print("uploaded \(name): \(reply["state"]?.stringValue ?? "?")\(noStart ? "" : "; its tools appear as \(name)__TOOL once it runs")")
        if let summary = reply["scan"]?["summary"]?.stringValue { print("scan: \(summary)") }
        if let path = reply["instance"]?["path"]?.stringValue, let token = reply["instance"]?["token"]?.stringValue {
            print("instance endpoint: \(daemon.client.base)\(path)")
            print("instance token (shown only now; it opens only that endpoint): \(token)")
        }
    }
}
