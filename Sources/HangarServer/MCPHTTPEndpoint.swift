import HangarCore
import HangarGateway
import HangarPolicy
import HangarTransport
import HTTPTypes
import Hummingbird
import Logging

/// The one MCP endpoint over HTTP, serving both eras: modern requests statelessly, legacy
/// clients in `Mcp-Session-Id` sessions. The first message (or its headers) picks the era.
struct MCPHTTPEndpoint: Sendable {
    let gateway: Gateway
    let sessions: LegacySessions
    let metrics: ServerMetrics
    let origins: OriginPolicy
    let limits: JSONLimits
    let logger: Logger
    /// Set on an instance endpoint (`/i/NAME/mcp`): only that server is served.
    var server: String? = nil

    func scoped(to server: String) -> MCPHTTPEndpoint {
        var copy = self
        copy.server = server
        return copy
    }

    static let namedMethods: Set<String> = [MCPMethod.toolsCall, MCPMethod.resourcesRead, MCPMethod.promptsGet]

    private func reject(_ reason: String, _ status: HTTPResponse.Status, id: HangarCore.RequestID?, _ error: JSONRPCError) -> Reply {
        metrics.rejected(reason)
        return HTTPReplies.error(status, id: id, error)
    }

    private func checkOrigin(_ origin: String?) -> Reply? {
        guard origins.permits(origin) else {
            return reject("origin", .forbidden, id: nil, JSONRPCError(.invalidRequest, "Forbidden: Origin not allowed"))
        }
        return nil
    }

    /// The HTTP answer to a handled request; refusals are counted by reason.
    private func answer(_ response: JSONRPCMessage.Response, era: ProtocolEra) -> Reply {
        if let e = response.error {
            switch e.data?["reason"]?.stringValue {
            case "rate_limited": metrics.rejected("rate_limited")
            case "forbidden": metrics.rejected("forbidden")
            case "too_large": metrics.rejected("too_large")
            default: if era == .modern { metrics.rejected("rpc_error") }
            }
        }
        return HTTPReplies.answer(response, era: era)
    }

    // MARK: POST

    func post(_ request: Request, identity: Identity) async -> Response {
        let headers = MCPHeaders(request.headers)
        if let denied = checkOrigin(headers.origin) { return denied.response }
        var request = request
        guard let body = try? await request.collectBody(upTo: limits.maxMessageBytes) else { return tooLarge().response }
        return await post(headers: headers, body: body, identity: identity).response
    }

    /// A `POST` whose body is in hand: from ``post(_:identity:)``, or straight from the wire
    /// (``DirectRequestHandler``), which builds no `Request` for it.
    func post(headers: MCPHeaders, body: ByteBuffer, identity: Identity) async -> Reply {
        if let denied = checkOrigin(headers.origin) { return denied }
        guard body.readableBytes <= limits.maxMessageBytes else { return tooLarge() }
        let frame = IncomingFrame.decode(body.readableBytesView, limits: limits)
        if case .unreadable(let error) = frame {
            return reject(error.code == JSONRPCError.Code.parseError.rawValue ? "parse" : "invalid", .badRequest, id: nil, error)
        }
        let headerVersion = headers.version
        if let sid = headers.session {
            if let session = sessions.get(sid), session.identity == identity.name {
                return await legacy(frame, session: session, headers: headers, identity: identity)
            }
            // A 2026-07-28 request ignores session ids (spec: Earlier Streamable HTTP Revisions).
            if headerVersion.flatMap(ProtocolVersion.era(of:)) != .modern {
                return reject("unknown_session", .notFound, id: nil, JSONRPCError(.invalidRequest, "Session not found: it ended or never existed; send initialize again"))
            }
        }
        if case .single(.success(.request(let r))) = frame, r.method == MCPMethod.initialize {
            return initialize(r, identity: identity)
        }
        let bodyVersion: String? = {
            if case .single(.success(let m)) = frame, case .request(let r) = m { return r.params?["_meta"]?[MetaKey.protocolVersion]?.stringValue }
            return nil
        }()
        if let v = headerVersion ?? bodyVersion, ProtocolVersion.era(of: v) != .legacy {
            return await modern(frame, headers: headers, identity: identity)
        }
        return reject("no_session", .badRequest, id: nil,
                      JSONRPCError(.invalidRequest, "Bad Request: missing Mcp-Session-Id. Send initialize first (2025 protocol versions), or send \(ProtocolVersion.modern) requests with _meta and an MCP-Protocol-Version header"))
    }

