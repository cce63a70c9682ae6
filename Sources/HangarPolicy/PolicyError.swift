import HangarCore

/// A request the policy plane refused. `description` never carries arguments or secrets.
public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// No credentials, or credentials that do not check out (HTTP 401).
        case unauthenticated
        /// Authenticated, but not allowed (HTTP 403 / a JSON-RPC error).
        case forbidden
        /// A rate or concurrency limit (HTTP 429 / a JSON-RPC error with a retry hint).
        case rateLimited
        /// Arguments or results over the size limit.
        case tooLarge
        /// Arguments that fail the tool's input schema.
        case invalidArguments
        /// A secret that cannot be found or opened.
        case secretUnavailable
        /// A malformed request to the policy plane itself (bad key name, bad role).
        case invalid
        case internalFailure
    }
    public var code: Code
    public var message: String
    /// For rate limits: how long until a retry can succeed.
    public var retryAfter: Duration?

    public init(_ code: Code, _ message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// Whole seconds to put in a `Retry-After` header (at least 1).
    public var retryAfterSeconds: Int? {
        guard let retryAfter else { return nil }
        let (s, atto) = retryAfter.components
        return max(1, Int(s) + (atto > 0 ? 1 : 0))
    }

    /// The JSON-RPC form of this refusal.
    public var rpcError: JSONRPCError {
        switch code {
        case .unauthenticated: return JSONRPCError(.invalidRequest, "Unauthorized: \(message)")
        case .forbidden: return JSONRPCError(.forbidden, "Forbidden: \(message)", data: ["reason": "forbidden"])
        case .rateLimited:
            var data: JSONObject = ["reason": "rate_limited"]
            if let retryAfter {
                let (s, atto) = retryAfter.components
                data["retryAfterMs"] = .int(Int64(s) * 1000 + atto / 1_000_000_000_000_000)
            }
            return JSONRPCError(.limitExceeded, message, data: .object(data))
        case .tooLarge: return JSONRPCError(.limitExceeded, message, data: ["reason": "too_large"])
        case .invalidArguments: return JSONRPCError.invalidParams(message)
        case .secretUnavailable, .internalFailure: return JSONRPCError(.internalError, message)
        case .invalid: return JSONRPCError.invalidParams(message)
        }
    }
}
