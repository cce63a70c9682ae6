import Foundation
import HangarCore
import HangarTransport
import Testing

extension Interop {
    /// Hosted servers as a user runs them: `hangar add` against the daemon, the server in the
    /// sandbox, its tools on the one endpoint, and its lifecycle across daemon restarts.
    @Suite(.serialized)
    struct HostingTests {
        static func cli(_ daemon: Daemon, _ arguments: [String]) async throws -> (status: Int32?, out: [String], err: [String]) {
            try await PolicyTests.cli(daemon, arguments, key: daemon.adminKey)
        }

        static func ps(_ daemon: Daemon) async throws -> [String: JSONValue] {
            let (_, json) = try await PolicyTests.admin(daemon, "servers", key: daemon.adminKey)
            var out: [String: JSONValue] = [:]
            for s in json["servers"]?.arrayValue ?? [] { if let n = s["name"]?.stringValue { out[n] = s } }
            return out
        }

        /// Waits (bounded) until the server reaches `state`; returns its last snapshot.
        static func waitFor(_ daemon: Daemon, _ name: String, state: String, timeout: Duration = .seconds(30)) async throws -> JSONValue? {
            let deadline = ContinuousClock.now + timeout
            var last: JSONValue?
            while ContinuousClock.now < deadline {
                last = try await ps(daemon)[name]
                if last?["state"]?.stringValue == state { return last }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("\(name) did not reach \(state): \(last.map { JSONWriter.string($0) } ?? "absent")")
            return last
        }

        static func text(_ reply: (Int, JSONValue, String?)) -> String? {
            reply.1["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
        }

        @Test("hangar add: the server runs in the sandbox where its placement says, its tools join the endpoint, stop and start work, logs are kept")
        func addRunStopStart() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let added = try await Self.cli(daemon, ["add", "fast", "--memory", "256M", "--pids", "64", "--", TestEnvironment.fastUpstream])
            #expect(added.status == 0, "\(added.err)")
            let running = try await Self.waitFor(daemon, "fast", state: "running")
            let isolation = running?["isolation"]?.stringValue ?? ""
            #expect(isolation.contains("bubblewrap") && isolation.contains("seccomp") && isolation.contains("cgroupMemory"), "\(isolation)")
            // Not a Python server: every CPU by default (auto); --placement one-cpu keeps it on one.
            let everyCPU = CPUAffinityProbe.format(try CPUAffinityProbe.usable())
            let pid = try #require(running?["pid"]?.intValue)
            #expect(try CPUAffinityProbe.allowedList("\(pid)") == everyCPU)
            #expect(running?["cpus"]?.stringValue == everyCPU, "the admin API shows where it runs")
            #expect(try await Self.cli(daemon, ["add", "narrow", "--placement", "one-cpu", "--", TestEnvironment.fastUpstream]).status == 0)
            let narrow = try await Self.waitFor(daemon, "narrow", state: "running")
            let placed = try CPUAffinityProbe.allowedList("\(try #require(narrow?["pid"]?.intValue))")
            #expect(Int(placed) != nil, "one CPU: \(placed)")
            #expect(narrow?["cpus"]?.stringValue == placed)
            #expect(try await Self.cli(daemon, ["rm", "narrow"]).status == 0)
            #expect(Self.text(try await PolicyTests.call(daemon, "fast__echo", ["text": "hosted"], key: nil)) == "hosted")
            // Inside the sandbox the server's home is its own folder.
            #expect(Self.text(try await PolicyTests.call(daemon, "fast__env", ["name": "HOME"], key: nil)) == "/srv")
            let logs = try await Self.cli(daemon, ["logs", "fast"])
            #expect(logs.out.contains("hangar-fast-upstream ready"))
            let ps = try await Self.cli(daemon, ["ps"])
            #expect(ps.out.joined(separator: "\n").contains("running"))
            #expect(try await Self.cli(daemon, ["stop", "fast"]).status == 0)
            _ = try await Self.waitFor(daemon, "fast", state: "stopped")
            let stopped = try await PolicyTests.call(daemon, "fast__echo", ["text": "x"], key: nil)
            #expect(stopped.1["error"]?["code"]?.intValue == -31801)
            #expect(try await Self.cli(daemon, ["start", "fast"]).status == 0)
            _ = try await Self.waitFor(daemon, "fast", state: "running")
            #expect(Self.text(try await PolicyTests.call(daemon, "fast__echo", ["text": "again"], key: nil)) == "again")
            #expect(try await Self.cli(daemon, ["rm", "fast"]).status == 0)
            #expect(try await Self.ps(daemon)["fast"] == nil)
            #expect(!(try await PolicyTests.toolNames(daemon, key: nil).1.contains("fast__echo")))
        }

        @Test("A secret in a hosted server's env is resolved at launch and redacted when echoed")
        func hostedSecret() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let value = "hosted-\(UUID().uuidString)"
            #expect(try await PolicyTests.cli(daemon, ["secrets", "set", "tok", "--value", value], key: nil).status == 0)
            #expect(try await Self.cli(daemon, ["add", "fast", "--env", "TOKEN=${secret:tok}", "--", TestEnvironment.fastUpstream]).status == 0)
            _ = try await Self.waitFor(daemon, "fast", state: "running")
            #expect(Self.text(try await PolicyTests.call(daemon, "fast__env", ["name": "TOKEN"], key: nil)) == "[redacted:tok]")
        }

