import NIOCore
import NIOPosix

/// Reads one request head from a sandbox, asks the proxy, then either answers (403/400/502)
/// and closes, or connects upstream and glues the two channels together.
final class ProxyRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxHeadBytes = 16 * 1024
    private let proxy: EgressProxy
    private var buffered: [UInt8] = []
    private var decided = false

    init(proxy: EgressProxy) {
        self.proxy = proxy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        buffered += buffer.readBytes(length: buffer.readableBytes) ?? []
        guard !decided else { return }
        guard let end = Self.headEnd(buffered) else {
            if buffered.count > Self.maxHeadBytes {
                decided = true
                proxy.recordMalformed("head larger than \(Self.maxHeadBytes) bytes")
                answer(context, status: "431 Request Header Fields Too Large", body: "request head too large\n")
            }
            return
        }
        decided = true
        let head: ProxyRequestHead
        do {
            head = try ProxyRequestHead(Array(buffered[..<end]))
        } catch {
            proxy.recordMalformed("\(error)")
            answer(context, status: "400 Bad Request", body: "hangar egress proxy: malformed request (\(error))\n")
            return
        }
        let leftover = Array(buffered[(end + 4)...])
        buffered = []
        switch proxy.decide(head) {
        case .deny:
            answer(context, status: "403 Forbidden",
                   body: "hangar egress proxy: \(head.host) is not in this server's allowlist\n")
        case .allow:
            connect(context, head: head, leftover: leftover)
        }
    }

    private func connect(_ context: ChannelHandlerContext, head: ProxyRequestHead, leftover: [UInt8]) {
        context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
        let proxy = self.proxy
        ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .connect(host: head.host, port: head.port)
            .whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .failure(let error):
                    proxy.recordFailure(head, error)
                    handler.answer(context, status: "502 Bad Gateway", body: "hangar egress proxy: cannot reach \(head.host)\n")
                case .success(let upstream):
                    handler.glue(context, upstream: upstream, head: head, leftover: leftover)
                }
            }
    }

    private func glue(_ context: ChannelHandlerContext, upstream: any Channel, head: ProxyRequestHead, leftover: [UInt8]) {
        guard GlueHandler.join(context, with: upstream) else { return }
        let allocator = context.channel.allocator
        // Bytes that arrived while the upstream connection was being made.
        let early = leftover + buffered
        buffered = []
        switch head.kind {
        case .tunnel:
            context.writeAndFlush(wrapOutboundOut(allocator.buffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n")),
                                  promise: nil)
            if !early.isEmpty { upstream.writeAndFlush(allocator.buffer(bytes: early), promise: nil) }
        case .forward:
            upstream.writeAndFlush(allocator.buffer(bytes: head.upstreamHead + early), promise: nil)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
        context.read()
    }

    private func answer(_ context: ChannelHandlerContext, status: String, body: String) {
        let text = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)"
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Index of the blank line ending the head (`\r\n\r\n`), if it has arrived.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }
}

/// Relays bytes between two channels, with back-pressure and half-closure (the NIO
/// connect-proxy example's glue).
final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    /// Relays everything between `context`'s channel and `other` from now on; false (both
    /// closed) if the handlers could not be added.
    static func join(_ context: ChannelHandlerContext, with other: any Channel) -> Bool {
        let (ours, theirs) = matchedPair()
        do {
            try other.pipeline.syncOperations.addHandler(theirs)
            try context.pipeline.syncOperations.addHandler(ours)
            return true
        } catch {
            other.close(promise: nil)
            context.close(promise: nil)
            return false
        }
    }

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler(), second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func partnerFlush() { context?.flush() }
    private func partnerWriteEOF() { context?.close(mode: .output, promise: nil) }
    private func partnerCloseFull() { context?.close(promise: nil) }
    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }
    private var partnerWritable: Bool { context?.channel.isWritable ?? false }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.partnerWrite(data) }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.partnerFlush() }
    func channelInactive(context: ChannelHandlerContext) { partner?.partnerCloseFull() }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.partnerWriteEOF()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { partner?.partnerCloseFull() }
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
    }
    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
