import Foundation
import HangarCore
import HangarGateway
import HangarPolicy
import HangarSupervisor
import HangarUpstream

/// Hangar's own MCP tools, served inside the daemon as the server `hangar` (so they are exposed
/// as `hangar__list_mcp_servers`, ...). They mean what the admin API means: the same JSON, the
/// same operator role, the same audit; and they go through the same call pipeline as every tool.
public final class ManagementTools: InProcessServer {
    public static let serverName = "hangar"
    let hosted: HostedServers
    let policy: PolicyPlane
    let tools: [Tool]

    /// Who calls, as the gateway told (`_meta["io.hangar/caller"]`).
    public struct Caller: Sendable {
        public let name: String
        public let role: Role

        /// The identity behind `name` (`local`, `local:ID`, `key:ID`, `jwt:SUB`, `instance:ID`).
        public var identity: Identity {
            guard name != "local" else { return Identity(kind: .local, id: "local", role: role) }
            let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = Identity.Kind(rawValue: parts[0]) else { return Identity(kind: .local, id: name, role: role) }
            return Identity(kind: kind, id: parts[1], role: role)
        }
    }

    public struct Tool: Sendable {
        public var name: String
        public var description: String
        public var inputSchema: JSONValue
        /// The least role that may call it.
        public var role: Role
        public var run: @Sendable (_ arguments: JSONValue, _ caller: Caller) async throws -> JSONValue

        public init(name: String, description: String, inputSchema: JSONValue, role: Role,
                    run: @escaping @Sendable (_ arguments: JSONValue, _ caller: Caller) async throws -> JSONValue) {
            self.name = name
            self.description = description
            self.inputSchema = inputSchema
            self.role = role
            self.run = run
        }
    }

    /// `extra`: tools other parts of the daemon offer here (the catalog's).
    public init(hosted: HostedServers, policy: PolicyPlane, extra: [Tool] = []) {
        self.hosted = hosted
        self.policy = policy
        tools = Self.builtIn(hosted: hosted, policy: policy) + extra
    }

    public var serverInfo: JSONValue { ["name": "hangar", "version": "0.1.0", "title": "Hangar management"] }

    /// Tools any authenticated identity may call (the rest need an operator).
    public static let userTools = ["search_catalog"]

    /// Users see and call only the tools meant for them; everything else here needs an operator.
    /// Appended after the configured rules, so a rule of the config file can still say otherwise.
    public static func defaultRules(userTools: [String]) -> [Permissions.Rule] {
        [Permissions.Rule(roles: [.user], servers: [serverName], tools: userTools.map { "*" + $0 }, effect: .allow),
         Permissions.Rule(roles: [.user], servers: [serverName], effect: .deny)]
    }

    public func handle(_ method: String, params: JSONValue?) async throws -> JSONValue {
        switch method {
        case MCPMethod.toolsList:
            return ["tools": .array(tools.map { ["name": .string($0.name), "description": .string($0.description), "inputSchema": $0.inputSchema] })]
        case MCPMethod.toolsCall:
            guard let name = params?["name"]?.stringValue, let tool = tools.first(where: { $0.name == name }) else {
                throw JSONRPCError.invalidParams("Unknown tool: \(params?["name"]?.stringValue ?? "")")
            }
            let meta = params?["_meta"]?[Gateway.callerMetaKey]
            let caller = Caller(name: meta?["id"]?.stringValue ?? "unknown", role: meta?["role"]?.stringValue.flatMap(Role.init(rawValue:)) ?? .user)
            guard caller.role >= tool.role else {
                throw PolicyError(.forbidden, "\(name) needs the \(tool.role.rawValue) role; \(caller.name) is \(caller.role.rawValue)").rpcError
            }
            do {
                let result = try await tool.run(params?["arguments"] ?? [:], caller)
                return ["content": [["type": "text", "text": .string(JSONWriter.string(result))]], "structuredContent": result, "isError": false]
            } catch let error as JSONRPCError {
                throw error
            } catch {
                // A refused action is a tool error the model can read and act on.
                let message = (error as? SupervisorError)?.description ?? (error as? AdminAPI.BadRequest)?.message ?? "\(error)"
                return ["content": [["type": "text", "text": .string(message)]], "isError": true]
            }
        case MCPMethod.ping:
            return [:]
        default:
            throw JSONRPCError(.methodNotFound, "Method not found: \(method)")
        }
    }