    private func tooLarge() -> Reply {
        reject("too_large", .contentTooLarge, id: nil,
               JSONRPCError(.invalidRequest, "Message rejected: the body is over the limit of \(limits.maxMessageBytes) bytes"))
    }

    private func initialize(_ r: JSONRPCMessage.Request, identity: Identity) -> Reply {
        let requested = r.params?["protocolVersion"]?.stringValue
        let version = ProtocolVersion.negotiateLegacy(requested)
        guard let session = sessions.create(version: version, identity: identity.name) else {
            return reject("sessions_full", .serviceUnavailable, id: r.id, JSONRPCError(.limitExceeded, "Too many open sessions; try again later"))
        }
        let token = gateway.addListener { [session] change in
            if case .resourceUpdated(let uri) = change {
                session.push(.notification(.init(method: change.notificationMethod, params: ["uri": .string(uri)])))
            } else {
                session.push(.notification(.init(method: change.notificationMethod)))
            }
        }
        session.listenerToken.withLock { $0 = token }
        metrics.request("http", era: "legacy")
        let result: JSONValue = [
            "protocolVersion": .string(version),
            "capabilities": Gateway.capabilities(for: .legacy),
            "serverInfo": Gateway.serverInfo,
        ]
        return HTTPReplies.message(.ok, .response(.result(r.id, result)), extra: [HTTPReplies.sessionHeader: session.id])
    }

    private func legacy(_ frame: IncomingFrame, session: LegacySession, headers: MCPHeaders, identity: Identity) async -> Reply {
        if let v = headers.version, ProtocolVersion.era(of: v) == nil {
            return reject("version", .badRequest, id: nil, JSONRPCError(.invalidRequest, "Unsupported MCP-Protocol-Version: \(v); supported: \(ProtocolVersion.supported.joined(separator: ", "))"))
        }
        let context = RequestContext(era: .legacy, protocolVersion: session.version, identity: identity, server: server)
        switch frame {
        case .unreadable:
            return .json(.badRequest, [])
        case .batch(let items):
            guard ProtocolVersion.allowsBatches(session.version) else {
                return reject("batch", .badRequest, id: nil, JSONRPCError(.invalidRequest, "Invalid request: batches are not supported in protocol version \(session.version)"))
            }
            var replies: [JSONValue] = []
            for item in items {
                switch item {
                case .failure(let bad):
                    metrics.rejected("invalid")
                    replies.append(JSONRPCMessage.response(.error(bad.id, bad.error)).json)
                case .success(.request(let r)):
                    metrics.request("http", era: "legacy")
                    let response = await session.inFlight.run(r.id) { await gateway.handle(r, context: context) }
                    replies.append(JSONRPCMessage.response(response).json)
                case .success(.notification(let n)):
                    legacyNotification(n, session: session)
                case .success(.response):
                    break
                }
            }
            if replies.isEmpty { return .response(Response(status: .accepted)) }
            return .json(.ok, JSONWriter.bytes(.array(replies)))
        case .single(.failure(let bad)):
            return reject("invalid", .badRequest, id: bad.id, bad.error)
        case .single(.success(.notification(let n))):
            legacyNotification(n, session: session)
            return .response(Response(status: .accepted))
        case .single(.success(.response)):
            return .response(Response(status: .accepted))
        case .single(.success(.request(let r))):
            if r.method == MCPMethod.initialize {
                return reject("invalid", .badRequest, id: r.id, JSONRPCError(.invalidRequest, "Invalid request: this session is already initialized"))
            }
            metrics.request("http", era: "legacy")
            if streamsProgress(r, headers) {
                return .response(streamed(context) { ctx in await session.inFlight.run(r.id) { await gateway.handle(r, context: ctx) } })
            }
            if Gateway.listMethods.contains(r.method), let listed = await gateway.listResponse(r, context: context) {
                return .json(.ok, listed)
            }
            let response = await session.inFlight.run(r.id) { await gateway.handle(r, context: context) }
            return answer(response, era: .legacy)
        }
    }

    private func legacyNotification(_ n: JSONRPCMessage.Notification, session: LegacySession) {
        if n.method == MCPMethod.cancelled, let raw = n.params?["requestId"], let id = RequestID(raw) {
            session.inFlight.cancel(id)
        }
    }

