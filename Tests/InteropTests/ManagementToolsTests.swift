import Foundation
import HangarCore
import Testing

extension Interop {
    /// Hangar's own MCP tools (`hangar__*`): the admin API's hosting actions, called as tools
    /// through the one endpoint and its policy plane.
    @Suite(.serialized)
    struct ManagementToolsTests {
        static func structured(_ reply: (Int, JSONValue, String?)) -> JSONValue? {
            reply.1["result"]?["structuredContent"]
        }

        @Test("An MCP client hosts, lists, reads logs of, stops and deletes a server with the hangar__ tools")
        func lifecycleThroughTools() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let names = try await PolicyTests.toolNames(daemon, key: nil).1
            for tool in ["list_mcp_servers", "get_mcp_server_status", "add_mcp_server", "start_mcp_server", "stop_mcp_server",
                         "restart_mcp_server", "delete_mcp_server", "get_mcp_server_logs", "get_hosting_stats", "optimize_server_resources",
                         "upload_mcp_server", "search_catalog", "install_from_catalog"] {
                #expect(names.contains("hangar__" + tool), "missing hangar__\(tool) in \(names)")
            }
            let added = try await PolicyTests.call(daemon, "hangar__add_mcp_server",
                                                   ["name": "fast", "command": [.string(TestEnvironment.fastUpstream)], "memoryBytes": 268_435_456], key: nil)
            let instance = Self.structured(added)?["instance"]
            #expect(instance?["path"]?.stringValue == "/i/fast/mcp", "\(added.1)")
            #expect(instance?["token"]?.stringValue?.hasPrefix("hi_") == true)
            _ = try await HostingTests.waitFor(daemon, "fast", state: "running")
            #expect(HostingTests.text(try await PolicyTests.call(daemon, "fast__echo", ["text": "via tools"], key: nil)) == "via tools")
            let listed = Self.structured(try await PolicyTests.call(daemon, "hangar__list_mcp_servers", [:], key: nil))
            #expect(listed?["servers"]?.arrayValue?.first?["state"]?.stringValue == "running", "\(String(describing: listed))")
            let logs = Self.structured(try await PolicyTests.call(daemon, "hangar__get_mcp_server_logs", ["name": "fast", "lines": 50], key: nil))
            #expect(logs?["lines"]?.arrayValue?.contains(.string("hangar-fast-upstream ready")) == true, "\(String(describing: logs))")
            let stats = Self.structured(try await PolicyTests.call(daemon, "hangar__get_hosting_stats", [:], key: nil))
            #expect(stats?["servers"]?.arrayValue?.first?["name"]?.stringValue == "fast")
            let stopped = Self.structured(try await PolicyTests.call(daemon, "hangar__stop_mcp_server", ["name": "fast"], key: nil))
            #expect(["stopping", "stopped"].contains(stopped?["state"]?.stringValue ?? ""), "\(String(describing: stopped))")
            // An action on an unknown server is a tool error naming it; a wrong argument type fails the input schema.
            let unknown = try await PolicyTests.call(daemon, "hangar__start_mcp_server", ["name": "nope"], key: nil)
            #expect(unknown.1["result"]?["isError"]?.boolValue == true)
            #expect(HostingTests.text(unknown)?.contains("nope") == true, "\(unknown.1)")
            let wrongType = try await PolicyTests.call(daemon, "hangar__start_mcp_server", ["name": 42], key: nil)
            #expect(HostingTests.text(wrongType)?.contains("Invalid arguments") == true, "\(wrongType.1)")
            let deleted = Self.structured(try await PolicyTests.call(daemon, "hangar__delete_mcp_server", ["name": "fast"], key: nil))
            #expect(deleted?["removed"]?.stringValue == "fast")
            #expect(try await HostingTests.ps(daemon)["fast"] == nil)
            // Each action is in the audit log under the caller's identity.
            let (_, audit) = try await PolicyTests.admin(daemon, "audit?action=mcp.servers.add", key: nil)
            #expect(audit["records"]?.arrayValue?.first?["identity"]?.stringValue == "local", "\(audit)")
        }

