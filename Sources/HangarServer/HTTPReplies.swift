import HangarCore
import HangarTransport
import HTTPTypes
import Hummingbird

/// Building HTTP responses that carry JSON-RPC, and reading MCP headers.
enum HTTPReplies {
    static let sessionHeader = HTTPField.Name("Mcp-Session-Id")!
    static let versionHeader = HTTPField.Name("MCP-Protocol-Version")!
    static let methodHeader = HTTPField.Name("Mcp-Method")!
    static let nameHeader = HTTPField.Name("Mcp-Name")!
    static let originHeader = HTTPField.Name("Origin")!
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!

    private static let jsonType = HTTPField(name: .contentType, value: "application/json")

    /// With room for the Content-Length that `Response` adds, so the fields grow once.
    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8], extra: HTTPFields = [:]) -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(2 + extra.count)
        headers.append(jsonType)
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func message(_ status: HTTPResponse.Status, _ message: JSONRPCMessage, extra: HTTPFields = [:]) -> Reply {
        .json(status, message.serialized(), extra: extra)
    }

    static func error(_ status: HTTPResponse.Status, id: HangarCore.RequestID?, _ error: JSONRPCError, extra: HTTPFields = [:]) -> Reply {
        message(status, .response(.error(id, error)), extra: extra)
    }

    /// A JSON-RPC answer with the HTTP status its error calls for: a rate limit travels as 429
    /// with `Retry-After`, so HTTP clients and proxies back off too.
    static func answer(_ response: JSONRPCMessage.Response, era: ProtocolEra) -> Reply {
        if let e = response.error, e.code == JSONRPCError.Code.limitExceeded.rawValue,
           e.data?["reason"]?.stringValue == "rate_limited" {
            let ms = e.data?["retryAfterMs"]?.intValue ?? 1000
            return message(.tooManyRequests, .response(response), extra: [.retryAfter: String(max(1, (ms + 999) / 1000))])
        }
        return message(era == .modern ? status(for: response) : .ok, .response(response))
    }

    /// The HTTP status a modern-era JSON-RPC error travels with.
    static func status(for response: JSONRPCMessage.Response) -> HTTPResponse.Status {
        guard let e = response.error else { return .ok }
        switch e.code {
        case JSONRPCError.Code.methodNotFound.rawValue: return .notFound
        case JSONRPCError.Code.forbidden.rawValue: return .forbidden
        case JSONRPCError.Code.parseError.rawValue, JSONRPCError.Code.invalidRequest.rawValue,
             JSONRPCError.Code.headerMismatch.rawValue, JSONRPCError.Code.missingRequiredClientCapability.rawValue,
             JSONRPCError.Code.unsupportedProtocolVersion.rawValue:
            return .badRequest
        case JSONRPCError.Code.invalidParams.rawValue:
            return e.message.contains("_meta") ? .badRequest : .ok
        default: return .ok
        }
    }

    static var sseHeaders: HTTPFields {
        [.contentType: "text/event-stream", .cacheControl: "no-cache", accelBuffering: "no"]
    }

    /// An SSE response fed by `produce`, which gets a function to emit one JSON-RPC message.
    /// When the client goes away, `produce` is cancelled.
    static func sse(extra: HTTPFields = [:], keepAlive: Duration? = nil,
                    _ produce: @escaping @Sendable (_ emit: @escaping @Sendable ([UInt8]) -> Void) async -> Void) -> Response {
        var headers = sseHeaders
        headers.append(contentsOf: extra)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
            let work = Task {
                await produce { json in continuation.yield(SSEEvent.message(json)) }
                continuation.finish()
            }
            let ticker: Task<Void, Never>? = keepAlive.map { interval in
                Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        continuation.yield(Array(":\n\n".utf8))
                    }
                }
            }
            defer {
                work.cancel()
                ticker?.cancel()
            }
            for await chunk in stream {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }
}

/// An answer of the MCP endpoint's POST, before it is a `Response`. Most are one JSON body,
/// which ``DirectRequestHandler`` writes with its head straight into one buffer: no fields
/// table, `Response` or body closure is built for them.
enum Reply: Sendable {
    /// `Content-Type: application/json`, then `extra`, then the body's Content-Length.
    case json(HTTPResponse.Status, [UInt8], extra: HTTPFields = [:])
    /// Anything else: a stream (SSE), or an answer with no body.
    case response(Response)

    var response: Response {
        switch self {
        case .json(let status, let body, let extra): HTTPReplies.json(status, body, extra: extra)
        case .response(let response): response
        }
    }
}
