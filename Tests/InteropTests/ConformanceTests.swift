import Foundation
import HangarCore
import Testing

extension Interop {
    /// jbt-mcpcheck's 2026-07-28 conformance checks (handshake, session, discover, protocol
    /// headers and error codes, schemas, errors, cache hints, Origin) all pass against Hangar.
    @Suite(.pythonPeers)
    struct ConformanceTests {
        @Test("mcpcheck passes every check, with no spec-level warning")
        func mcpcheck() async throws {
            let daemon = try await Daemon.start(servers: [
                "fast": Daemon.fastServer(),
                "time": ["command": .string(TestEnvironment.peer("main", "mcp-server-time"))],
            ])
            defer { Task { await daemon.stop() } }
            let check = try await TestProcess.start(TestEnvironment.peer("main", "mcpcheck"), [daemon.url, "--json"])
            _ = await check.waitForExit(timeout: .seconds(120))
            // The report is pretty-printed JSON over many lines: read them all once stdout has ended.
            #expect(await check.waitForEndOfOutput())
            let json = try JSONParser.parse(check.stdoutLines.joined(separator: "\n"), limits: .upstream)
            let checks = json["checks"]?.arrayValue ?? []
            #expect(checks.count >= 8)
            for c in checks {
                let name = c["name"]?.stringValue ?? "?"
                #expect(c["passed"]?.boolValue == true, "\(name) failed: \(c["failures"] ?? .null)")
                // Best-practice notes about the upstreams' own tool definitions are theirs, not Hangar's.
                let specWarnings = (c["warnings"]?.arrayValue ?? []).filter { $0["level"]?.stringValue != "best-practice" }
                #expect(specWarnings.isEmpty, "\(name) warned: \(specWarnings)")
            }
        }
    }
}