    /// A request that asks for progress, from a client that takes SSE, is answered as a stream.
    private func streamsProgress(_ r: JSONRPCMessage.Request, _ headers: MCPHeaders) -> Bool {
        r.params?["_meta"]?[MetaKey.progressToken] != nil && (headers.accept?.contains("text/event-stream") ?? false)
    }

    /// An SSE answer: the request's notifications as they come, then its response. A request the
    /// client cancelled gets no response (2025-11-25; a modern client has closed the stream anyway).
    private func streamed(_ context: HangarGateway.RequestContext,
                          _ run: @escaping @Sendable (HangarGateway.RequestContext) async -> JSONRPCMessage.Response) -> Response {
        HTTPReplies.sse { emit in
            var ctx = context
            ctx.notify = { n in emit(JSONRPCMessage.notification(n).serialized()) }
            let response = await run(ctx)
            if let e = response.error, e.code == JSONRPCError.Code.requestCancelled.rawValue { return }
            emit(JSONRPCMessage.response(response).serialized())
        }
    }

    // MARK: modern

    private func modern(_ frame: IncomingFrame, headers: MCPHeaders, identity: Identity) async -> Reply {
        let r: JSONRPCMessage.Request
        switch frame {
        case .unreadable(let e):
            return reject("parse", .badRequest, id: nil, e)
        case .batch:
            return reject("batch", .badRequest, id: nil, JSONRPCError(.invalidRequest, "Invalid request: batches are not supported in protocol version \(ProtocolVersion.modern)"))
        case .single(.failure(let bad)):
            return reject("invalid", .badRequest, id: bad.id, bad.error)
        case .single(.success(.notification)):
            return .response(Response(status: .accepted))
        case .single(.success(.response)):
            return reject("invalid", .badRequest, id: nil, JSONRPCError(.invalidRequest, "Invalid request: clients do not send responses in \(ProtocolVersion.modern)"))
        case .single(.success(.request(let req))):
            r = req
        }
        if let mismatch = validateHeaders(headers, r) {
            let reason = mismatch.code == JSONRPCError.Code.unsupportedProtocolVersion.rawValue ? "version" : "header_mismatch"
            return reject(reason, .badRequest, id: r.id, mismatch)
        }
        metrics.request("http", era: "modern")
        let version = r.params?["_meta"]?[MetaKey.protocolVersion]?.stringValue ?? ProtocolVersion.modern
        let context = RequestContext(era: .modern, protocolVersion: version, identity: identity, server: server)
        if r.method == MCPMethod.subscriptionsListen {
            return .response(listen(r))
        }
        if streamsProgress(r, headers) {
            return .response(streamed(context) { ctx in await gateway.handle(r, context: ctx) })
        }
        // Checked here too, as stdio does: a call is not a list, and skips the async call.
        if Gateway.listMethods.contains(r.method), let listed = await gateway.listResponse(r, context: context) {
            return .json(.ok, listed)
        }
        let response = await gateway.handle(r, context: context)
        return answer(response, era: .modern)
    }

    /// The headers a modern request must carry, checked against its body (spec: Server Validation).
    private func validateHeaders(_ h: MCPHeaders, _ r: JSONRPCMessage.Request) -> JSONRPCError? {
        guard let version = h.version else {
            return JSONRPCError(.headerMismatch, "Header mismatch: the MCP-Protocol-Version header is missing")
        }
        guard ProtocolVersion.era(of: version) == .modern else { return Gateway.unsupportedVersion(version) }
        if let bodyVersion = r.params?["_meta"]?[MetaKey.protocolVersion]?.stringValue, bodyVersion != version {
            return JSONRPCError(.headerMismatch, "Header mismatch: MCP-Protocol-Version header '\(version)' does not match _meta protocolVersion '\(bodyVersion)'")
        }
        guard let method = h.method else {
            return JSONRPCError(.headerMismatch, "Header mismatch: the Mcp-Method header is missing")
        }
        guard method == r.method else {
            return JSONRPCError(.headerMismatch, "Header mismatch: Mcp-Method header '\(method)' does not match body method '\(r.method)'")
        }
        if Self.namedMethods.contains(r.method) {
            let bodyName = r.params?[r.method == MCPMethod.resourcesRead ? "uri" : "name"]?.stringValue
            guard let raw = h.name else {
                return JSONRPCError(.headerMismatch, "Header mismatch: the Mcp-Name header is missing")
            }
            guard let name = HeaderValue.decode(raw) else {
                return JSONRPCError(.headerMismatch, "Header mismatch: the Mcp-Name header is not valid base64")
            }
            if let bodyName, name != bodyName {
                return JSONRPCError(.headerMismatch, "Header mismatch: Mcp-Name header does not match the body")
            }
        }
        return nil
    }

