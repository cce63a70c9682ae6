import Foundation
import HangarCore
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
