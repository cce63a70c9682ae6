import Foundation
import HangarCore
import HangarPolicy
import HangarSupervisor
import HangarTransport
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/v1/servers`: hosted servers (add, list, start, stop, restart, restore, remove, logs,
/// stats) and `/api/v1/doctor` (which isolation layers this machine gives). Operator role.
extension AdminAPI {
    func registerServers(route: (HTTPRequest.Method, RouterPath, Role, @escaping @Sendable (Request, HangarRequestContext, Identity) async throws -> Response) -> Void) {
        guard let hosted else { return }
        route(.get, "doctor", .operator) { _, _, _ in Self.reply(.ok, hosted.probe.json) }
        route(.get, "servers", .operator) { _, _, _ in
            Self.reply(.ok, ["servers": .array(try hosted.supervisor.list().map(Self.json))])
        }
        route(.post, "servers", .operator) { request, _, identity in
            let body = try await Self.body(request)
            let spec = try Self.spec(from: body)
            let start = body["start"]?.boolValue ?? true
            let token = try await hosted.add(spec, start: start)
            policy.record(AuditEntry(identity: identity.name, action: "admin.servers.add", target: spec.name, outcome: "ok"))
            var reply = try Self.json(hosted.supervisor.status(spec.name))
            reply["instance"] = ["path": .string("/i/\(spec.name)/mcp"), "token": .string(token)]
            return Self.reply(.created, reply)
        }
        route(.get, "servers/:name", .operator) { _, context, _ in
            let name = try context.parameters.require("name")
            return Self.reply(.ok, try Self.json(hosted.supervisor.status(name)))
        }
        for action in ["start", "stop", "restart", "restore"] {
            route(.post, RouterPath("servers/:name/\(action)"), .operator) { _, context, identity in
                let name = try context.parameters.require("name")
                switch action {
                case "start": try await hosted.start(name)
                case "stop": try await hosted.stop(name)
                case "restart": try await hosted.restart(name)
                default: try await hosted.restoreInstance(name)
                }
                policy.record(AuditEntry(identity: identity.name, action: "admin.servers.\(action)", target: name, outcome: "ok"))
                return Self.reply(.ok, try Self.json(hosted.supervisor.status(name)))
            }
        }
        route(.delete, "servers/:name", .operator) { _, context, identity in
            let name = try context.parameters.require("name")
            try await hosted.remove(name)
            policy.record(AuditEntry(identity: identity.name, action: "admin.servers.remove", target: name, outcome: "ok"))
            return Response(status: .noContent)
        }
        route(.get, "servers/:name/logs", .operator) { request, context, _ in
            let name = try context.parameters.require("name")
            let q = request.uri.queryParameters
            let lines = q["lines"].flatMap { Int($0) } ?? 100
            guard q["follow"] == "1" || q["follow"] == "true" else {
                return Self.reply(.ok, ["lines": .array(try hosted.supervisor.logs(name, lines: lines).map { .string(policy.redactor.redact($0)) })])
            }
            let stream = try hosted.supervisor.followLogs(name, lines: lines)
            let redactor = policy.redactor
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                for await line in stream {
                                    try await writer.write(ByteBuffer(string: redactor.redact(line) + "\n"))
                                }
                                try await writer.finish(nil)
                            })
        }
        route(.get, "servers/:name/stats", .operator) { _, context, _ in
            let name = try context.parameters.require("name")
            let samples = try hosted.supervisor.stats(name)
            return Self.reply(.ok, ["name": .string(name), "samples": try Self.encoded(samples)])
        }
    }

    static func json(_ snapshot: WorkloadSnapshot) throws -> JSONValue {
        try encoded(snapshot)
    }

    static func encoded<T: Encodable>(_ value: T) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return try JSONParser.parse(Array(try encoder.encode(value)), limits: .upstream)
    }

    /// A workload spec from the API's JSON: name, command, env, cwd, limits, network, ttl.
    static func spec(from body: JSONValue) throws -> WorkloadSpec {
        guard let name = body["name"]?.stringValue else { throw BadRequest("\"name\" is required") }
        var package: WorkloadPackage?
        if let requirement = body["pypi"] {
            guard let text = requirement.stringValue else { throw BadRequest("\"pypi\" must be a string: NAME or NAME==VERSION") }
            do {
                package = try WorkloadPackage.pypi(requirement: text)
            } catch { throw BadRequest(error.message) }
            if let entry = body["entryPoint"] {
                guard let script = entry.stringValue, case .pypi(let n, let v, _)? = package else { throw BadRequest("\"entryPoint\" must be a string") }
                package = .pypi(name: n, version: v, entryPoint: script)
            }
        }
        let list = body["command"]?.arrayValue ?? body["args"]?.arrayValue ?? []
        let command = list.compactMap(\.stringValue)
        guard command.count == list.count, package != nil || !command.isEmpty else {
            throw BadRequest(package == nil ? "\"command\" must be a non-empty list of strings, e.g. [\"python3\", \"server.py\"] (or give \"pypi\": \"PACKAGE==VERSION\")"
                                            : "\"args\" must be a list of strings")
        }
        var env: [String: String] = [:]
        for (k, v) in body["env"]?.objectValue ?? [:] {
            guard let s = v.stringValue else { throw BadRequest("env.\(k) must be a string") }
            env[k] = s
        }
        var spec = WorkloadSpec(name: name, command: command, environment: env, workingDirectory: body["cwd"]?.stringValue, package: package)
        if let m = body["memoryBytes"] {
            guard let v = m.intValue, v >= 4 << 20 else { throw BadRequest("memoryBytes must be an integer of at least 4 MiB") }
            spec.limits.memoryBytes = Int(v)
        }
        if let c = body["cpus"] {
            guard let v = c.doubleValue, v > 0 else { throw BadRequest("cpus must be a positive number (e.g. 0.5)") }
            spec.limits.cpus = v
        }
        if let p = body["placement"] {
            guard let text = p.stringValue, let placement = try? CPUPlacement(parsing: text) else {
                throw BadRequest("placement must be \"auto\" (one CPU for a Python server, the default), \"one-cpu\" or \"any\"")
            }
            spec.placement = placement
        }
        if let p = body["maxProcesses"] {
            guard let v = p.intValue, v > 0 else { throw BadRequest("maxProcesses must be a positive integer") }
            spec.limits.maxProcesses = Int(v)
        }
        if let f = body["maxOpenFiles"] {
            guard let v = f.intValue, v > 0 else { throw BadRequest("maxOpenFiles must be a positive integer") }
            spec.limits.maxOpenFiles = Int(v)
        }
        switch body["network"] {
        case nil, .string("none"): spec.network = .none
        case .array(let list):
            let domains = list.compactMap(\.stringValue)
            guard domains.count == list.count, !domains.isEmpty else { throw BadRequest("network must be \"none\" or a list of domains") }
            spec.network = .allowlist(domains)
        default: throw BadRequest("network must be \"none\" or a list of domains")
        }
        switch body["http"] {
        case nil, .bool(false): break
        case .bool(true): spec.needsPort = true
        case .string(let path): spec.needsPort = true; spec.httpPath = path
        default: throw BadRequest("http must be true or the MCP path, e.g. \"/mcp\" (the server gets its port in PORT)")
        }
        if let t = body["ttlSeconds"] {
            guard let v = t.doubleValue, v > 0 else { throw BadRequest("ttlSeconds must be positive") }
            spec.timeToLive = .milliseconds(Int64(v * 1000))
        }
        do { try spec.validate() } catch { throw BadRequest(error.message) }
        return spec
    }
}
