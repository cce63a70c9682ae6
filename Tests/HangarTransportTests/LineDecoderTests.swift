@testable import HangarTransport
import NIOCore
import NIOEmbedded
import Testing

/// What the decoder handed on, in a form tests can compare.
enum Delivered: Equatable, CustomStringConvertible {
    case line(String)
    case oversize(Int)

    var description: String {
        switch self {
        case .line(let s): return "line(\(s.debugDescription))"
        case .oversize(let n): return "oversize(\(n))"
        }
    }
}

/// The events the handler passed on; an `EmbeddedChannel` runs on the test's own thread.
final class Events: @unchecked Sendable {
    var list: [LineChannel.Event] = []
}

@Suite("LineDecoder")
struct LineDecoderTests {
    /// Writes `text` into a channel running the decoder in chunks of `chunkSize` bytes, then
    /// (if `eof`) closes the input, and returns everything the decoder passed on.
    static func decode(_ text: String, maxLineBytes: Int = 64, chunkSize: Int = .max, eof: Bool = false) throws -> [Delivered] {
        let events = Events()
        let channel = EmbeddedChannel(handler: LineHandler(maxLineBytes: maxLineBytes, onEvent: { events.list.append($0) },
                                                           onInputEnd: nil, onClose: {}))
        var delivered: [Delivered] = []
        func drain() throws {
            defer { events.list = [] }
            for event in events.list {
                switch event {
                case .line(let buffer): delivered.append(.line(String(buffer: buffer)))
                case .oversize(let n): delivered.append(.oversize(n))
                }
            }
        }
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunkSize)
            try channel.writeInbound(ByteBuffer(bytes: bytes[start..<end]))
            try drain()
            start = end
        }
        if eof {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            try drain()
        }
        _ = try channel.finish(acceptAlreadyClosed: true)
        return delivered
    }

    @Test("lines are delivered whole and in order, however the bytes are split", arguments: 1...7)
    func splitLines(_ chunkSize: Int) throws {
        let text = #"{"id":1}"# + "\n" + #"{"id":2,"method":"ping"}"# + "\r\n" + "three\n"
        #expect(try Self.decode(text, chunkSize: chunkSize) == [.line(#"{"id":1}"#), .line(#"{"id":2,"method":"ping"}"#), .line("three")])
    }

    @Test("a CR before the newline is stripped")
    func crlf() throws {
        #expect(try Self.decode("a\r\nb\r\n") == [.line("a"), .line("b")])
    }

    @Test("empty lines are skipped")
    func emptyLines() throws {
        #expect(try Self.decode("\n\r\n\nx\n\n\r\n") == [.line("x")])
    }

    @Test("a line exactly at the limit is delivered; one byte longer is reported as oversize")
    func exactLimit() throws {
        #expect(try Self.decode("12345678\n", maxLineBytes: 8) == [.line("12345678")])
        #expect(try Self.decode("123456789\n", maxLineBytes: 8) == [.oversize(9)])
    }

    @Test("an oversize line is reported once with its size, and the next line still arrives", arguments: 1...7)
    func oversize(_ chunkSize: Int) throws {
        let long = String(repeating: "x", count: 20)
        let delivered = try Self.decode("short\n\(long)\nnext\n", maxLineBytes: 8, chunkSize: chunkSize)
        #expect(delivered == [.line("short"), .oversize(20), .line("next")])
    }

    @Test("two oversize lines in a row are reported separately")
    func twoOversize() throws {
        let delivered = try Self.decode(String(repeating: "a", count: 30) + "\n" + String(repeating: "b", count: 12) + "\nok\n",
                                        maxLineBytes: 8, chunkSize: 5)
        #expect(delivered == [.oversize(30), .oversize(12), .line("ok")])
    }

    @Test("nothing is delivered for a line still waiting for its newline")
    func partialLine() throws {
        #expect(try Self.decode("a\npartial", eof: false) == [.line("a")])
    }

    @Test("a final line without a newline is delivered at end of input")
    func finalLineAtEOF() throws {
        #expect(try Self.decode("a\nlast", eof: true) == [.line("a"), .line("last")])
    }

    @Test("a final line ending in CR without a newline is delivered without the CR")
    func finalCRAtEOF() throws {
        let delivered = try Self.decode("a\nlast\r", eof: true)
        #expect(delivered == [.line("a"), .line("last")])
    }

    @Test("an oversize final line without a newline is reported at end of input")
    func oversizeAtEOF() throws {
        let delivered = try Self.decode("ok\n" + String(repeating: "x", count: 20), maxLineBytes: 8, chunkSize: 4, eof: true)
        #expect(delivered == [.line("ok"), .oversize(20)])
    }
}
