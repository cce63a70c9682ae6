import AsyncHTTPClient
import HangarCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The client side of MCP Streamable HTTP: POST a message, get JSON, SSE or 202 back;
/// GET for the legacy server stream; DELETE to end a legacy session.
public struct StreamableHTTPClient: Sendable {
    public let url: String
    public let headers: [(String, String)]
    public let limits: JSONLimits

    /// One HTTP client for the whole process, with room for many concurrent requests per host.
    public static let sharedHTTPClient: HTTPClient = {
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        config.decompression = .enabled(limit: .ratio(20))
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: config)
    }()

    public init(url: String, headers: [(String, String)] = [], limits: JSONLimits = .upstream) {
        self.url = url
        self.headers = headers
        self.limits = limits
    }

    /// What came back from one HTTP exchange.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Body

        public enum Body: Sendable {
            /// A single JSON document (or a body we could not parse as JSON, as text).
            case json(JSONValue)
            /// A body left unparsed, for a caller that asked to keep text (`keepingText`).
            case jsonText([UInt8])
            case text(String)
            /// An SSE stream of JSON-RPC messages.
            case events(SSEMessages)
            case empty
        }

        public func header(_ name: String) -> String? { headers.first(name: name) }
    }

    public enum Method: Sendable { case post, get, delete }

    /// With `keepingText`, a body that is not an event stream comes back unparsed, as `.jsonText`.
    public func send(_ method: Method, body: [UInt8]? = nil, extraHeaders: [(String, String)] = [], timeout: Duration,
                     keepingText: Bool = false) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        switch method {
        case .post: request.method = .POST
        case .get: request.method = .GET
        case .delete: request.method = .DELETE
        }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        for (k, v) in extraHeaders { request.headers.replaceOrAdd(name: k, value: v) }
        if method == .post {
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
            request.headers.replaceOrAdd(name: "Accept", value: "application/json, text/event-stream")
        } else if method == .get {
            request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
        }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.sharedHTTPClient.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
        let status = Int(response.status.code)
        let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            return Reply(status: status, headers: response.headers, body: .events(SSEMessages(body: response.body, limits: limits)))
        }
        let bytes = try await response.body.collect(upTo: limits.maxMessageBytes)
        if bytes.readableBytes == 0 { return Reply(status: status, headers: response.headers, body: .empty) }
        let raw = Array(bytes.readableBytesView)
        if keepingText { return Reply(status: status, headers: response.headers, body: .jsonText(raw)) }
        if let json = try? JSONParser.parse(raw, limits: limits) {
            return Reply(status: status, headers: response.headers, body: .json(json))
        }
        return Reply(status: status, headers: response.headers, body: .text(String(decoding: raw.prefix(2048), as: UTF8.self)))
    }
}

/// JSON values read from an SSE response body, one per `message` event.
public struct SSEMessages: AsyncSequence, Sendable {
    public typealias Element = JSONValue
    let body: HTTPClientResponse.Body
    let limits: JSONLimits

    /// The same events' data, unparsed.
    public var texts: SSETexts { SSETexts(body: body, limits: limits) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: SSETexts.AsyncIterator
        let limits: JSONLimits

        public mutating func next() async throws -> JSONValue? {
            guard let data = try await base.next() else { return nil }
            return try JSONParser.parse(data, limits: limits)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: texts.makeAsyncIterator(), limits: limits)
    }
}

/// The data of each `message` event of an SSE response body, as bytes.
public struct SSETexts: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let body: HTTPClientResponse.Body
    let limits: JSONLimits

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator
        var decoder: SSEDecoder
        var ready: [[UInt8]] = []

        public mutating func next() async throws -> [UInt8]? {
            while ready.isEmpty {
                guard let chunk = try await base.next() else { return nil }
                for event in try decoder.feed(chunk.readableBytesView) where event.event == nil || event.event == "message" {
                    if event.data.isEmpty { continue }
                    ready.append(Array(event.data.utf8))
                }
            }
            return ready.removeFirst()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator(), decoder: SSEDecoder(maxEventBytes: limits.maxMessageBytes))
    }
}
