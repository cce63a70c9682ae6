import Foundation
import HangarSandbox
import Testing

@Suite("Egress proxy")
struct EgressProxyTests {
    @Test("allowlist: exact names and *. wildcards, case-insensitive, nothing else")
    func allowlist() throws {
        let list = try DomainAllowlist(["pypi.org", "*.example.com", "LOCALHOST"])
        #expect(list.allows("pypi.org"))
        #expect(list.allows("PyPI.org."))
        #expect(!list.allows("files.pypi.org"))
        #expect(list.allows("a.example.com"))
        #expect(list.allows("a.b.example.com"))
        #expect(!list.allows("example.com"))
        #expect(!list.allows("evilexample.com"))
        #expect(!list.allows("example.com.evil.net"))
        #expect(list.allows("localhost"))
        #expect(!list.allows("127.0.0.1"))
        #expect(!list.allows(""))
        #expect(throws: SandboxError.self) { try DomainAllowlist(["*"]) }
        #expect(throws: SandboxError.self) { try DomainAllowlist(["http://x.com"]) }
        #expect(throws: SandboxError.self) { try DomainAllowlist(["*.com"]) }
    }

    @Test("from inside a sandbox: allowed domains are reached (HTTP and CONNECT), others get 403 and are counted",
          .enabled(if: Machine.canSandbox, Machine.reason), .timeLimit(.minutes(1)))
    func throughSandbox() async throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let port = server.port
        let run = try await runSandboxed(python("""
            import http.client, os, socket, urllib.request, urllib.error
            print("proxy", os.environ["HTTPS_PROXY"])
            print("plain", urllib.request.urlopen("http://localhost:\(port)/plain", timeout=10).read().decode())
            c = http.client.HTTPConnection("127.0.0.1", 3128, timeout=10)
            c.set_tunnel("localhost", \(port))
            c.request("GET", "/tunnel"); print("tunnel", c.getresponse().read().decode())
            try:
                urllib.request.urlopen("http://denied.example/", timeout=10); print("denied reached")
            except urllib.error.HTTPError as e:
                print("denied status", e.code)
            c = http.client.HTTPConnection("127.0.0.1", 3128, timeout=10)
            c.set_tunnel("denied.example", 443)
            try:
                c.request("GET", "/"); print("tunnel reached")
            except OSError as e:
                print("tunnel refused", e)
            try:
                socket.create_connection(("127.0.0.1", \(port)), timeout=5); print("direct connected")
            except OSError as e:
                print("direct errno", e.errno)
            """)) { $0.network = .allowDomains(["localhost", "*.pypi.org"]) }
        #expect(run.stdout.contains("proxy http://127.0.0.1:3128"))
        #expect(run.stdout.contains("plain hello from /plain"), "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(run.stdout.contains("tunnel hello from /tunnel"))
        #expect(run.stdout.contains("denied status 403"))
        #expect(run.stdout.contains("tunnel refused Tunnel connection failed: 403"))
        #expect(run.stdout.contains("direct errno \(ECONNREFUSED)"))
        #expect(server.requests == 2)
        let stats = try #require(run.egress)
        #expect(stats.allowed == 2)
        #expect(stats.denied == 2)
        #expect(stats.recentDenials == ["denied.example", "denied.example"])
        #expect(run.activeLayers.contains(.network))
    }

    @Test("the proxy answers malformed requests with 400 and counts them", .timeLimit(.minutes(1)))
    func malformed() async throws {
        let proxy = EgressProxy(allowlist: try DomainAllowlist(["localhost"]), workloadID: "t", logger: .init(label: "test"))
        let port = try await proxy.serve(host: "127.0.0.1", port: 0)
        let reply = try await withDeadline(10, "proxy reply") {
            try rawExchange(port: port, "GET https://localhost/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        }
        #expect(reply.hasPrefix("HTTP/1.1 400"))
        #expect(proxy.stats.malformed == 1)
        #expect(proxy.stats.allowed == 0)
        await proxy.close()
    }
}

/// Sends `request` over a fresh TCP connection to 127.0.0.1:`port` and returns all it answers.
func rawExchange(port: Int, _ request: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    _ = request.withCString { write(fd, $0, strlen($0)) }
    var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        out += buffer[..<n]
    }
    return String(decoding: out, as: UTF8.self)
}
