import HangarCore
import HangarPolicy
import HangarUpstream

extension Gateway {
    /// Capabilities Hangar offers downstream. `logging` exists only in the legacy era
    /// (deprecated in 2026-07-28); `resources.subscribe` became `subscriptions/listen`.
    public static func capabilities(for era: ProtocolEra) -> JSONValue {
        switch era {
        case .legacy:
            return ["tools": ["listChanged": true], "prompts": ["listChanged": true],
                    "resources": ["listChanged": true, "subscribe": true], "completions": [:], "logging": [:]]
        case .modern:
            return ["tools": ["listChanged": true], "prompts": ["listChanged": true],
                    "resources": ["listChanged": true], "completions": [:]]
        }
    }

    static let cacheableMethods: Set<String> = [
        MCPMethod.discover, MCPMethod.toolsList, MCPMethod.promptsList, MCPMethod.resourcesList,
        MCPMethod.resourceTemplatesList, MCPMethod.resourcesRead,
    ]

    /// Answers one request from a downstream client.
    public func handle(_ request: JSONRPCMessage.Request, context: RequestContext) async -> JSONRPCMessage.Response {
        let outcome: Result<JSONValue, JSONRPCError>
        do {
            if context.era == .modern, request.method != MCPMethod.initialize {
                try Self.checkModernMeta(request.params)
            }
            if request.method == MCPMethod.toolsCall {
                switch try await callTool(request.params, context: context) {
                case .value(let result):
                    outcome = shape(result, method: request.method, context: context)
                case .text(let result):
                    switch shape(text: result, method: request.method, context: context) {
                    case .success(let shaped): return JSONRPCMessage.Response(id: request.id, raw: shaped)
                    case .failure(let error): outcome = .failure(error)
                    }
                }
            } else {
                let result = try await route(request, context: context)
                outcome = shape(result, method: request.method, context: context)
            }
        } catch let error as JSONRPCError {
            outcome = .failure(error)
        } catch let error as UpstreamError {
            outcome = .failure(error.rpcError)
        } catch let error as PolicyError {
            outcome = .failure(error.rpcError)
        } catch {
            outcome = .failure(JSONRPCError(.internalError, "Internal error"))
        }
        return JSONRPCMessage.Response(id: request.id, outcome: outcome)
    }

    /// A modern request must name a version we speak and declare its capabilities in `_meta`.
    public static func checkModernMeta(_ params: JSONValue?) throws {
        guard let meta = params?["_meta"], case .object = meta else {
            throw JSONRPCError.invalidParams("a \(ProtocolVersion.modern) request needs params._meta with \(MetaKey.protocolVersion) and \(MetaKey.clientCapabilities)")
        }
        guard let version = meta[MetaKey.protocolVersion]?.stringValue else {
            throw JSONRPCError.invalidParams("params._meta lacks \(MetaKey.protocolVersion)")
        }
        guard ProtocolVersion.era(of: version) == .modern else {
            throw unsupportedVersion(version)
        }
        guard meta[MetaKey.clientCapabilities]?.objectValue != nil else {
            throw JSONRPCError.invalidParams("params._meta lacks \(MetaKey.clientCapabilities)")
        }
    }

    public static func unsupportedVersion(_ requested: String) -> JSONRPCError {
        JSONRPCError(.unsupportedProtocolVersion, "Unsupported protocol version: \(requested)",
                     data: ["supported": .array(ProtocolVersion.supported.map { .string($0) }), "requested": .string(requested)])
    }

