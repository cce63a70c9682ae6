import Foundation
import HangarCore
import HangarGateway
import HangarPolicy
import HangarStore
import HangarSupervisor
import HTTPTypes
import Hummingbird

/// The REST admin API under `/api/v1`: keys, secrets, audit, tool drift. Each route names the
/// role it needs; every change is audited. Errors are `{"error": {"code", "message"}}`.
struct AdminAPI: Sendable {
    let gateway: Gateway
    let hosted: HostedServers?
    var catalog: CatalogService? = nil
    var policy: PolicyPlane { gateway.policy }

    func register(on router: Router<HangarRequestContext>, authenticate: @escaping @Sendable (Request, HangarRequestContext) async -> AuthOutcome) {
        let api = router.group("api/v1")
        func route(_ method: HTTPRequest.Method, _ path: RouterPath, role: Role,
                   _ handler: @escaping @Sendable (Request, HangarRequestContext, Identity) async throws -> Response) {
            api.on(path, method: method) { request, context in
                switch await authenticate(request, context) {
                case .refused(let refusal): return refusal
                case .identity(let identity):
                    guard identity.role.includes(role) else {
                        policy.record(AuditEntry(identity: identity.name, action: "admin", target: request.uri.path, outcome: "denied"))
                        return Self.problem(.forbidden, "forbidden", "\(identity.name) (\(identity.role.rawValue)) may not do this; it needs the \(role.rawValue) role")
                    }
                    do {
                        return try await handler(request, context, identity)
                    } catch let e as PolicyError {
                        return Self.problem(e.code == .invalid ? .badRequest : .internalServerError, e.code.rawValue, e.message)
                    } catch let e as StoreError {
                        return Self.problem(.internalServerError, "store", e.description)
                    } catch let e as BadRequest {
                        return Self.problem(.badRequest, "bad_request", e.message)
                    } catch let e as SupervisorError {
                        let status: HTTPResponse.Status = switch e.code {
                        case .unknownWorkload: .notFound
                        case .duplicateWorkload, .invalidState: .conflict
                        default: .badRequest
                        }
                        return Self.problem(status, e.code.rawValue.replacingOccurrences(of: " ", with: "_"), e.message)
                    } catch {
                        return Self.problem(.internalServerError, "internal", "internal error")
                    }
                }
            }
        }

        registerServers { method, path, role, handler in route(method, path, role: role, handler) }
        registerUploads { method, path, role, handler in route(method, path, role: role, handler) }
        registerCatalog(router: router, authenticate: authenticate) { method, path, role, handler in route(method, path, role: role, handler) }
        route(.post, "keys", role: .admin) { request, _, identity in
            let body = try await Self.body(request)
            guard let roleName = body["role"]?.stringValue, let role = Role(rawValue: roleName) else {
                throw BadRequest("\"role\" must be admin, operator or user")
            }
            let name = body["name"]?.stringValue ?? "\(roleName) key"
            guard let keyring = policy.keyring else { throw PolicyError(.internalFailure, "no key store") }
            let (record, key) = try await keyring.create(name: name, role: role)
            policy.record(AuditEntry(identity: identity.name, action: "admin.keys.create", target: record.id, outcome: "ok", detail: "role \(role.rawValue)"))
            var json = Self.json(record)
            json["key"] = .string(key)
            return Self.reply(.created, .object(json))
        }
        route(.get, "keys", role: .admin) { _, _, _ in
            guard let keyring = policy.keyring else { throw PolicyError(.internalFailure, "no key store") }
            return Self.reply(.ok, ["keys": .array(try await keyring.list().map { .object(Self.json($0)) })])
        }
        route(.delete, "keys/:id", role: .admin) { _, context, identity in
            let id = try context.parameters.require("id")
            guard let keyring = policy.keyring else { throw PolicyError(.internalFailure, "no key store") }
            let revoked = try await keyring.revoke(id: id)
            policy.record(AuditEntry(identity: identity.name, action: "admin.keys.revoke", target: id, outcome: revoked ? "ok" : "not_found"))
            return revoked ? Response(status: .noContent) : Self.problem(.notFound, "not_found", "no live key \(id)")
        }
        route(.get, "secrets", role: .admin) { _, _, _ in
            guard let vault = policy.vault else { throw PolicyError(.secretUnavailable, "no vault") }
            let list: [JSONValue] = try await vault.list().map {
                ["name": .string($0.name), "createdMs": .int($0.createdMs), "updatedMs": .int($0.updatedMs)]
            }
            return Self.reply(.ok, ["secrets": .array(list), "keyHint": .string(vault.keyHint)])
        }
        route(.put, "secrets/:name", role: .admin) { request, context, identity in
            let name = try context.parameters.require("name")
            let body = try await Self.body(request)
            guard let value = body["value"]?.stringValue else { throw BadRequest("\"value\" must be a string") }
            try await policy.setSecret(name, value: value, by: identity)
            return Response(status: .noContent)
        }
        route(.delete, "secrets/:name", role: .admin) { _, context, identity in
            let name = try context.parameters.require("name")
            return try await policy.removeSecret(name, by: identity) ? Response(status: .noContent) : Self.problem(.notFound, "not_found", "no secret \(name)")
        }
        route(.post, "secrets/rotate-key", role: .admin) { _, _, identity in
            guard let vault = policy.vault else { throw PolicyError(.secretUnavailable, "no vault") }
            let hint = try await vault.rotateKey()
            policy.record(AuditEntry(identity: identity.name, action: "admin.secrets.rotate-key", target: "vault", outcome: "ok", detail: "new hint \(hint)"))
            return Self.reply(.ok, ["keyHint": .string(hint), "secrets": .int(Int64(vault.values.count))])
        }
        route(.get, "audit", role: .admin) { request, _, _ in
            guard let audit = policy.audit else { throw PolicyError(.internalFailure, "no audit log") }
            let q = request.uri.queryParameters
            func ms(_ key: String) throws -> Int64? {
                guard let raw = q[key[...]].map(String.init) else { return nil }
                guard let v = Int64(raw) ?? Self.parseTime(raw) else { throw BadRequest("\(key) must be milliseconds since 1970 or an ISO 8601 time") }
                return v
            }
            var query = AuditQuery(identity: q["identity"].map(String.init), action: q["action"].map(String.init),
                                   target: (q["tool"] ?? q["target"]).map(String.init), outcome: q["outcome"].map(String.init),
                                   sinceMs: try ms("since"), untilMs: try ms("until"))
            if let l = q["limit"] { guard let n = Int(l), n > 0 else { throw BadRequest("limit must be a positive integer") }; query.limit = n }
            let records = try await audit.query(query)
            return Self.reply(.ok, ["records": .array(records.map(Self.json))])
        }
        route(.get, "audit/verify", role: .admin) { _, _, _ in
            guard let audit = policy.audit else { throw PolicyError(.internalFailure, "no audit log") }
            let v = try await audit.verify()
            var o: JSONObject = ["intact": .bool(v.isIntact), "checked": .int(Int64(v.checked))]
            if let at = v.brokenAt { o["brokenAt"] = .int(at) }
            if let p = v.problem { o["problem"] = .string(p) }
            return Self.reply(.ok, .object(o))
        }
        route(.get, "tools/drift", role: .operator) { _, _, _ in
            let drifts: [JSONValue] = (policy.pinning?.drifts ?? []).map { pin in
                var o: JSONObject = ["server": .string(pin.server), "tool": .string(pin.tool), "status": .string(pin.status.rawValue),
                                     "pinned": Self.parsed(pin.pinnedDefinition), "firstSeenMs": .int(pin.firstSeenMs)]
                if let c = pin.currentDefinition { o["current"] = Self.parsed(c) }
                if let t = pin.changedMs { o["changedMs"] = .int(t) }
                return .object(o)
            }
            return Self.reply(.ok, ["mode": .string(policy.config.pinning.rawValue), "drift": .array(drifts)])
        }
        route(.post, "tools/drift/approve", role: .operator) { request, _, identity in
            let body = try await Self.body(request)
            guard let server = body["server"]?.stringValue, let tool = body["tool"]?.stringValue else {
                throw BadRequest("the body needs \"server\" and \"tool\" (the tool's name on its server)")
            }
            let ok = try await gateway.approveDrift(server: server, tool: tool, by: identity)
            return ok ? Self.reply(.ok, ["approved": true]) : Self.problem(.notFound, "not_found", "\(server)/\(tool) has no drift to approve")
        }
    }

