import HangarCore
import NIOCore
import NIOPosix

/// Newline-delimited messages over a pair of pipe descriptors (a child's stdout/stdin, or our
/// own stdin/stdout). Lines longer than the limit are discarded whole and reported.
public final class LineChannel: Sendable {
    public enum Event: Sendable {
        /// One line, without its newline (and without a trailing CR).
        case line(ByteBuffer)
        /// A line over the limit was dropped; the count is its length so far.
        case oversize(Int)
    }

    private let channel: Channel

    private init(channel: Channel) {
        self.channel = channel
    }

    /// Opens a channel that reads lines from `readFD` and writes to `writeFD`; takes ownership of both.
    /// `onEvent` runs on the channel's event loop: keep it short. `onClose` runs once when the read side ends.
    /// With `startReading` false nothing is read until ``startReading()``, so a caller can keep the
    /// channel somewhere `onEvent` finds it before the first line arrives. With `onInputEnd`, the
    /// end of input leaves the write side open: `onInputEnd` runs after the last line's event,
    /// and the caller closes the channel when it has answered.
    public static func open(
        readFD: Int32, writeFD: Int32?, maxLineBytes: Int,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        startReading: Bool = true,
        onEvent: @escaping @Sendable (Event) -> Void,
        onInputEnd: (@Sendable () -> Void)? = nil,
        onClose: @escaping @Sendable () -> Void
    ) async throws -> LineChannel {
        let bootstrap = NIOPipeBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: onInputEnd != nil)
            .channelOption(.autoRead, value: startReading)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        LineHandler(maxLineBytes: maxLineBytes, onEvent: onEvent, onInputEnd: onInputEnd, onClose: onClose))
                }
            }
        let channel: Channel
        if let writeFD {
            channel = try await bootstrap.takingOwnershipOfDescriptors(input: readFD, output: writeFD).get()
        } else {
            channel = try await bootstrap.takingOwnershipOfDescriptor(input: readFD).get()
        }
        return LineChannel(channel: channel)
    }

    /// Starts reading a channel opened with `startReading: false`.
    public func startReading() {
        channel.setOption(.autoRead, value: true).whenFailure { [channel] _ in channel.close(promise: nil) }
    }

    /// Writes one message followed by a newline.
    public func send(_ bytes: [UInt8]) {
        var buffer = channel.allocator.buffer(capacity: bytes.count + 1)
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt8(ascii: "\n"))
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Returns once every message sent before the call has been written to the descriptor (or
    /// the channel has failed). Closing drops what is still queued, so a caller that must
    /// deliver everything it sent waits for this first: writes go out in order, so the
    /// completion of an empty one marks all before it.
    public func flushed() async {
        try? await channel.writeAndFlush(channel.allocator.buffer(capacity: 0)).get()
    }

    /// Closes both directions. Messages still queued (the descriptor was full) are dropped:
    /// see ``flushed()``.
    public func close() {
        channel.close(promise: nil)
    }

    /// Completes when the channel has closed.
    public var closed: Void {
        get async { try? await channel.closeFuture.get() }
    }
}

/// Splits a byte stream on `\n`, dropping lines over `maxLineBytes`.
struct LineDecoder {
    let maxLineBytes: Int
    private var discarding = 0
    private var scanned = 0

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// The next line (or oversize report) in `buffer`, taken out of it; nil when the rest of
    /// `buffer` waits for its newline (or is being discarded). Empty lines are skipped.
    mutating func next(_ buffer: inout ByteBuffer) -> LineChannel.Event? {
        while true {
            let view = buffer.readableBytesView
            let from = view.startIndex + scanned
            guard let newline = view[from...].firstIndex(of: UInt8(ascii: "\n")) else {
                if discarding > 0 || buffer.readableBytes > maxLineBytes {
                    discarding += buffer.readableBytes
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    scanned = 0
                } else {
                    scanned = buffer.readableBytes
                }
                return nil
            }
            scanned = 0
            let length = newline - view.startIndex
            if discarding > 0 || length > maxLineBytes {
                let total = discarding + length
                discarding = 0
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .oversize(total)
            }
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if let event = Self.event(line) { return event }
        }
    }

    /// A line as it is handed on: without a trailing CR; nil when nothing is left of it.
    private static func event(_ line: ByteBuffer) -> LineChannel.Event? {
        var line = line
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        return line.readableBytes > 0 ? .line(line) : nil
    }

    /// What is left at the end of input: the lines still in `buffer`, then a final line
    /// without a newline (or its oversize report).
    mutating func last(_ buffer: inout ByteBuffer) -> [LineChannel.Event] {
        var events: [LineChannel.Event] = []
        while let event = next(&buffer) { events.append(event) }
        let rest = buffer.readableBytes
        if discarding > 0 || rest > maxLineBytes {
            events.append(.oversize(discarding + rest))
            discarding = 0
            buffer.moveReaderIndex(forwardBy: rest)
        } else if rest > 0, let event = Self.event(buffer.readSlice(length: rest)!) {
            events.append(event)
        }
        scanned = 0
        return events
    }
}

/// Splits what is read into lines and hands each to `onEvent`, on the channel's event loop.
/// One handler rather than NIO's `ByteToMessageHandler` and a second one after it: a line
/// reaches its reader without a pipeline hop and without being boxed as a message, and a read
/// that holds whole lines (the usual case: a server writes a line at a time) is split in place.
/// A line still waiting for its newline is kept, and the next read is appended to it.
final class LineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var decoder: LineDecoder
    private var pending: ByteBuffer?
    private var ended = false
    let onEvent: @Sendable (LineChannel.Event) -> Void
    let onInputEnd: (@Sendable () -> Void)?
    let onClose: @Sendable () -> Void

    init(maxLineBytes: Int, onEvent: @escaping @Sendable (LineChannel.Event) -> Void, onInputEnd: (@Sendable () -> Void)?,
         onClose: @escaping @Sendable () -> Void) {
        self.decoder = LineDecoder(maxLineBytes: maxLineBytes)
        self.onEvent = onEvent
        self.onInputEnd = onInputEnd
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = pending.take() {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        while let event = decoder.next(&bytes) { onEvent(event) }
        if bytes.readableBytes > 0 { pending = bytes }
    }

    /// The end of input: a final line without its newline still counts. Once only, whether the
    /// input ended on its own (half-closure) or the channel closed.
    private func inputEnded() {
        guard !ended else { return }
        ended = true
        var rest = pending.take() ?? ByteBuffer()
        for event in decoder.last(&rest) { onEvent(event) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            inputEnded()
            onInputEnd?()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inputEnded()
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