    /// `subscriptions/listen`: an SSE stream that acknowledges, then carries the changes asked for.
    private func listen(_ r: JSONRPCMessage.Request) -> Response {
        let filter = SubscriptionFilter(request: r)
        return HTTPReplies.sse(keepAlive: .seconds(20)) { [gateway] emit in
            emit(filter.acknowledgement.serialized())
            let token = gateway.addListener { change in
                if let note = filter.notification(for: change) { emit(note.serialized()) }
            }
            await withTaskCancellationHandler {
                await waitUntilCancelled()
            } onCancel: {
                gateway.removeListener(token)
            }
        }
    }

    // MARK: GET and DELETE

    func get(_ request: Request, identity: Identity) async -> Response {
        if let denied = checkOrigin(request.headers[HTTPReplies.originHeader]) { return denied.response }
        guard let sid = request.headers[HTTPReplies.sessionHeader] else {
            return Response(status: .methodNotAllowed, headers: [.allow: "POST"])
        }
        guard let session = sessions.get(sid), session.identity == identity.name else {
            return reject("unknown_session", .notFound, id: nil, JSONRPCError(.invalidRequest, "Session not found")).response
        }
        let (key, stream) = session.openStream()
        return HTTPReplies.sse(keepAlive: .seconds(20)) { emit in
            await withTaskCancellationHandler {
                for await bytes in stream { emit(bytes) }
            } onCancel: {
                session.closeStream(key)
            }
            session.closeStream(key)
        }
    }

    func delete(_ request: Request, identity: Identity) async -> Response {
        if let denied = checkOrigin(request.headers[HTTPReplies.originHeader]) { return denied.response }
        guard let sid = request.headers[HTTPReplies.sessionHeader] else {
            return Response(status: .methodNotAllowed, headers: [.allow: "POST"])
        }
        guard sessions.get(sid)?.identity == identity.name, let session = sessions.remove(sid) else {
            return reject("unknown_session", .notFound, id: nil, JSONRPCError(.invalidRequest, "Session not found")).response
        }
        if let token = session.listenerToken.withLock({ $0 }) { gateway.removeListener(token) }
        session.close()
        return Response(status: .noContent)
    }
}

/// The headers a `POST /mcp` reads (the endpoint, and the authenticator its Authorization),
/// taken in one pass over a request's fields, or straight from the wire by ``HTTP1Wire``. A
/// lookup by name scans the fields up to three times and joins the values into a new string,
/// and a modern POST asks for seven of them.
struct MCPHeaders: Sendable {
    var origin: String?
    var version: String?
    var session: String?
    var method: String?
    var name: String?
    var accept: String?
    var authorization: String?

    /// The fields kept, lowercase, in the order of ``set(_:_:)``'s slots.
    static let names: [StaticString] = [
        "mcp-protocol-version", "mcp-method", "mcp-name", "mcp-session-id", "accept", "origin", "authorization",
    ]
    /// The same as `HTTPField.Name`s, which compare without regard to case.
    private static let fieldNames = names.map { HTTPField.Name("\($0)")! }

    init() {}

    init(_ fields: HTTPFields) {
        for field in fields {
            if let slot = Self.fieldNames.firstIndex(of: field.name) { set(slot, field.value) }
        }
    }

    /// Adds a value to the field `names[slot]`. A repeated field reads as its values joined, as
    /// `HTTPFields`' subscript gives them.
    mutating func set(_ slot: Int, _ value: String) {
        func add(_ field: inout String?) { field = field.map { $0 + ", " + value } ?? value }
        switch slot {
        case 0: add(&version)
        case 1: add(&method)
        case 2: add(&name)
        case 3: add(&session)
        case 4: add(&accept)
        case 5: add(&origin)
        default: add(&authorization)
        }
    }
}