    private func route(_ request: JSONRPCMessage.Request, context: RequestContext) async throws -> JSONValue {
        let params = request.params
        switch request.method {
        case MCPMethod.initialize:
            guard context.era == .legacy else {
                throw Self.unsupportedVersion(params?["protocolVersion"]?.stringValue ?? "none")
            }
            return [
                "protocolVersion": .string(context.protocolVersion),
                "capabilities": Self.capabilities(for: .legacy),
                "serverInfo": Self.serverInfo,
                "instructions": .string(instructions),
            ]
        case MCPMethod.discover:
            return [
                "supportedVersions": .array(ProtocolVersion.supported.map { .string($0) }),
                "capabilities": Self.capabilities(for: .modern),
                "instructions": .string(instructions),
                "_meta": [MetaKey.serverInfo: Self.serverInfo],
            ]
        case MCPMethod.ping:
            return [:]
        case MCPMethod.toolsList:
            let permissions = policy.config.permissions
            let identity = context.identity
            var visible = permissions.view(of: identity) == "all" ? catalog.tools
                : catalog.tools.filter { permissions.allows(identity, server: $0.server, tool: $0.exposedName) }
            if let only = context.server { visible = visible.filter { $0.server == only } }
            return try page(visible.map(\.definition), key: "tools", params: params)
        case MCPMethod.promptsList:
            return try page(catalog.prompts.filter { context.sees($0.server) }.map(\.definition), key: "prompts", params: params)
        case MCPMethod.resourcesList:
            return try page(catalog.resources.filter { context.sees($0.server) }.map(\.definition), key: "resources", params: params)
        case MCPMethod.resourceTemplatesList:
            return try page(catalog.resourceTemplates.filter { context.sees($0.server) }.map(\.definition), key: "resourceTemplates", params: params)
        case MCPMethod.promptsGet:
            let name = try Self.requiredString(params, "name")
            guard let entry = catalog.prompt(named: name), context.sees(entry.server) else { throw JSONRPCError.invalidParams("Unknown prompt: \(name)") }
            return try await forward(request.method, params: params, renamed: entry.originalName, to: entry.server, context: context)
        case MCPMethod.resourcesRead, MCPMethod.resourcesSubscribe, MCPMethod.resourcesUnsubscribe:
            let uri = try Self.requiredString(params, "uri")
            guard let server = catalog.server(forResource: uri), context.sees(server) else {
                if context.era == .legacy, request.method == MCPMethod.resourcesRead {
                    throw JSONRPCError(.resourceNotFound, "Resource not found: \(uri)", data: ["uri": .string(uri)])
                }
                throw JSONRPCError.invalidParams("Resource not found: \(uri)")
            }
            if request.method != MCPMethod.resourcesRead, pool.upstream(named: server)?.status.era == .modern {
                return [:]  // a modern upstream's updates arrive through its listen stream
            }
            return try await forward(request.method, params: params, renamed: nil, to: server, context: context)
        case MCPMethod.complete:
            return try await complete(params, context: context)
        case MCPMethod.setLogLevel:
            for upstream in pool.upstreams where upstream.status.era == .legacy {
                _ = try? await upstream.request(MCPMethod.setLogLevel, params: params, timeout: .seconds(5))
            }
            return [:]
        case MCPMethod.subscriptionsListen:
            throw JSONRPCError(.invalidRequest, "subscriptions/listen is served on the stream transport, not here")
        default:
            throw JSONRPCError.methodNotFound(request.method)
        }
    }

    private var instructions: String {
        let names = pool.upstreams.map(\.name).joined(separator: ", ")
        return "Hangar aggregates these MCP servers: \(names). Tool and prompt names are prefixed with their server's name."
    }

    static func requiredString(_ params: JSONValue?, _ key: String) throws -> String {
        guard let value = params?[key] else { throw JSONRPCError.invalidParams("missing \"\(key)\"") }
        guard let s = value.stringValue else { throw JSONRPCError.invalidParams("\"\(key)\" must be a string") }
        return s
    }

    private func complete(_ params: JSONValue?, context: RequestContext) async throws -> JSONValue {
        guard let ref = params?["ref"], let type = ref["type"]?.stringValue else { throw JSONRPCError.invalidParams("missing \"ref\"") }
        var params = params
        switch type {
        case "ref/prompt":
            let name = try Self.requiredString(ref, "name")
            guard let entry = catalog.prompt(named: name), context.sees(entry.server) else { throw JSONRPCError.invalidParams("Unknown prompt: \(name)") }
            params?["ref"]?["name"] = .string(entry.originalName)
            return try await forward(MCPMethod.complete, params: params, renamed: nil, to: entry.server, context: context)
        case "ref/resource":
            let uri = try Self.requiredString(ref, "uri")
            guard let server = catalog.server(forResource: uri), context.sees(server) else { throw JSONRPCError.invalidParams("Resource not found: \(uri)") }
            return try await forward(MCPMethod.complete, params: params, renamed: nil, to: server, context: context)
        default:
            throw JSONRPCError.invalidParams("unknown ref type \(type)")
        }
    }

    /// `_meta` key carrying `{"id", "role"}` of the caller to in-process servers.
    public static let callerMetaKey = "io.hangar/caller"

    /// Sends a request to its upstream under the original name, passing progress back to the
    /// client; questions the upstream asks on the way become input_required for a modern client.

    func forward(_ method: String, params: JSONValue?, renamed original: String?, to server: String,
                 context: RequestContext) async throws -> JSONValue {
        try await forward(method, params: params, renamed: original, to: server, context: context, keepingText: false).value
    }

