import HangarCore

/// An MCP server that lives in the daemon itself (Hangar's own management tools). It joins the
/// aggregate like any upstream, so its tools go through the same call pipeline: permissions,
/// rate limits, schema validation, audit.
public protocol InProcessServer: Sendable {
    /// What `server/discover` would say: capabilities, serverInfo, instructions.
    var capabilities: JSONValue { get }
    var serverInfo: JSONValue { get }
    /// Answers one request. Params carry `_meta["io.hangar/caller"]` (`{"id", "role"}`), set by
    /// the gateway for in-process servers only. Throws `JSONRPCError` for protocol errors.
    func handle(_ method: String, params: JSONValue?) async throws -> JSONValue
}

extension InProcessServer {
    public var capabilities: JSONValue { ["tools": ["listChanged": true]] }
}

/// The session with an in-process server: no bytes, no handshake; it lives until closed.
final class InProcessSession: UpstreamSession {
    let server: any InProcessServer
    let name: String
    let handshake: Handshake
    private let ended: AsyncStream<Void>
    private let end: AsyncStream<Void>.Continuation

    init(name: String, server: any InProcessServer) {
        self.name = name
        self.server = server
        handshake = Handshake(era: .modern, version: ProtocolVersion.modern, capabilities: server.capabilities,
                              serverInfo: server.serverInfo, instructions: nil)
        (ended, end) = AsyncStream.makeStream(of: Void.self)
    }

    func request(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?, ask: ServerRequestHandler?) async throws -> JSONValue {
        do {
            return try await server.handle(method, params: params)
        } catch let error as JSONRPCError {
            throw UpstreamError(.remote(error), server: name, detail: error.message)
        } catch {
            throw UpstreamError(.remote(JSONRPCError(.internalError, "\(error)")), server: name, detail: "\(error)")
        }
    }

    func notify(_ method: String, params: JSONValue?) async {}

    func run() async -> String {
        for await _ in ended {}
        return "closed"
    }

    func close() async { end.finish() }
}
