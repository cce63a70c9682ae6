/// A JSON-RPC error object. `message` is shown to clients: it never carries secrets or arguments.
public struct JSONRPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public init(_ code: Code, _ message: String, data: JSONValue? = nil) {
        self.init(code: code.rawValue, message: message, data: data)
    }

    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue else { return nil }
        self.code = Int(code)
        self.message = json["message"]?.stringValue ?? ""
        self.data = json["data"]
    }

    public var json: JSONValue {
        var o: JSONObject = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { o["data"] = data }
        return .object(o)
    }

    public var description: String { "JSON-RPC error \(code): \(message)" }

    /// Error codes of JSON-RPC 2.0 and MCP, plus Hangar's own (outside the reserved range).
    public enum Code: Int, Sendable {
        case parseError = -32700
        case invalidRequest = -32600
        case methodNotFound = -32601
        case invalidParams = -32602
        case internalError = -32603
        /// Legacy era: resource not found (2025-11-25 and earlier).
        case resourceNotFound = -32002
        case headerMismatch = -32020
        case missingRequiredClientCapability = -32021
        case unsupportedProtocolVersion = -32022
        /// The request was cancelled (Hangar's code, outside the reserved range).
        case requestCancelled = -31800
        /// The upstream server failed, died or is not available.
        case upstreamUnavailable = -31801
        /// The upstream server did not answer within the request timeout.
        case upstreamTimeout = -31802
        /// A limit (size, depth, batch, concurrency) was exceeded.
        case limitExceeded = -31803
        /// The caller is authenticated but may not do this (a denied tool, a missing role).
        case forbidden = -31804
    }

    public static func parse(_ e: JSONParseError) -> JSONRPCError {
        switch e.kind {
        case .tooLarge, .tooDeep, .tooManyElements:
            return JSONRPCError(.parseError, "Message rejected: \(e.description)", data: ["reason": .string(e.kind.rawValue)])
        case .invalidUTF8:
            return JSONRPCError(.parseError, "Parse error: \(e.description)", data: ["reason": "invalidUTF8"])
        case .syntax:
            return JSONRPCError(.parseError, "Parse error: \(e.description)", data: ["reason": "syntax"])
        }
    }

    public static func methodNotFound(_ method: String) -> JSONRPCError {
        JSONRPCError(.methodNotFound, "Method not found: \(method)")
    }

    public static func invalidParams(_ message: String) -> JSONRPCError {
        JSONRPCError(.invalidParams, "Invalid params: \(message)")
    }
}