        @Test("A restarted daemon brings back what ran; a SIGKILLed daemon leaves no hosted process")
        func restoreAfterRestartAndNoOrphans() async throws {
            let first = try await Daemon.start(servers: [:])
            #expect(try await Self.cli(first, ["add", "fast", "--", TestEnvironment.fastUpstream]).status == 0)
            #expect(try await Self.cli(first, ["add", "idle", "--no-start", "--", TestEnvironment.fastUpstream]).status == 0)
            let pid = try #require(try await Self.waitFor(first, "fast", state: "running")?["pid"]?.intValue)
            first.process.child.signalGroup(SIGKILL)
            _ = await first.process.waitForExit(timeout: .seconds(10))
            #expect(await ProcessWatch.gone(pid: Int32(pid), within: .seconds(10)), "the hosted server died with the daemon")
            let second = try await Daemon.start(reusing: first)
            defer { Task { await second.stop() } }
            let back = try await Self.waitFor(second, "fast", state: "running")
            #expect(back?["pid"]?.intValue != pid)
            #expect(try await Self.ps(second)["idle"]?["state"]?.stringValue == "pending")
            #expect(Self.text(try await PolicyTests.call(second, "fast__echo", ["text": "restored"], key: nil)) == "restored")
        }

        @Test("An instance with a time to live expires, and restore brings it back")
        func expiryAndRestore() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            // Long enough that a loaded machine still sees it running before it expires.
            #expect(try await Self.cli(daemon, ["add", "short", "--ttl", "5s", "--", TestEnvironment.fastUpstream]).status == 0)
            _ = try await Self.waitFor(daemon, "short", state: "running")
            _ = try await Self.waitFor(daemon, "short", state: "expired")
            #expect(try await PolicyTests.call(daemon, "short__echo", ["text": "x"], key: nil).1["error"] != nil)
            #expect(try await Self.cli(daemon, ["restore", "short"]).status == 0)
            _ = try await Self.waitFor(daemon, "short", state: "running")
            #expect(Self.text(try await PolicyTests.call(daemon, "short__echo", ["text": "alive"], key: nil)) == "alive")
        }

        @Test("An instance token opens only its own /i/NAME/mcp, which serves only that server")
        func instanceEndpoints() async throws {
            let daemon = try await Daemon.start(servers: ["cfg": Daemon.fastServer()], policy: ["auth": "required"])
            defer { Task { await daemon.stop() } }
            let added = try await Self.cli(daemon, ["add", "solo", "--json", "--", TestEnvironment.fastUpstream])
            let reply = try JSONParser.parse(added.out.joined(), limits: .upstream)
            let token = try #require(reply["instance"]?["token"]?.stringValue)
            #expect(reply["instance"]?["path"]?.stringValue == "/i/solo/mcp")
            _ = try await Self.waitFor(daemon, "solo", state: "running")
            #expect(try await Self.cli(daemon, ["add", "other", "--no-start", "--", TestEnvironment.fastUpstream]).status == 0)
            let instance = Daemon(process: daemon.process, url: daemon.baseURL + "/i/solo/mcp", directory: daemon.directory, adminKey: nil)
            let (status, names) = try await PolicyTests.toolNames(instance, key: token)
            #expect(status == 200)
            #expect(names.contains("solo__echo") && !names.contains { $0.hasPrefix("cfg__") }, "\(names)")
            #expect(Self.text(try await PolicyTests.call(instance, "solo__echo", ["text": "mine"], key: token)) == "mine")
            let foreign = try await PolicyTests.call(instance, "cfg__echo", ["text": "x"], key: token)
            #expect(foreign.1["error"] != nil, "another server's tool is not reachable through an instance")
            #expect(try await PolicyTests.toolNames(daemon, key: token).0 == 403, "the token does not open the main endpoint")
            let elsewhere = Daemon(process: daemon.process, url: daemon.baseURL + "/i/other/mcp", directory: daemon.directory, adminKey: nil)
            #expect(try await PolicyTests.toolNames(elsewhere, key: token).0 == 403)
            #expect(try await PolicyTests.toolNames(instance, key: nil).0 == 401)
            #expect(try await PolicyTests.toolNames(instance, key: "hi_AAAAAAAA_" + String(repeating: "B", count: 32)).0 == 401)
            let missing = Daemon(process: daemon.process, url: daemon.baseURL + "/i/nope/mcp", directory: daemon.directory, adminKey: nil)
            #expect(try await PolicyTests.toolNames(missing, key: token).0 == 404)
        }

        @Test("Bad requests get clear errors: no command, a taken name, an unknown server, a bad limit, a bad placement")
        func badRequests() async throws {
            let daemon = try await Daemon.start(servers: ["cfg": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let noCommand = try await Self.cli(daemon, ["add", "x"])
            #expect(noCommand.status != 0 && noCommand.err.joined().contains("after --"))
            let taken = try await Self.cli(daemon, ["add", "cfg", "--", TestEnvironment.fastUpstream])
            #expect(taken.status != 0 && taken.err.joined().contains("409") && taken.err.joined().contains("already exists"))
            let unknown = try await Self.cli(daemon, ["stop", "nope"])
            #expect(unknown.status != 0 && unknown.err.joined().contains("404"))
            let badName = try await Self.cli(daemon, ["add", "../evil", "--", TestEnvironment.fastUpstream])
            #expect(badName.status != 0 && badName.err.joined().contains("400"), "\(badName)")
            let badMemory = try await Self.cli(daemon, ["add", "m", "--memory", "lots", "--", TestEnvironment.fastUpstream])
            #expect(badMemory.status != 0)
            let badPlacement = try await Self.cli(daemon, ["add", "p", "--placement", "two", "--", TestEnvironment.fastUpstream])
            #expect(badPlacement.status != 0 && badPlacement.err.joined().contains("placement must be \"auto\""), "\(badPlacement)")
            #expect(try await Self.ps(daemon).isEmpty)
        }
    }
}

/// Waits for a process to be gone, without polling: pidfd readiness, bounded.
enum ProcessWatch {
    static func gone(pid: Int32, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if kill(pid, 0) != 0 && errno == ESRCH { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
