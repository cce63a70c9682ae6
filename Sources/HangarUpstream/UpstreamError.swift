import HangarCore

/// Why a request to an upstream failed. `description` names the server but never carries arguments.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// Not connected (starting, restarting or failed to start).
        case unavailable
        /// The process exited or the connection dropped while the request was in flight.
        case died
        case timeout
        case cancelled
        /// The upstream answered with a JSON-RPC error (passed through).
        case remote(JSONRPCError)
        /// The upstream sent something that is not valid MCP.
        case protocolViolation
    }

    public let code: Code
    public let server: String
    public let detail: String

    public init(_ code: Code, server: String, detail: String) {
        self.code = code
        self.server = server
        self.detail = detail
    }

    public var description: String { "upstream '\(server)': \(detail)" }

    /// The JSON-RPC error a downstream client receives.
    public var rpcError: JSONRPCError {
        switch code {
        case .remote(let e): return e
        case .unavailable, .died, .protocolViolation:
            return JSONRPCError(.upstreamUnavailable, "Upstream server '\(server)' failed: \(detail)", data: ["server": .string(server)])
        case .timeout:
            return JSONRPCError(.upstreamTimeout, "Upstream server '\(server)' did not answer in time: \(detail)", data: ["server": .string(server)])
        case .cancelled:
            return JSONRPCError(.requestCancelled, "Request cancelled", data: ["server": .string(server)])
        }
    }
}