    static let nameOnly: JSONValue = [
        "type": "object", "properties": ["name": ["type": "string", "description": "The hosted server's name"]],
        "required": ["name"], "additionalProperties": false,
    ]

    private static func builtIn(hosted: HostedServers, policy: PolicyPlane) -> [Tool] {
        @Sendable func audited(_ action: String, _ name: String, _ caller: Caller) {
            policy.record(AuditEntry(identity: caller.name, action: "mcp.servers.\(action)", target: name, outcome: "ok"))
        }
        @Sendable func name(_ arguments: JSONValue) throws -> String {
            guard let name = arguments["name"]?.stringValue else { throw AdminAPI.BadRequest("\"name\" is required") }
            return name
        }
        var tools: [Tool] = [
            Tool(name: "list_mcp_servers", description: "List the hosted MCP servers: state, pid, uptime, restarts, CPU, memory, the CPUs each runs on, isolation.",
                 inputSchema: ["type": "object", "additionalProperties": false], role: .operator) { _, _ in
                ["servers": .array(try hosted.supervisor.list().map(AdminAPI.json))]
            },
            Tool(name: "get_mcp_server_status", description: "The status of one hosted MCP server.", inputSchema: Self.nameOnly, role: .operator) { args, _ in
                try AdminAPI.json(hosted.supervisor.status(try name(args)))
            },
            Tool(name: "add_mcp_server",
                 description: "Host a new MCP server in the sandbox: a command, or a PyPI package (\"pypi\": \"mcp-server-time==2026.10.19\"). Returns its instance endpoint and token.",
                 inputSchema: [
                    "type": "object", "required": ["name"],
                    "properties": [
                        "name": ["type": "string"], "command": ["type": "array", "items": ["type": "string"]],
                        "pypi": ["type": "string"], "args": ["type": "array", "items": ["type": "string"]],
                        "env": ["type": "object", "additionalProperties": ["type": "string"]],
                        "memoryBytes": ["type": "integer"], "cpus": ["type": "number"], "maxProcesses": ["type": "integer"],
                        "placement": ["type": "string", "enum": ["auto", "one-cpu", "any"]],
                        "network": ["oneOf": [["const": "none"], ["type": "array", "items": ["type": "string"]]]],
                        "ttlSeconds": ["type": "number"], "start": ["type": "boolean"],
                        "http": ["oneOf": [["type": "boolean"], ["type": "string", "pattern": "^/"]]],
                    ],
                 ], role: .operator) { args, caller in
                let spec = try AdminAPI.spec(from: args)
                let token = try await hosted.add(spec, start: args["start"]?.boolValue ?? true)
                audited("add", spec.name, caller)
                var reply = try AdminAPI.json(hosted.supervisor.status(spec.name))
                reply["instance"] = ["path": .string("/i/\(spec.name)/mcp"), "token": .string(token)]
                return reply
            },
        ]
        for (verb, summary) in [("start", "Start a hosted MCP server (also after its crash-loop guard parked it)."),
                                ("stop", "Stop a hosted MCP server."), ("restart", "Restart a hosted MCP server.")] {
            tools.append(Tool(name: "\(verb)_mcp_server", description: summary, inputSchema: Self.nameOnly, role: .operator) { args, caller in
                let server = try name(args)
                switch verb {
                case "start": try await hosted.start(server)
                case "stop": try await hosted.stop(server)
                default: try await hosted.restart(server)
                }
                audited(verb, server, caller)
                return try AdminAPI.json(hosted.supervisor.status(server))
            })
        }
        tools += [
            Tool(name: "upload_mcp_server",
                 description: "Host a packaged MCP server: a zip or tar.gz (base64) with hangar.json at its root ({\"command\": [\"python3\", \"server.py\"], ...}). The archive is checked before anything is written and scanned; scan \"block\" (default) refuses critical findings, \"strict\" warnings too, \"warn\" only reports.",
                 inputSchema: ["type": "object", "required": ["name", "archive"], "additionalProperties": false,
                               "properties": ["name": ["type": "string"], "archive": ["type": "string", "contentEncoding": "base64"],
                                              "scan": ["enum": ["block", "strict", "warn"]], "start": ["type": "boolean"]]],
                 role: .operator) { args, caller in
                let server = try name(args)
                guard let text = args["archive"]?.stringValue, let archive = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                    throw AdminAPI.BadRequest("archive must be the package's bytes in base64")
                }
                let (status, answer) = try await AdminAPI.upload(hosted, policy: policy, name: server, archive: Array(archive),
                                                                 scan: try HostedServers.scanPolicy(named: args["scan"]?.stringValue),
                                                                 start: args["start"]?.boolValue ?? true, identity: caller.name)
                guard status == .created else {
                    throw AdminAPI.BadRequest("\(answer["error"]?["code"]?.stringValue ?? "refused"): \(answer["error"]?["message"]?.stringValue ?? "")")
                }
                return answer
            },
            Tool(name: "delete_mcp_server", description: "Stop and remove a hosted MCP server.", inputSchema: Self.nameOnly, role: .operator) { args, caller in
                let server = try name(args)
                try await hosted.remove(server)
                audited("remove", server, caller)
                return ["removed": .string(server)]
            },
            Tool(name: "get_mcp_server_logs", description: "The last lines a hosted MCP server wrote to stderr (secrets redacted).",
                 inputSchema: ["type": "object", "required": ["name"], "additionalProperties": false,
                               "properties": ["name": ["type": "string"], "lines": ["type": "integer", "minimum": 1, "maximum": 10000]]],
                 role: .operator) { args, _ in
                let lines = try hosted.supervisor.logs(try name(args), lines: Int(args["lines"]?.intValue ?? 100))
                return ["lines": .array(lines.map { .string(policy.redactor.redact($0)) })]
            },
            Tool(name: "get_hosting_stats", description: "Measured CPU, memory, open files and processes of one or every hosted MCP server, latest and peak.",
                 inputSchema: ["type": "object", "additionalProperties": false, "properties": ["name": ["type": "string"]]],
                 role: .operator) { args, _ in
                let names = args["name"]?.stringValue.map { [$0] } ?? hosted.supervisor.list().map(\.name)
                var servers: [JSONValue] = []
                for server in names {
                    let samples = try hosted.supervisor.stats(server)
                    var entry: JSONObject = ["name": .string(server), "samples": .int(Int64(samples.count))]
                    if let last = samples.last { entry["latest"] = try AdminAPI.encoded(last) }
                    if let peak = samples.map(\.memoryBytes).max() { entry["peakMemoryBytes"] = .int(Int64(peak)) }
                    if let cpu = samples.map(\.cpuPercent).max() { entry["peakCpuPercent"] = .double(cpu) }
                    servers.append(.object(entry))
                }
                return ["servers": .array(servers)]
            },
            Tool(name: "optimize_server_resources",
                 description: "Recommendations from measured usage: memory limits far above or close to the peak, crash loops, idle servers that could get a time to live.",
                 inputSchema: ["type": "object", "additionalProperties": false, "properties": ["name": ["type": "string"]]],
                 role: .operator) { args, _ in
                let names = args["name"]?.stringValue.map { [$0] } ?? hosted.supervisor.list().map(\.name)
                var advice: [ResourceAdvisor.Recommendation] = []
                for server in names {
                    advice += ResourceAdvisor.recommend(spec: try hosted.supervisor.spec(server), snapshot: try hosted.supervisor.status(server),
                                                        samples: try hosted.supervisor.stats(server))
                }
                return ["recommendations": try AdminAPI.encoded(advice)]
            },
        ]
        return tools
    }
}
