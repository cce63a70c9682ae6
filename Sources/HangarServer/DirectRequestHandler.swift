import HangarTransport
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// Answers the requests whose body fits in memory on the connection's own handler, through
/// the same router, instead of through NIO's HTTP codecs and Hummingbird's async channel.
/// This handler is first in the pipeline: it reads the request head from the socket's bytes
/// (``HTTP1Wire``), collects the body on the event loop, runs the router in one task and
/// writes the response's bytes itself. Through NIO, each request is decoded into
/// `HTTPHeaders`, converted to `HTTPFields` (its target parsed by `URLComponents`), handed
/// to the connection's task through an async sequence, and each response part goes back
/// through an async writer and two encoders.
///
/// `POST /mcp`, most of the traffic, skips the router too: its fields and body go straight to
/// the endpoint, and a JSON answer (a ``Reply``) is written with its head in one buffer, with
/// no `Request`, `HTTPFields` or `Response` built for it.
///
/// A request ``HTTP1Wire`` does not take (a chunked body, a body over ``maxBodyBytes``,
/// `Expect`, `Upgrade`, HEAD, HTTP/1.0, anything unusual or malformed) goes on to NIO's
/// decoder and Hummingbird as before, with its bytes untouched, and so does everything after
/// it on that connection (so the answers keep their order). A request that arrives while one
/// is being answered waits, and the socket is not read further meanwhile.
final class DirectRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData
    /// The router's answer to a request: other errors are already responses; an
    /// `HTTPParserError` (from a streamed body, never a collected one) is thrown.
    typealias Answer = @Sendable (Request, any Channel) async throws -> Response
    /// The answer to `POST /mcp`, from the endpoint's fields, the body and the client's address.
    typealias PostMCP = @Sendable (MCPHeaders, ByteBuffer, SocketAddress?) async -> Reply

    static let maxBodyBytes = 1 << 20

    private enum State {
        /// Reading a request head; `searched` bytes of it hold no blank line.
        case reading(searched: Int)
        /// The head is read; its body is `head.bodyLength` bytes.
        case collecting(HTTP1Wire.Head)
        case answering
        /// NIO's decoder and Hummingbird's async channel have the connection from here on.
        case passing
    }

    private let answer: Answer
    private let postMCP: PostMCP
    private let stamp: ResponseStamp
    private var state = State.reading(searched: 0)
    /// Bytes read and not yet taken: a partial request, or requests sent while one was being
    /// answered (a pipelining client).
    private var inbound: ByteBuffer?
    private var heldRead = false
    private var heldInputClosed = false
    /// The server is shutting down: close once the request in hand is answered.
    private var quiescing = false
    private var task: Task<Void, Never>?
    private var context: ChannelHandlerContext?
    /// Where the router's task runs: this connection's loop, without a hop per async call.
    private var executor: EventLoopTaskExecutor?

    init(answer: @escaping Answer, postMCP: @escaping PostMCP, stamp: ResponseStamp) {
        self.answer = answer
        self.postMCP = postMCP
        self.stamp = stamp
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopTaskExecutor.on(context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if case .passing = state {
            context.fireChannelRead(data)
            return
        }
        if inbound == nil || inbound?.readableBytes == 0 {
            inbound = bytes
        } else {
            inbound!.writeBuffer(&bytes)
        }
        if case .answering = state { return }
        takeRequests(context: context)
    }

    /// Reads heads and bodies from `inbound` until a request is being answered, more bytes
    /// are needed, or the connection passes to NIO.
    private func takeRequests(context: ChannelHandlerContext) {
        while var bytes = inbound, bytes.readableBytes > 0 {
            switch state {
            case .reading(let searched):
                let parsed = bytes.withUnsafeReadableBytes {
                    HTTP1Wire.parse($0, searched: searched, maxBodyBytes: Self.maxBodyBytes)
                }
                switch parsed {
                case .incomplete(let searched):
                    state = .reading(searched: searched)
                    return
                case .unsupported:
                    pass(context: context)
                    return
                case .head(let head):
                    bytes.moveReaderIndex(forwardBy: head.length)
                    inbound = bytes.readableBytes > 0 ? bytes : nil
                    state = .collecting(head)
                }
            case .collecting(let head):
                guard bytes.readableBytes >= head.bodyLength else { return }
                let body = bytes.readSlice(length: head.bodyLength)!
                inbound = bytes.readableBytes > 0 ? bytes : nil
                start(head, body: body, context: context)
                return
            case .answering, .passing:
                return
            }
        }
        // A request with no body (a GET) ends with its head.
        if case .collecting(let head) = state, head.bodyLength == 0 {
            start(head, body: ByteBuffer(), context: context)
        }
    }

    /// From here on NIO's decoder reads this connection, from the first byte not yet taken.
    private func pass(context: ChannelHandlerContext) {
        state = .passing
        if let bytes = inbound, bytes.readableBytes > 0 {
            inbound = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
    }

    private func start(_ head: HTTP1Wire.Head, body: ByteBuffer, context: ChannelHandlerContext) {
        state = .answering
        let channel = context.channel
        let respond: @Sendable () async throws -> Reply
        switch head.kind {
        case .mcpPost(let headers):
            let (postMCP, peer) = (self.postMCP, channel.remoteAddress)
            respond = { await postMCP(headers, body, peer) }
        case .request(let request):
            let (answer, request) = (self.answer, Request(head: request, body: RequestBody(buffer: body)))
            respond = { .response(try await answer(request, channel)) }
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let (stamp, asksClose) = (self.stamp, head.closes)
        // A closure typed apart: written inline, Swift 6.3's region checker rejects it.
        let work: @Sendable () async -> Void = {
            await Self.answer(respond, on: channel, stamp: stamp, asksClose: asksClose, through: handler)
        }
        task = Task(executorPreference: executor, operation: work)
    }

    /// Runs the router (or the endpoint) and writes its response through the handler. Every
    /// body ends with `finish` (Hummingbird's contract, kept by Hangar's streamed bodies).
    private static func answer(_ respond: @Sendable () async throws -> Reply, on channel: any Channel, stamp: ResponseStamp,
                               asksClose: Bool, through handler: NIOLoopBound<DirectRequestHandler>) async {
        var response: Response
        do {
            switch try await respond() {
            case .json(let status, let body, let extra):
                var bytes = channel.allocator.buffer(capacity: 256 + body.count)
                HTTP1Wire.writeJSON(status, extra: extra, body: body, closes: asksClose, date: stamp.date.now, server: stamp.server, into: &bytes)
                onLoop(handler) { [bytes] in $0.answered(bytes, close: asksClose) }
                return
            case .response(let answer):
                response = answer
            }
        } catch {
            response = Response(status: .badRequest, headers: [.connection: "close", .contentLength: "0"])
        }
        // Anything else (a stream, an empty answer, another route's): the head, then the body as
        // Hummingbird's response writes it.
        let closes = asksClose || HTTP1Wire.closes(response.headers)
        var bytes = channel.allocator.buffer(capacity: 256)
        let framing = HTTP1Wire.write(response.head, closes: closes, date: stamp.date.now, server: stamp.server, into: &bytes)
        let writer = ResponseWriter(handler: handler, framing: framing, allocator: channel.allocator)
        writer.send(bytes, flush: false)
        do {
            try await response.body.write(writer)
            writer.onLoop { $0.responded(close: closes) }
        } catch {
            writer.onLoop { $0.responded(close: true) }
        }
    }

    /// Runs `body` with the handler on its event loop, hopping there when the task runs elsewhere.
    fileprivate static func onLoop(_ handler: NIOLoopBound<DirectRequestHandler>, _ body: @escaping @Sendable (DirectRequestHandler) -> Void) {
        if handler.eventLoop.inEventLoop {
            body(handler.value)
        } else {
            handler.eventLoop.execute { [handler] in body(handler.value) }
        }
    }

    /// A whole answer, head and body in one buffer: written, then on to the next request.
    private func answered(_ bytes: ByteBuffer, close: Bool) {
        write(bytes, flush: true, promise: nil)
        responded(close: close)
    }

    /// The response has been written (or failed): on to the next request.
    private func responded(close: Bool) {
        task = nil
        guard case .answering = state, let context else { return }
        state = .reading(searched: 0)
        if close || quiescing {
            context.close(promise: nil)
            return
        }
        takeRequests(context: context)
        if case .answering = state { return }
        if heldInputClosed {
            heldInputClosed = false
            inputClosed(context: context)
        }
        if heldRead {
            heldRead = false
            context.read()
        }
    }

    /// The client sent its last byte: a request it left unfinished can never be answered, so
    /// it is dropped, and Hummingbird's side closes the connection on the event.
    private func inputClosed(context: ChannelHandlerContext) {
        inbound = nil
        state = .passing
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    }

    /// Writes bytes of the response from the handler's place in the pipeline.
    fileprivate func write(_ bytes: ByteBuffer, flush: Bool, promise: EventLoopPromise<Void>?) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if flush {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes)), promise: promise)
        } else {
            context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: promise)
        }
    }

    fileprivate func flush() {
        context?.flush()
    }

    /// While a request is answered the socket stays readable: holding the read would turn the
    /// socket's readiness off and on again (an `epoll_ctl` each way) for every request of a
    /// keep-alive client. The read is held once bytes of a next request wait, so a pipelining
    /// client is read at most one read ahead.
    func read(context: ChannelHandlerContext) {
        if case .answering = state, let inbound, inbound.readableBytes > 0 {
            heldRead = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // On graceful shutdown a request in hand is answered first (Hummingbird's side would
        // close the connection at once: it has seen no request).
        if event is ChannelShouldQuiesceEvent {
            switch state {
            case .answering, .collecting:
                quiescing = true
                return
            case .reading, .passing:
                break
            }
        }
        if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed {
            switch state {
            case .answering:
                // A client that half-closes after its request still gets the answer.
                heldInputClosed = true
            case .reading, .collecting:
                inputClosed(context: context)
            case .passing:
                context.fireUserInboundEventTriggered(event)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The handlers behind this one see nothing read until the connection passes to them, so
    /// until then the end of a read is not sent through them either: it would walk the whole
    /// HTTP pipeline, to Hummingbird's async channel, once a request.
    func channelReadComplete(context: ChannelHandlerContext) {
        if case .passing = state { context.fireChannelReadComplete() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
        context.fireChannelInactive()
    }
}

/// Writes a response's bytes through its handler, hopping to the event loop when the task
/// runs elsewhere. A body of known size is flushed once, at its end, without waiting. A
/// chunked body (no Content-Length: SSE) is flushed at each write, and each write waits
/// until the socket took it: that is its back-pressure, and how a stream learns that its
/// client has gone.
private struct ResponseWriter: ResponseBodyWriter, Sendable {
    let handler: NIOLoopBound<DirectRequestHandler>
    let framing: HTTP1Wire.Framing
    let allocator: ByteBufferAllocator

    func onLoop(_ body: @escaping @Sendable (DirectRequestHandler) -> Void) {
        DirectRequestHandler.onLoop(handler, body)
    }

    func send(_ bytes: ByteBuffer, flush: Bool, promise: EventLoopPromise<Void>? = nil) {
        onLoop { $0.write(bytes, flush: flush, promise: promise) }
    }

    func write(_ buffer: ByteBuffer) async throws {
        switch framing {
        case .none:
            return
        case .contentLength:
            send(buffer, flush: false)
        case .chunked:
            guard buffer.readableBytes > 0 else { return }  // an empty chunk would end the body
            let written = handler.eventLoop.makePromise(of: Void.self)
            send(HTTP1Wire.chunk(buffer, allocator: allocator), flush: true, promise: written)
            try await written.futureResult.get()
        }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {
        if case .chunked = framing {
            send(HTTP1Wire.lastChunk(trailers: trailingHeaders, allocator: allocator), flush: true)
        } else {
            onLoop { $0.flush() }
        }
    }
}