        @Test("search_catalog finds entries; install_from_catalog hosts a PyPI entry that then answers; an unknown entry is a tool error")
        func catalogThroughTools() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let found = Self.structured(try await PolicyTests.call(daemon, "hangar__search_catalog", ["query": "time", "transport": "stdio"], key: nil))
            let names = found?["results"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.first == "io.github.modelcontextprotocol/time", "\(String(describing: found))")
            let installed = try await PolicyTests.call(daemon, "hangar__install_from_catalog", ["name": "io.github.modelcontextprotocol/time", "server": "clock"], key: nil)
            #expect(installed.1["result"]?["isError"]?.boolValue == false, "\(installed.1)")
            _ = try await HostingTests.waitFor(daemon, "clock", state: "running", timeout: .seconds(120))
            let now = HostingTests.text(try await PolicyTests.call(daemon, "clock__get_current_time", ["timezone": "UTC"], key: nil)) ?? ""
            #expect(now.contains("datetime"), "\(now)")
            let unknown = try await PolicyTests.call(daemon, "hangar__install_from_catalog", ["name": "no.such/entry"], key: nil)
            #expect(unknown.1["result"]?["isError"]?.boolValue == true && HostingTests.text(unknown)?.contains("no.such/entry") == true, "\(unknown.1)")
        }

        @Test("optimize_server_resources names a crash-looping server")
        func crashLoopAdvice() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            _ = try await PolicyTests.call(daemon, "hangar__add_mcp_server", ["name": "crashy", "command": ["/bin/false"]], key: nil)
            let deadline = ContinuousClock.now + .seconds(60)
            var advice: [JSONValue] = []
            while ContinuousClock.now < deadline {
                let reply = Self.structured(try await PolicyTests.call(daemon, "hangar__optimize_server_resources", ["name": "crashy"], key: nil))
                advice = reply?["recommendations"]?.arrayValue ?? []
                if advice.contains(where: { $0["kind"]?.stringValue == "crashLoop" }) { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let crash = advice.first { $0["kind"]?.stringValue == "crashLoop" }
            #expect(crash?["message"]?.stringValue?.contains("hangar logs crashy") == true, "\(advice)")
        }

        @Test("A user key sees no hosting tools and is refused them; an operator key may use them")
        func rolesApply() async throws {
            let daemon = try await Daemon.start(servers: [:], policy: ["auth": "required"])
            defer { Task { await daemon.stop() } }
            let admin = try #require(daemon.adminKey)
            func key(_ role: String) async throws -> String {
                let created = try await PolicyTests.cli(daemon, ["keys", "create", "--role", role, "--json"], key: admin)
                return try #require(try JSONParser.parse(created.out.joined(), limits: .upstream)["key"]?.stringValue)
            }
            let user = try await key("user"), op = try await key("operator")
            let seen = try await PolicyTests.toolNames(daemon, key: user).1
            #expect(!seen.contains { $0.hasPrefix("hangar__") && $0 != "hangar__search_catalog" }, "\(seen)")
            #expect(seen.contains("hangar__search_catalog"), "\(seen)")
            let search = try await PolicyTests.call(daemon, "hangar__search_catalog", ["query": "git"], key: user)
            #expect(Self.structured(search)?["results"]?.arrayValue?.isEmpty == false, "\(search.1)")
            let refused = try await PolicyTests.call(daemon, "hangar__list_mcp_servers", [:], key: user)
            #expect(refused.0 == 403 && refused.1["error"]?["code"]?.intValue == -31804, "\(refused)")
            let allowed = try await PolicyTests.call(daemon, "hangar__list_mcp_servers", [:], key: op)
            #expect(Self.structured(allowed)?["servers"]?.arrayValue != nil, "\(allowed.1)")
            // A client cannot pose as someone else to the management server through _meta.
            var (body, headers) = Daemon.modernRequest(MCPMethod.toolsCall, [
                "name": "hangar__list_mcp_servers", "arguments": [:],
                "_meta": ["io.modelcontextprotocol/protocolVersion": .string(ProtocolVersion.modern), "io.modelcontextprotocol/clientCapabilities": [:],
                          "io.hangar/caller": ["id": "admin", "role": "admin"]],
            ])
            headers.append(("Authorization", "Bearer \(user)"))
            let forged = try await daemon.client.send(.post, body: body, extraHeaders: headers, timeout: .seconds(30))
            #expect(forged.status == 403)
        }
    }
}