    struct BadRequest: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    static func body(_ request: Request) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: 1 << 20) } catch { throw BadRequest("the body is over 1 MiB") }
        do {
            let value = try JSONParser.parse(Array(buffer.readableBytesView), limits: .default)
            guard case .object = value else { throw BadRequest("the body must be a JSON object") }
            return value
        } catch let e as BadRequest {
            throw e
        } catch {
            throw BadRequest("the body is not valid JSON: \(error)")
        }
    }

    static func reply(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        HTTPReplies.json(status, JSONWriter.bytes(value))
    }

    static func problem(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        reply(status, ["error": ["code": .string(code), "message": .string(message)]])
    }

    static func json(_ k: APIKeyRecord) -> JSONObject {
        var o: JSONObject = ["id": .string(k.id), "name": .string(k.name), "role": .string(k.role), "prefix": .string(k.prefix),
                             "createdMs": .int(k.createdMs)]
        o["lastUsedMs"] = k.lastUsedMs.map { .int($0) } ?? .null
        o["revokedMs"] = k.revokedMs.map { .int($0) } ?? .null
        return o
    }

    static func json(_ r: AuditRecord) -> JSONValue {
        ["seq": .int(r.seq), "atMs": .int(r.atMs), "identity": .string(r.identity), "action": .string(r.action),
         "target": .string(r.target), "outcome": .string(r.outcome), "latencyMicros": .int(r.latencyMicros),
         "argumentsHash": .string(r.argumentsHash), "detail": .string(r.detail), "hash": .string(r.hash)]
    }

    static func parsed(_ text: String) -> JSONValue {
        (try? JSONParser.parse(Array(text.utf8), limits: .upstream)) ?? .string(text)
    }

    static func parseTime(_ text: String) -> Int64? {
        let f = ISO8601DateFormatter()
        return f.date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}
