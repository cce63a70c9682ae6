import HangarCore
import HangarTransport
import Logging
import Synchronization

/// An upstream MCP server reached over Streamable HTTP, in either era.
final class HTTPUpstreamSession: UpstreamSession {
    let server: String
    let client: StreamableHTTPClient
    private let logger: Logger
    private let onEvent: @Sendable (UpstreamEvent) -> Void

    private struct State {
        var handshake: Handshake?
        var sessionID: String?
        var nextID: Int64 = 1
        var closed = false
    }
    private let state = Mutex(State())
    /// Finished by `close()`, so `run()` returns at once (a hosted server's process is gone).
    private let closing: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) = AsyncStream.makeStream()

    var handshake: Handshake { state.withLock { $0.handshake! } }

    private init(server: String, client: StreamableHTTPClient, logger: Logger, onEvent: @escaping @Sendable (UpstreamEvent) -> Void) {
        self.server = server
        self.client = client
        self.logger = logger
        self.onEvent = onEvent
    }

    static func start(server: String, url: String, headers: [(String, String)], connectTimeout: Duration, logger: Logger,
                      onEvent: @escaping @Sendable (UpstreamEvent) -> Void) async throws -> HTTPUpstreamSession {
        let session = HTTPUpstreamSession(server: server, client: StreamableHTTPClient(url: url, headers: headers), logger: logger, onEvent: onEvent)
        try await session.handshake(timeout: connectTimeout)
        return session
    }

    private func nextID() -> Int64 {
        state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
    }

    private func handshake(timeout: Duration) async throws {
        // Modern first: a modern server answers server/discover (or a modern error); anything else is legacy.
        let discover = JSONRPCMessage.request(.init(id: .int(nextID()), method: MCPMethod.discover, params: ClientIdentity.discoverParams))
        let reply: StreamableHTTPClient.Reply
        do {
            reply = try await client.send(.post, body: discover.serialized(), extraHeaders: modernHeaders(method: MCPMethod.discover, name: nil, version: ProtocolVersion.modern), timeout: timeout)
        } catch {
            throw UpstreamError(.unavailable, server: server, detail: "cannot reach \(client.url): \(error)")
        }
        if reply.status == 200, let result = try? await finalResult(of: reply, sink: nil).get().value, let hs = ClientIdentity.modernHandshake(from: result) {
            state.withLock { $0.handshake = hs }
            return
        }
        let initialize = JSONRPCMessage.request(.init(id: .int(nextID()), method: MCPMethod.initialize, params: ClientIdentity.initializeParams))
        let initReply: StreamableHTTPClient.Reply
        do {
            initReply = try await client.send(.post, body: initialize.serialized(), timeout: timeout)
        } catch {
            throw UpstreamError(.unavailable, server: server, detail: "cannot reach \(client.url): \(error)")
        }
        guard initReply.status == 200 else {
            throw UpstreamError(.protocolViolation, server: server, detail: "initialize answered HTTP \(initReply.status)")
        }
        let result = try await finalResult(of: initReply, sink: nil).get().value
        let hs = ClientIdentity.legacyHandshake(from: result)
        state.withLock {
            $0.handshake = hs
            $0.sessionID = initReply.header("mcp-session-id")
        }
        let initialized = JSONRPCMessage.notification(.init(method: MCPMethod.initialized))
        _ = try? await client.send(.post, body: initialized.serialized(), extraHeaders: legacyHeaders(), timeout: timeout)
    }

    private func modernHeaders(method: String, name: String?, version: String) -> [(String, String)] {
        var h = [("MCP-Protocol-Version", version), ("Mcp-Method", method)]
        if let name { h.append(("Mcp-Name", HeaderValue.encode(name))) }
        return h
    }

    private func legacyHeaders() -> [(String, String)] {
        let (sid, version) = state.withLock { ($0.sessionID, $0.handshake?.version) }
        var h: [(String, String)] = []
        if let version { h.append(("MCP-Protocol-Version", version)) }
        if let sid { h.append(("Mcp-Session-Id", sid)) }
        return h
    }

    private func headers(for method: String, params: JSONValue?) -> [(String, String)] {
        let hs = handshake
        switch hs.era {
        case .modern:
            let name = params?["name"]?.stringValue ?? params?["uri"]?.stringValue
            let named = [MCPMethod.toolsCall, MCPMethod.resourcesRead, MCPMethod.promptsGet].contains(method)
            return modernHeaders(method: method, name: named ? name : nil, version: hs.version)
        case .legacy:
            return legacyHeaders()
        }
    }

    func request(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?, ask: ServerRequestHandler?) async throws -> JSONValue {
        try await exchange(method, params: params, timeout: timeout, sink: sink, ask: ask, keepingText: false).value
    }

    func requestKeepingText(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?,
                            ask: ServerRequestHandler?) async throws -> UpstreamResult {
        try await exchange(method, params: params, timeout: timeout, sink: sink, ask: ask, keepingText: true)
    }

    private func exchange(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?,
                          ask: ServerRequestHandler?, keepingText: Bool) async throws -> UpstreamResult {
        let hs = handshake
        let id = nextID()
        let shaped = ClientIdentity.shape(consume params, era: hs.era, version: hs.version)
        let body = JSONRPCMessage.request(.init(id: .int(id), method: method, params: shaped)).serialized()
        let extra = headers(for: method, params: shaped)
        do {
            let outcome = await withTimeout(timeout) { () async -> Result<UpstreamResult, any Error>? in
                let reply: StreamableHTTPClient.Reply
                do {
                    reply = try await self.client.send(.post, body: body, extraHeaders: extra, timeout: timeout, keepingText: keepingText)
                } catch {
                    if Task.isCancelled { return nil }  // the caller went away, not the server
                    return .failure(UpstreamError(.died, server: self.server, detail: "connection failed: \(error)"))
                }
                if reply.status == 404, hs.era == .legacy, self.state.withLock({ $0.sessionID }) != nil {
                    self.markClosed()
                    return .failure(UpstreamError(.died, server: self.server, detail: "the server ended our session"))
                }
                do { return .success(try await self.finalResult(of: reply, sink: sink, ask: ask, keepingText: keepingText).get()) } catch { return .failure(error) }
            }
            guard let outcome else {
                if Task.isCancelled { throw CancellationError() }
                throw UpstreamError(.timeout, server: server, detail: "no answer within \(timeout)")
            }
            return try outcome.get()
        } catch let error as UpstreamError {
            if case .timeout = error.code { await cancelUpstream(id: id, reason: "timeout") }
            if case .cancelled = error.code { await cancelUpstream(id: id, reason: "cancelled by the client") }
            throw error
        } catch is CancellationError {
            await cancelUpstream(id: id, reason: "cancelled by the client")
            throw UpstreamError(.cancelled, server: server, detail: "cancelled by the client")
        }
    }

    /// Legacy servers need a cancellation notification; for modern ones, closing the stream was the signal.
    /// Sent from its own task: the caller is usually being cancelled, which would stop the send.
    private func cancelUpstream(id: Int64, reason: String) async {
        guard handshake.era == .legacy else { return }
        let note = JSONRPCMessage.notification(.init(method: MCPMethod.cancelled, params: ["requestId": .int(id), "reason": .string(reason)]))
        let (client, headers) = (client, legacyHeaders())
        await Task { _ = try? await client.send(.post, body: note.serialized(), extraHeaders: headers, timeout: .seconds(5)) }.value
    }

    func notify(_ method: String, params: JSONValue?) async {
        let hs = handshake
        let body = JSONRPCMessage.notification(.init(method: method, params: ClientIdentity.shape(params, era: hs.era, version: hs.version))).serialized()
        _ = try? await client.send(.post, body: body, extraHeaders: headers(for: method, params: params), timeout: .seconds(10))
    }

    /// Reads a reply to a request: a JSON response, or an SSE stream whose notifications go to
    /// `sink` and whose server requests are answered, ending with the response. With
    /// `keepingText`, a result object is kept as the text it came as.
    private func finalResult(of reply: StreamableHTTPClient.Reply, sink: RequestNotificationSink?, ask: ServerRequestHandler? = nil,
                             keepingText: Bool = false) async throws -> Result<UpstreamResult, UpstreamError> {
        switch reply.body {
        case .json(let json):
            return outcome(of: json, status: reply.status).map { .value($0) }
        case .jsonText(let bytes):
            if let text = RawJSONObject(validating: bytes, limits: client.limits), text.resultResponseID != nil, let result = text.object("result") {
                return .success(.text(result))
            }
            guard let json = try? JSONParser.parse(bytes, limits: client.limits) else {
                return .failure(UpstreamError(.protocolViolation, server: server, detail: "HTTP \(reply.status): \(String(decoding: bytes.prefix(200), as: UTF8.self))"))
            }
            return outcome(of: json, status: reply.status).map { .value($0) }
        case .events(let events):
            for try await data in events.texts {
                if keepingText, let text = RawJSONObject(validating: data, limits: client.limits), text.resultResponseID != nil,
                   let result = text.object("result") {
                    return .success(.text(result))
                }
                let value = try JSONParser.parse(data, limits: client.limits)
                guard let message = try? JSONRPCMessage(json: value) else { continue }
                switch message {
                case .response(let r):
                    switch r.outcome {
                    case .success(let v): return .success(.value(v))
                    case .failure(let e): return .failure(UpstreamError(.remote(e), server: server, detail: e.message))
                    }
                case .notification(let n):
                    deliver(n, sink: sink)
                case .request(let req):
                    // On this request's own stream: it is part of our request, so its client is asked.
                    if let ask, req.method != MCPMethod.ping {
                        let outcome = await ask(req.method, req.params)
                        await answer(req, outcome: outcome)
                    } else {
                        await answer(req)
                    }
                }
            }
            return .failure(UpstreamError(.died, server: server, detail: "the response stream ended without an answer"))
        case .empty:
            return .failure(UpstreamError(.protocolViolation, server: server, detail: "HTTP \(reply.status) with an empty body"))
        case .text(let t):
            return .failure(UpstreamError(.protocolViolation, server: server, detail: "HTTP \(reply.status): \(t.prefix(200))"))
        }
    }

    private func outcome(of json: JSONValue, status: Int) -> Result<JSONValue, UpstreamError> {
        guard let message = try? JSONRPCMessage(json: json), case .response(let r) = message else {
            return .failure(UpstreamError(.protocolViolation, server: server, detail: "HTTP \(status) without a JSON-RPC response"))
        }
        switch r.outcome {
        case .success(let v): return .success(v)
        case .failure(let e): return .failure(UpstreamError(.remote(e), server: server, detail: e.message))
        }
    }

    private func deliver(_ note: JSONRPCMessage.Notification, sink: RequestNotificationSink?) {
        switch note.method {
        case MCPMethod.progress: sink?(note.method, note.params)  // progress without a waiting request has nowhere to go
        case MCPMethod.message where sink != nil: sink?(note.method, note.params)
        default:
            if let event = UpstreamEvent(notification: note) { onEvent(event) }
        }
    }

    private func answer(_ request: JSONRPCMessage.Request, outcome: Result<JSONValue, JSONRPCError>? = nil) async {
        let response = JSONRPCMessage.response(.init(id: request.id, outcome: outcome ?? ClientIdentity.answer(serverRequest: request.method)))
        _ = try? await client.send(.post, body: response.serialized(), extraHeaders: legacyHeaders(), timeout: .seconds(10))
    }

    private func markClosed() { state.withLock { $0.closed = true } }

    /// Listens for server notifications: the GET stream (legacy) or `subscriptions/listen` (modern).
    /// Returns when the session is over (the server ended it, or it was closed).
    func run() async -> String {
        let closing = closing.stream
        return await withTaskGroup(of: String.self) { group in
            group.addTask { await self.listen() }
            group.addTask {
                for await _ in closing {}
                return "closed"
            }
            let reason = await group.next() ?? "closed"
            group.cancelAll()
            return reason
        }
    }

    private func listen() async -> String {
        let hs = handshake
        while !Task.isCancelled, !state.withLock({ $0.closed }) {
            do {
                let reply: StreamableHTTPClient.Reply
                switch hs.era {
                case .legacy:
                    reply = try await client.send(.get, extraHeaders: legacyHeaders(), timeout: .seconds(86400))
                    if reply.status == 405 { return await idleUntilClosed() }  // the server offers no stream
                    if reply.status == 404 { markClosed(); return "the server ended our session" }
                case .modern:
                    let filter: JSONValue = ["toolsListChanged": true, "promptsListChanged": true, "resourcesListChanged": true]
                    let params = ClientIdentity.shape(["notifications": filter], era: .modern, version: hs.version)
                    let body = JSONRPCMessage.request(.init(id: .int(nextID()), method: MCPMethod.subscriptionsListen, params: params)).serialized()
                    reply = try await client.send(.post, body: body, extraHeaders: modernHeaders(method: MCPMethod.subscriptionsListen, name: nil, version: hs.version), timeout: .seconds(86400))
                    if reply.status != 200 { return await idleUntilClosed() }
                }
                guard case .events(let events) = reply.body else { return await idleUntilClosed() }
                for try await value in events {
                    guard let message = try? JSONRPCMessage(json: value) else { continue }
                    switch message {
                    case .notification(let n): deliver(n, sink: nil)
                    case .request(let r): await answer(r)
                    case .response: break
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.debug("notification stream ended", metadata: ["hangar.server": "\(server)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        return "closed"
    }

    /// The server offers no notification stream: the session lives until it is closed or cancelled.
    private func idleUntilClosed() async -> String {
        await waitUntilCancelled()
        return "closed"
    }

    func close() async {
        let (sid, wasClosed) = state.withLock { s -> (String?, Bool) in
            defer { s.closed = true }
            return (s.sessionID, s.closed)
        }
        closing.continuation.finish()
        if !wasClosed, sid != nil {
            _ = try? await client.send(.delete, extraHeaders: legacyHeaders(), timeout: .seconds(5))
        }
    }
}