    /// Forwards a request to the upstream that serves it; with `keepingText`, an object result
    /// may come back as the text it came as (see `UpstreamResult`).
    func forward(_ method: String, params: JSONValue?, renamed original: String?, to server: String,
                 context: RequestContext, keepingText: Bool) async throws -> UpstreamResult {
        guard let upstream = pool.upstream(named: server) else { throw JSONRPCError(.internalError, "no upstream '\(server)'") }
        var params = params ?? [:]
        if let original { params["name"] = .string(original) }
        // Only a server inside the daemon learns who calls; a client cannot forge it for one.
        if upstream.isInProcess || params["_meta"]?[Self.callerMetaKey] != nil {
            var meta = params["_meta"]?.objectValue ?? [:]
            if upstream.isInProcess {
                meta[Self.callerMetaKey] = ["id": .string(context.identity.name), "role": .string(context.identity.role.rawValue)]
            } else {
                meta.removeValue(forKey: Self.callerMetaKey)
            }
            params["_meta"] = .object(meta)
        }
        var sink: RequestNotificationSink?
        if let notify = context.notify {
            sink = { method, params in notify(JSONRPCMessage.Notification(method: method, params: params)) }
        }
        // Only a legacy upstream sends requests of its own (a modern one answers input_required
        // itself), and only a client that declared it can answer one is asked.
        if context.era == .modern, ParkedCalls.methods.contains(method),
           params["requestState"]?.stringValue?.hasPrefix(ParkedCalls.statePrefix) == true
            || (upstream.status.era == .legacy && ParkedCalls.canAnswer(params["_meta"]?[MetaKey.clientCapabilities])) {
            let target = original.map { _ in params["name"]?.stringValue ?? "" } ?? params["uri"]?.stringValue ?? ""
            return .value(try await forwardAskingClient(method, params: params, target: target, upstream: upstream, sink: sink, context: context))
        }
        if keepingText { return try await upstream.requestKeepingText(method, params: consume params, sink: sink) }
        return .value(try await upstream.request(method, params: consume params, sink: sink))
    }

    /// A page of a list; the cursor is an opaque offset.
    private func page(_ items: [JSONValue], key: String, params: JSONValue?) throws -> JSONValue {
        var start = 0
        if let cursor = params?["cursor"] {
            guard let text = cursor.stringValue, text.hasPrefix("hg1."), let offset = Int(text.dropFirst(4)), offset >= 0, offset <= items.count else {
                throw JSONRPCError.invalidParams("invalid cursor")
            }
            start = offset
        }
        let size = config.pageSize > 0 ? config.pageSize : items.count
        let end = min(items.count, start + size)
        var result: JSONObject = [key: .array(Array(items[start..<end]))]
        if end < items.count { result["nextCursor"] = .string("hg1.\(end)") }
        return .object(result)
    }

    /// Makes a result right for the client's era: modern results carry `resultType` (and cache
    /// hints on cacheable ones); legacy results carry neither.
    /// The result is taken, not copied: an upstream's answer is changed in place.
    /// An upstream's result made right for the client's era; the other members stay as they
    /// came (see `shapeChanges`).
    func shape(_ result: consuming JSONValue, method: String, context: RequestContext) -> Result<JSONValue, JSONRPCError> {
        var o: JSONObject
        switch consume result {
        case .object(let object): o = object
        case let other: return .success(other)
        }
        return shapeChanges(method: method, context: context) { o[$0] }.map { changes in
            for (key, value) in changes { o[key] = value }
            return .object(o)
        }
    }

    /// The same for a result kept as text: the members that change are spliced in, the rest
    /// keeps its text.
    func shape(text result: RawJSONObject, method: String, context: RequestContext) -> Result<RawJSONObject, JSONRPCError> {
        shapeChanges(method: method, context: context) { result[$0] }.map { result.replacing($0) }
    }

    /// What `shape` sets (or, with nil, removes), in order, given a way to read the result's
    /// members. A member set keeps its place; a new one goes at the end.
    /// - modern: `resultType` (default "complete"); `_meta` names Hangar as the server, not the
    ///   upstream behind it; a complete list result gets `ttlMs` and `cacheScope` if it lacks them.
    /// - legacy: the modern members go, and so does an emptied `_meta`; a result asking the
    ///   client for input is an error, as a legacy session cannot answer it through Hangar.
    private func shapeChanges(method: String, context: RequestContext,
                              member: (String) -> JSONValue?) -> Result<[(key: String, value: JSONValue?)], JSONRPCError> {
        let resultType = member("resultType")?.stringValue
        var meta = member("_meta")?.objectValue
        switch context.era {
        case .modern:
            var changes: [(key: String, value: JSONValue?)] = [("resultType", .string(resultType ?? "complete"))]
            meta = meta ?? [:]
            meta?[MetaKey.serverInfo] = Self.serverInfo
            changes.append(("_meta", meta.map { .object($0) }))
            if (resultType ?? "complete") == "complete", Self.cacheableMethods.contains(method) {
                if member("ttlMs") == nil { changes.append(("ttlMs", .int(Int64(config.listTTLMilliseconds)))) }
                if member("cacheScope") == nil { changes.append(("cacheScope", "private")) }
            }
            return .success(changes)
        case .legacy:
            if resultType == "input_required" {
                return .failure(JSONRPCError(.internalError,
                    "The upstream server needs input from the client (\(member("inputRequests")?.objectValue?.keys.joined(separator: ", ") ?? "")), which a \(context.protocolVersion) session cannot give through Hangar"))
            }
            var changes: [(key: String, value: JSONValue?)] = [("resultType", nil), ("ttlMs", nil), ("cacheScope", nil)]
            if meta?.removeValue(forKey: MetaKey.serverInfo) != nil {
                changes.append(("_meta", meta?.isEmpty == false ? .object(meta!) : nil))
            }
            return .success(changes)
        }
    }
}
