import Foundation
import HangarCore
import Testing

extension Interop {
    /// `hangar tools` and `hangar call` from the terminal, as the README shows them.
    @Suite(.serialized)
    struct CLITests {
        static func config(_ servers: JSONValue, gateway: JSONValue = [:]) throws -> String {
            let dir = try TestEnvironment.temporaryDirectory()
            let path = dir + "/hangar.json"
            try TestEnvironment.write(["mcpServers": servers, "gateway": gateway], to: path)
            return path
        }

        static func run(_ arguments: [String]) async throws -> (status: Int32?, out: [String], err: [String]) {
            let process = try await TestProcess.start(TestEnvironment.hangar, arguments)
            let status = await process.waitForExit(timeout: .seconds(60))
            // Output lines arrive on their own channel: wait for stdout's end before reading them.
            #expect(await process.waitForEndOfOutput())
            return (status, process.stdoutLines, process.stderrLines)
        }

        @Test("`hangar tools --json` shows each tool's server and original name, and the collisions")
        func toolsJSON() async throws {
            let path = try Self.config(["a": Daemon.fastServer(), "b": Daemon.fastServer()], gateway: ["prefixTools": false])
            let (status, out, _) = try await Self.run(["tools", "--config", path, "--json"])
            #expect(status == 0)
            let json = try JSONParser.parse(out.joined(), limits: .upstream)
            let tools = json["tools"]?.arrayValue ?? []
            let echo = tools.first { $0["name"]?.stringValue == "echo" }
            #expect(echo?["server"]?.stringValue == "a")
            let second = tools.first { $0["name"]?.stringValue == "b__echo" }
            #expect(second?["server"]?.stringValue == "b")
            #expect(second?["originalName"]?.stringValue == "echo")
            let collisions = json["collisions"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(collisions.contains { $0.contains("'echo' of 'b'") }, "\(collisions)")
        }

        @Test("`hangar call` prints the tool's text and exits 0; an unknown tool exits non-zero with a message")
        func call() async throws {
            let path = try Self.config(["fast": Daemon.fastServer()])
            let ok = try await Self.run(["call", "fast__echo", "--args", #"{"text":"from the terminal"}"#, "--config", path])
            #expect(ok.status == 0)
            #expect(ok.out == ["from the terminal"])
            let unknown = try await Self.run(["call", "fast__nope", "--config", path])
            #expect(unknown.status != 0)
            #expect(unknown.err.contains { $0.contains("Unknown tool: fast__nope") }, "\(unknown.err)")
            let badArgs = try await Self.run(["call", "fast__echo", "--args", "{oops", "--config", path])
            #expect(badArgs.status != 0)
            #expect(badArgs.err.contains { $0.contains("--args is not valid JSON") }, "\(badArgs.err)")
        }
    }
}
