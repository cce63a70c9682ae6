import Foundation
import HangarCore
import HangarTransport
import Testing

extension Interop {
    /// A hosted server that speaks Streamable HTTP: it listens on the port Hangar gives it in
    /// PORT, inside its own network namespace; the gateway reaches it through a bridge.
    @Suite(.serialized)
    struct HostedHTTPTests {
        @Test("An HTTP server hosted in the sandbox answers through the gateway; its port is reachable only through Hangar; stop and start work")
        func httpServer() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let peers = TestEnvironment.packageRoot + "/Tests/Peers"
            let added = try await HostingTests.cli(daemon, ["add", "web", "--http", "/mcp", "--cwd", peers, "--",
                                                            "/usr/bin/python3", peers + "/http_stdlib_server.py"])
            #expect(added.status == 0, "\(added.err)")
            let running = try await HostingTests.waitFor(daemon, "web", state: "running")
            let port = try #require(running?["port"]?.intValue, "\(String(describing: running))")
            let text = HostingTests.text(try await PolicyTests.call(daemon, "web__whoami", [:], key: nil))
            #expect(text == "served over HTTP on port \(port)")
            // The server's own port is in its network namespace, not on the host.
            #expect(!Self.accepts(port: Int(port)), "port \(port) must not be open on the host")
            #expect(try await HostingTests.cli(daemon, ["stop", "web"]).status == 0)
            _ = try await HostingTests.waitFor(daemon, "web", state: "stopped")
            #expect(try await HostingTests.cli(daemon, ["start", "web"]).status == 0)
            _ = try await HostingTests.waitFor(daemon, "web", state: "running")
            #expect(HostingTests.text(try await PolicyTests.call(daemon, "web__whoami", [:], key: nil))?.hasPrefix("served over HTTP") == true)
            let badPath = try await HostingTests.cli(daemon, ["add", "bad", "--http", "mcp", "--", "/usr/bin/python3"])
            #expect(badPath.status != 0 && badPath.err.joined().contains("must start with /"), "\(badPath.err)")
        }

        @Test("A request to a domain outside the allowlist is refused by the egress proxy, logged by the server and counted in /metrics")
        func egressDenialCounted() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let fetch = "import urllib.request, sys\ntry:\n urllib.request.urlopen('http://denied.example/', timeout=10)\nexcept Exception as e:\n print('fetch failed:', e, file=sys.stderr)"
            let script = "/usr/bin/python3 -c \"$FETCH\"; exec \"$FAST\""
            let added = try await HostingTests.cli(daemon, ["add", "egress", "--network", "allowed.example", "--cwd", TestEnvironment.buildDirectory,
                                                            "--env", "FETCH=\(fetch)", "--env", "FAST=\(TestEnvironment.fastUpstream)",
                                                            "--", "/bin/sh", "-c", script])
            #expect(added.status == 0, "\(added.err)")
            _ = try await HostingTests.waitFor(daemon, "egress", state: "running")
            let logs = try await HostingTests.cli(daemon, ["logs", "egress"]).out.joined(separator: "\n")
            #expect(logs.contains("fetch failed") && logs.contains("403"), "\(logs)")
            let metrics = StreamableHTTPClient(url: daemon.baseURL + "/metrics", limits: .upstream)
            let reply = try await metrics.send(.get, timeout: .seconds(10))
            guard case .text(let text) = reply.body else { Issue.record("no metrics text: \(reply.body)"); return }
            #expect(text.contains("hangar_egress_requests_total{server=\"egress\",decision=\"denied\"} 1"), "\(text)")
            #expect(text.contains("hangar_hosted_up{server=\"egress\"} 1"), "\(text)")
        }

        @Test("The config file's hosted servers run in the sandbox at start; a bad entry is reported and the others still run")
        func hostedFromConfig() async throws {
            let daemon = try await Daemon.start(servers: [:], hosted: [
                "fast": ["command": [.string(TestEnvironment.fastUpstream)], "memoryBytes": 268_435_456],
                "broken": ["command": "not a list"],
            ])
            defer { Task { await daemon.stop() } }
            let running = try await HostingTests.waitFor(daemon, "fast", state: "running")
            #expect(running?["isolation"]?.stringValue?.contains("bubblewrap") == true)
            #expect(HostingTests.text(try await PolicyTests.call(daemon, "fast__echo", ["text": "from config"], key: nil)) == "from config")
            #expect(try await HostingTests.ps(daemon)["broken"] == nil)
            #expect(daemon.process.stderrLines.contains { $0.contains("broken") && $0.contains("command") }, "\(daemon.process.stderrLines.suffix(5))")
        }

        static func accepts(port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
    }
}
