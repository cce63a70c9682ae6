import Foundation
import HangarCore
import Testing

extension Interop {
    /// The official Python SDK client (mcp 2.x) lists and calls tools through Hangar: over HTTP and
    /// stdio, in `auto` (modern first) and `legacy` modes, with an aggregate of real peers behind it.
    @Suite(.pythonPeers, .serialized)
    struct SDKClientTests {
        static let convertArgs = #"{"time":"12:00","source_timezone":"UTC","target_timezone":"Asia/Tokyo"}"#

        /// mcp-server-time + mcp-server-git (stdio), a FastMCP server over HTTP, mcp-server-sqlite (legacy-only, mcp<2).
        static func aggregate(fastmcpURL: String, dir: String) throws -> JSONValue {
            let repo = dir + "/repo"
            try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
            let git = Process()
            git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            git.arguments = ["init", "-q", repo]
            try git.run()
            git.waitUntilExit()
            return [
                "time": ["command": .string(TestEnvironment.peer("main", "mcp-server-time"))],
                "git": ["command": .string(TestEnvironment.peer("main", "mcp-server-git")), "args": ["--repository", .string(repo)]],
                "fastmcp": ["url": .string(fastmcpURL)],
                "sqlite": ["command": .string(TestEnvironment.peer("legacy", "mcp-server-sqlite")), "args": ["--db-path", .string(dir + "/db.sqlite")]],
            ]
        }

        static func startFastMCP() async throws -> (TestProcess, String) {
            let server = try await TestProcess.start(TestEnvironment.python, [TestEnvironment.script("fastmcp_server.py"), "--transport", "http", "--port", "0"])
            guard let ready = await server.waitForLine(timeout: .seconds(60), { $0.hasPrefix("READY ") }) else {
                await server.stop()
                throw DaemonError(message: "fastmcp server did not start")
            }
            return (server, String(ready.dropFirst(6)))
        }

        @Test("HTTP: the SDK client sees and calls every upstream's tools", arguments: ["auto", "legacy"])
        func http(mode: String) async throws {
            let dir = try TestEnvironment.temporaryDirectory()
            let (fastmcp, fastmcpURL) = try await Self.startFastMCP()
            defer { Task { await fastmcp.stop() } }
            let daemon = try await Daemon.start(servers: try Self.aggregate(fastmcpURL: fastmcpURL, dir: dir))
            defer { Task { await daemon.stop() } }

            let listed = try await runSDKClient(["--mode", mode, "--url", daemon.url, "--list-tools"])
            #expect(listed["protocolVersion"]?.stringValue == (mode == "auto" ? ProtocolVersion.modern : ProtocolVersion.latestLegacy))
            let names = Set(listed["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            for expected in ["time__convert_time", "git__git_status", "fastmcp__echo", "sqlite__list_tables"] {
                #expect(names.contains(expected), "missing \(expected) in \(names.sorted())")
            }

            let converted = try await runSDKClient(["--mode", mode, "--url", daemon.url, "--call", "time__convert_time", "--args", Self.convertArgs])
            let text = converted["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains("21:00"), "convert_time said: \(text.prefix(300))")

            let echoed = try await runSDKClient(["--mode", mode, "--url", daemon.url, "--call", "fastmcp__echo", "--args", #"{"text":"through hangar"}"#])
            #expect(echoed["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "through hangar")

            let tables = try await runSDKClient(["--mode", mode, "--url", daemon.url, "--call", "sqlite__list_tables", "--args", "{}"])
            #expect(tables["result"]?["isError"]?.boolValue != true, "legacy-only sqlite failed: \(tables)")
            try? FileManager.default.removeItem(atPath: dir)
        }

        @Test("stdio: `hangar stdio` as the client's only server", arguments: ["auto", "legacy"])
        func stdio(mode: String) async throws {
            let dir = try TestEnvironment.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let config = dir + "/hangar.json"
            try TestEnvironment.write(["mcpServers": [
                "time": ["command": .string(TestEnvironment.peer("main", "mcp-server-time"))],
                "sqlite": ["command": .string(TestEnvironment.peer("legacy", "mcp-server-sqlite")), "args": ["--db-path", .string(dir + "/db.sqlite")]],
            ]], to: config)
            let stdioCommand = ["--stdio", "--", TestEnvironment.hangar, "stdio", "--config", config]
            let listed = try await runSDKClient(["--mode", mode, "--list-tools"] + stdioCommand)
            #expect(listed["protocolVersion"]?.stringValue == (mode == "auto" ? ProtocolVersion.modern : ProtocolVersion.latestLegacy))
            let names = Set(listed["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            #expect(names.isSuperset(of: ["time__convert_time", "time__get_current_time", "sqlite__read_query"]), "\(names.sorted())")

            let converted = try await runSDKClient(["--mode", mode, "--call", "time__convert_time", "--args", Self.convertArgs] + stdioCommand)
            #expect(converted["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("21:00") == true, "\(converted)")
        }

        @Test("resources and prompts pass through, modern client over a legacy-era FastMCP session")
        func resourcesAndPrompts() async throws {
            let (fastmcp, fastmcpURL) = try await Self.startFastMCP()
            defer { Task { await fastmcp.stop() } }
            let daemon = try await Daemon.start(servers: ["fm": ["url": .string(fastmcpURL)], "fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            for mode in ["auto", "legacy"] {
                let read = try await runSDKClient(["--mode", mode, "--url", daemon.url, "--read-resource", "memo://hello"])
                #expect(read["result"]?["contents"]?.arrayValue?.first?["text"]?.stringValue == "hello from fastmcp", "\(mode): \(read)")
                let item = try await runSDKClient(["--mode", mode, "--url", daemon.url, "--read-resource", "fast://items/42"])
                #expect(item["result"]?["contents"]?.arrayValue?.first?["text"]?.stringValue == "item 42", "\(mode): \(item)")
                let prompt = try await runSDKClient(["--mode", mode, "--url", daemon.url, "--get-prompt", "fm__greet", "--args", #"{"name":"Ada"}"#])
                #expect(JSONWriter.string(prompt["result"] ?? .null).contains("Ada"), "\(mode): \(prompt)")
            }
        }
    }
}
