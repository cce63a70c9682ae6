import Foundation
@testable import HangarGateway
import HangarCore
import HangarTransport
import HangarUpstream
import Testing

@Suite struct GatewayConfigTests {
    func write(_ text: String, ext: String) throws -> String {
        let path = NSTemporaryDirectory() + "hangar-config-\(UUID().uuidString).\(ext)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("Claude Desktop's config is accepted as it is, in file order")
    func claudeDesktop() throws {
        let path = try write("""
        {"mcpServers": {
          "time": {"command": "uvx", "args": ["mcp-server-time"], "env": {"TZ": "UTC"}},
          "remote": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer x"}}
        }}
        """, ext: "json")
        let config = try GatewayConfig.load(path: path)
        #expect(config.servers.map(\.name) == ["time", "remote"])
        guard case .stdio(let spec) = config.servers[0].transport else { Issue.record("time should be stdio"); return }
        #expect(spec.command == "uvx")
        #expect(spec.arguments == ["mcp-server-time"])
        #expect(spec.environment["TZ"] == "UTC")
        #expect(spec.environment["PATH"] != nil)
        guard case .http(let url, let headers) = config.servers[1].transport else { Issue.record("remote should be http"); return }
        #expect(url == "https://example.com/mcp")
        #expect(headers.first?.0 == "Authorization")
    }

    @Test("Hangar's YAML config sets gateway options")
    func yaml() throws {
        let path = try write("""
        gateway:
          port: 9000
          separator: "."
          prefixTools: false
          pageSize: 50
          requestTimeoutSeconds: 5
          allowedOrigins: [https://app.example.com]
        mcpServers:
          fast:
            command: /bin/true
            timeoutSeconds: 2
        """, ext: "yaml")
        let config = try GatewayConfig.load(path: path)
        #expect(config.port == 9000)
        #expect(config.naming == NamingPolicy(separator: ".", prefix: false))
        #expect(config.pageSize == 50)
        #expect(config.allowedOrigins == ["https://app.example.com"])
        #expect(config.servers.first?.requestTimeout == .seconds(2))
        #expect(config.cpus == nil && config.upstreamCPUs == nil, "pinning to CPUs is opt-in")
        #expect(config.placement == nil, "servers get the default placement: auto")
    }

    @Test("CPU placement: gateway.cpus, gateway.upstreamCPUs, gateway.placement and a server's cpus and placement")
    func cpus() throws {
        let usable = CPUAffinity.available
        let first = try #require(usable.first), last = try #require(usable.last)
        let path = try write("""
        gateway:
          cpus: \(last)
          upstreamCPUs: "\(first)-\(last)"
          placement: any
        mcpServers:
          placed:
            command: /bin/true
            cpus: [\(first)]
          free:
            command: /bin/true
          one:
            command: /bin/true
            cpus: "\(first)-\(last)"
            placement: one-cpu
          wide:
            command: /bin/true
            placement: ANY
        """, ext: "yaml")
        let config = try GatewayConfig.load(path: path)
        #expect(config.cpus == [last])
        #expect(config.upstreamCPUs == usable.filter { $0 >= first && $0 <= last })
        guard case .stdio(let placed) = config.servers[0].transport, case .stdio(let free) = config.servers[1].transport else {
            Issue.record("both servers should be stdio")
            return
        }
        #expect(placed.cpus == [first])
        #expect(placed.placement == .any, "a server's own cpus: all of them")
        #expect(free.cpus == nil)
        #expect(free.placement == nil, "no word of its own: the gateway's placement applies when it starts")
        #expect(config.placement == .any)
        guard case .stdio(let one) = config.servers[2].transport, case .stdio(let wide) = config.servers[3].transport else {
            Issue.record("all servers should be stdio")
            return
        }
        #expect(one.placement == .oneCPU && one.cpus == usable.filter { $0 >= first && $0 <= last }, "one CPU of its own list")
        #expect(wide.placement == .any)
    }

    @Test("mistakes are reported with the key at fault", arguments: [
        (#"{"mcpServers": {"x": {}}}"#, "mcpServers.x needs \"command\""),
        (#"{"mcpServers": {"x": {"command": "a", "args": "b"}}}"#, "mcpServers.x.args"),
        (#"{"mcpServers": {"x": {"url": "ftp://h"}}}"#, "mcpServers.x.url"),
        (#"{"mcpServers": {"x": {"type": "sse", "url": "http://h"}}}"#, "HTTP+SSE"),
        (#"{"gateway": {"port": "80"}}"#, "gateway.port"),
        (#"{"gateway": {"colour": 1}}"#, "unknown key gateway.colour"),
        (#"{"mcpServers": ["#, "not valid JSON"),
        (#"{"gateway": {"cpus": "3-1"}}"#, "gateway.cpus: '3-1' is not a CPU list"),
        (#"{"gateway": {"upstreamCPUs": true}}"#, "gateway.upstreamCPUs must be a CPU list"),
        (#"{"gateway": {"upstreamCPUs": "4000"}}"#, "gateway.upstreamCPUs: CPU 4000 is not one this process may use"),
        (#"{"mcpServers": {"x": {"command": "a", "cpus": []}}}"#, "mcpServers.x.cpus must be a CPU list"),
        (#"{"gateway": {"placement": 1}}"#, "gateway.placement must be \"auto\", \"one-cpu\" or \"any\""),
        (#"{"mcpServers": {"x": {"command": "a", "placement": "two-cpu"}}}"#, "mcpServers.x.placement: 'two-cpu' is not a placement: auto, one-cpu or any"),
    ])
    func errors(text: String, expected: String) throws {
        let path = try write(text, ext: "json")
        #expect {
            _ = try GatewayConfig.load(path: path)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test("the daemon's own secrets never reach a child's environment")
    func environment() {
        let env = GatewayConfig.inheritedEnvironment()
        #expect(Set(env.keys).isSubset(of: ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SHELL", "TERM"]))
    }
}

@Suite struct BackoffTests {
    @Test("delays grow exponentially, stay within half to all of the step, and are capped")
    func growth() {
        let b = Backoff(initial: .milliseconds(100), maximum: .seconds(5), multiplier: 2)
        #expect(b.delay(attempt: 0, random: 0) == .milliseconds(50))
        #expect(b.delay(attempt: 0, random: 0.999_999) <= .milliseconds(100))
        #expect(b.delay(attempt: 3, random: 0) == .milliseconds(400))
        #expect(b.delay(attempt: 50, random: 0.999_999) <= .seconds(5))
        #expect(b.delay(attempt: 50, random: 0) == .milliseconds(2500))
    }
}
