import HangarCore
import Synchronization

/// Drives an `MCPServer` in memory, as a client of one era would: no pipes, no processes.
/// For tests of servers written with HangarKit.
public final class InMemoryClient: Sendable {
    /// How the client speaks.
    public enum Mode: Sendable, Hashable {
        /// Sends `initialize` with this version from `connect()`, and no `_meta` version.
        case legacy(String)
        /// Puts this version and empty client capabilities in every request's `_meta`.
        case modern(String)
    }

    /// A JSON-RPC error answer, thrown by the `result` helpers.
    public struct ErrorAnswer: Error, Sendable, Hashable {
        public let error: JSONRPCError
    }

    public let server: MCPServer
    public let mode: Mode
    /// Every message the server sent on its own (progress, list changes), in order.
    public let notifications: AsyncStream<JSONRPCMessage>
    private let nextID = Mutex<Int64>(0)

    public init(server: MCPServer, mode: Mode) {
        self.server = server
        self.mode = mode
        let (stream, continuation) = AsyncStream.makeStream(of: JSONRPCMessage.self)
        self.notifications = stream
        server.setNotificationSink { continuation.yield($0) }
    }

    /// The legacy handshake (`initialize`, then `notifications/initialized`); nothing in modern mode.
    /// Returns the `initialize` result.
    @discardableResult
    public func connect() async throws -> JSONObject {
        guard case .legacy(let version) = mode else { return [:] }
        let result = try await result(MCPMethod.initialize, [
            "protocolVersion": .string(version), "capabilities": [:],
            "clientInfo": ["name": "hangarkit-in-memory", "version": "1"],
        ])
        await notify(MCPMethod.initialized)
        return result
    }

    /// A fresh request id.
    public func makeID() -> RequestID {
        .int(nextID.withLock { $0 += 1; return $0 })
    }

    /// Sends a request (with the mode's `_meta`) and returns the answer, or `nil` if none came.
    public func request(_ method: String, _ params: JSONObject = [:], id: RequestID? = nil) async -> JSONRPCMessage.Response? {
        var params = params
        if case .modern(let version) = mode {
            var meta = params["_meta"]?.objectValue ?? [:]
            if meta[MetaKey.protocolVersion] == nil { meta[MetaKey.protocolVersion] = .string(version) }
            if meta[MetaKey.clientCapabilities] == nil { meta[MetaKey.clientCapabilities] = [:] }
            params["_meta"] = .object(meta)
        }
        let request = JSONRPCMessage.Request(id: id ?? makeID(), method: method, params: .object(params))
        return await server.handle(.request(request))
    }

    /// Sends a request and returns its result object, or throws the error answer.
    public func result(_ method: String, _ params: JSONObject = [:], id: RequestID? = nil) async throws -> JSONObject {
        guard let response = await request(method, params, id: id) else {
            throw ErrorAnswer(error: JSONRPCError(.internalError, "no answer to \(method)"))
        }
        switch response.outcome {
        case .success(let value): return value.objectValue ?? [:]
        case .failure(let error): throw ErrorAnswer(error: error)
        }
    }

    /// Calls a tool and returns the `tools/call` result object.
    public func callTool(_ name: String, _ arguments: JSONObject = [:], meta: JSONObject? = nil) async throws -> JSONObject {
        var params: JSONObject = ["name": .string(name), "arguments": .object(arguments)]
        if let meta { params["_meta"] = .object(meta) }
        return try await result(MCPMethod.toolsCall, params)
    }

    /// Sends a notification.
    public func notify(_ method: String, _ params: JSONValue? = nil) async {
        _ = await server.handle(.notification(.init(method: method, params: params)))
    }

    /// Sends one raw frame, as a transport would, and returns the answer parsed.
    public func send(frame: String) async -> JSONValue? {
        guard let answer = await server.handle(Array(frame.utf8)) else { return nil }
        return try? JSONParser.parse(answer, limits: .upstream)
    }
}
