import AsyncHTTPClient
import Foundation
import HangarCore
import HangarSandbox
import HangarSupervisor
import HangarTransport
import Logging
import NIOCore
import NIOHTTP1

/// `GatewayBenchmark --hosting`: what hosting costs. Start-to-ready of the fast server launched
/// bare (spawn, first answer on stdio) against `hangar serve` hosting it in the sandbox (admin
/// API add until the daemon reports it running, i.e. handshake done and tools in the catalog);
/// then the daemon's memory with 100 hosted fast servers and tools/list over their aggregate.
struct HostingScenarios {
    let workspace: Workspace
    let runs: Int
    let hosted: Int

    func run() async {
        print("Hosting (\(runs) starts each; \(hosted) hosted servers)")
        await launcherStarts()
        let bare = await bareStarts()
        do {
            let config = try workspace.writeConfig("serve-hosting", servers: [])
            let server = try await HTTPFrontProcess.start(hangar: workspace.hangar, config: config, environment: workspace.environment)
            defer { Task { await server.stop() } }
            let base = "http://127.0.0.1:\(server.endpoint.port)"
            var sandboxed = LatencySamples(capacity: runs)
            for i in 0..<runs {
                let started = ContinuousClock.now
                try await admin(.POST, base, "servers", ["name": .string("s\(i)"), "command": [.string(workspace.fastUpstream)]])
                try await waitRunning(base, "s\(i)")
                sandboxed.record(ContinuousClock.now - started)
                try await admin(.DELETE, base, "servers/s\(i)")
            }
            let (b, s) = (bare.percentiles([0.5, 0.9]), sandboxed.percentiles([0.5, 0.9]))
            print(String(format: "  start-to-ready, bare spawn:         p50 %7.2f ms  p90 %7.2f ms", b[0], b[1]))
            print(String(format: "  start-to-ready, hosted (sandboxed): p50 %7.2f ms  p90 %7.2f ms", s[0], s[1]))
            print(String(format: "  added by hosting end to end (admin API, supervisor, sandbox, handshake, catalog, 1 ms polling): p50 %.2f ms",
                         s[0] - b[0]))
            let idle = server.residentBytes() ?? 0
            for i in 0..<hosted {
                try await admin(.POST, base, "servers", ["name": .string("h\(i)"), "command": [.string(workspace.fastUpstream)]])
            }
            for i in 0..<hosted { try await waitRunning(base, "h\(i)", timeout: .seconds(120)) }
            try? await Task.sleep(for: .seconds(1))
            let rss = server.residentBytes() ?? 0
            print(String(format: "  daemon RSS: %.1f MB with no hosted server, %.1f MB with %d (children excluded; target <= 100 MB: %@)",
                         Double(idle) / 1e6, Double(rss) / 1e6, hosted, rss <= 100_000_000 ? "met" : "MISSED"))
            var list = LatencySamples(capacity: 50)
            var tools = 0
            for i in 0..<60 {
                let started = ContinuousClock.now
                let (result, _) = try server.endpoint.call(MCPRequest(method: "tools/list"), id: Int64(i + 1))
                if i >= 10 { list.record(ContinuousClock.now - started) }
                tools = result["tools"]?.arrayValue?.count ?? 0
            }
            let l = list.percentiles([0.5, 0.99])
            print(String(format: "  tools/list of %d tools over %d hosted servers: p50 %.2f ms  p99 %.2f ms (target <= 10 ms: %@)",
                         tools, hosted, l[0], l[1], l[0] <= 10 ? "met" : "MISSED"))
        } catch {
            print("  hosting scenario failed: \(error)")
        }
    }

    /// The sandbox alone: the supervisor's plain launcher against the sandbox launcher, each
    /// from launch to the fast server's first answer on its pipes.
    private func launcherStarts() async {
        let folder = workspace.directory + "/launcher-servers"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(workspace.directory, 0o711)
        chmod(folder, 0o711)
        let probe = await SandboxProbe.run()
        let launchers: [(String, any WorkloadLauncher)] = [
            ("plain launcher", ProcessLauncher()),
            ("sandbox launcher", SandboxLauncher(probe: probe, serversDirectory: folder, logger: Logger(label: "bench"))),
        ]
        var p50s: [Double] = []
        for (label, launcher) in launchers {
            var samples = LatencySamples(capacity: runs)
            for i in 0..<runs {
                let spec = WorkloadSpec(name: "b\(i)", command: [workspace.fastUpstream])
                let started = ContinuousClock.now
                do {
                    let process = try await launcher.launch(spec)
                    if let stdio = process.takeStdio() {
                        try writeAll(stdio.stdin, MCPRequest(method: "server/discover").line(id: 1))
                        let answered = try await onThread("bench-launch") {
                            try ByteReader(fd: stdio.stdout, timeoutMilliseconds: 10_000).withLine { $0.count > 0 }
                        }
                        if answered { samples.record(ContinuousClock.now - started) }
                        close(stdio.stdin)
                        close(stdio.stdout)
                    }
                    await process.terminate(grace: .milliseconds(200))
                    await process.cleanup()
                } catch {
                    print("  \(label): launch failed: \(error)")
                }
            }
            let p = samples.percentiles([0.5, 0.9])
            p50s.append(p[0])
            print(String(format: "  launch to first answer, %@: p50 %7.2f ms  p90 %7.2f ms", label, p[0], p[1]))
        }
        if p50s.count == 2 {
            print(String(format: "  added by the sandbox (bubblewrap, uid, rlimits, cgroups, seccomp, netns): p50 %.2f ms  (target <= 30 ms: %@)",
                         p50s[1] - p50s[0], p50s[1] - p50s[0] <= 30 ? "met" : "MISSED"))
        }
    }

    private func bareStarts() async -> LatencySamples {
        var samples = LatencySamples(capacity: runs)
        for _ in 0..<runs {
            let started = ContinuousClock.now
            guard let peer = try? await StdioPeer.start(workspace.spec(workspace.fastUpstream, [])) else { continue }
            if (try? peer.call(MCPRequest(method: "server/discover"))) != nil { samples.record(ContinuousClock.now - started) }
            await peer.stop()
        }
        return samples
    }

    @discardableResult
    private func admin(_ method: HTTPMethod, _ base: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + "/api/v1/" + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw BenchmarkError("\(method) \(path): HTTP \(response.status.code) \(String(buffer: bytes))")
        }
        return bytes.readableBytes == 0 ? .null : try JSONParser.parse(Array(bytes.readableBytesView), limits: .upstream)
    }

    /// Polls the daemon's status (every millisecond) until the server runs.
    private func waitRunning(_ base: String, _ name: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await admin(.GET, base, "servers/\(name)")["state"]?.stringValue == "running" { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw BenchmarkError("\(name) did not reach running within \(timeout)")
    }
}
