import HangarTransport
import Testing

@Suite("SSEDecoder")
struct SSEDecoderTests {
    /// Feeds `text` in chunks of `chunkSize` bytes and returns every event delivered.
    static func decode(_ text: String, chunkSize: Int = .max, decoder: SSEDecoder = SSEDecoder()) throws -> [SSEEvent] {
        var decoder = decoder
        let bytes = Array(text.utf8)
        var events: [SSEEvent] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunkSize)
            events += try decoder.feed(bytes[start..<end])
            start = end
        }
        return events
    }

    static let lineEnds = ["\n", "\r\n", "\r"]

    /// Two events and the start of a third: the stream goes on, as a live one does.
    static func stream(_ e: String) -> String {
        "event: endpoint\(e)data: /messages?session=1\(e)\(e)"
            + ": keep-alive\(e)\(e)"
            + "id: 7\(e)data: line one\(e)data: line two\(e)\(e)"
            + "data: {\"next\":"
    }

    static let expected = [
        SSEEvent(event: "endpoint", data: "/messages?session=1"),
        SSEEvent(data: "line one\nline two", id: "7"),
    ]

    @Test("LF, CRLF and CR all end lines, in chunks of any size", arguments: lineEnds, 1...7)
    func lineEndsAndChunks(_ lineEnd: String, _ chunkSize: Int) throws {
        #expect(try Self.decode(Self.stream(lineEnd), chunkSize: chunkSize) == Self.expected)
    }

    @Test("line ends can be mixed, and a CRLF split across chunks is one line end", arguments: 1...7)
    func mixedLineEnds(_ chunkSize: Int) throws {
        let text = "event: a\r\ndata: 1\r\r"
            + "data: 2\n\r\n"
            + "data: 3\r\n\r\n"
            + "data: 4\n\n"
        let events = try Self.decode(text, chunkSize: chunkSize)
        #expect(events == [SSEEvent(event: "a", data: "1"), SSEEvent(data: "2"), SSEEvent(data: "3"), SSEEvent(data: "4")])
    }

    @Test("an event is delivered as soon as its blank line arrives", arguments: lineEnds)
    func deliveredAtOnce(_ lineEnd: String) throws {
        let text = "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\(lineEnd)\(lineEnd)"
        let events = try Self.decode(text)
        #expect(events == [SSEEvent(data: #"{"jsonrpc":"2.0","id":1,"result":{}}"#)])
    }

    @Test("comments and blank lines without data deliver nothing")
    func comments() throws {
        #expect(try Self.decode(": ping\n\n:\n\n\n\n").isEmpty)
        #expect(try Self.decode("data: a\n: a comment inside an event\ndata: b\n\n") == [SSEEvent(data: "a\nb")])
    }

    @Test("one space after the colon is dropped, the rest is kept")
    func fieldValues() throws {
        #expect(try Self.decode("data:x\n\n") == [SSEEvent(data: "x")])
        #expect(try Self.decode("data:  two\n\n") == [SSEEvent(data: " two")])
        #expect(try Self.decode("data: a: b\n\n") == [SSEEvent(data: "a: b")])
    }

    @Test("a data line with no colon is an empty line of data")
    func bareDataField() throws {
        #expect(try Self.decode("data\n\n") == [SSEEvent(data: "")])
        #expect(try Self.decode("data: a\ndata\n\n") == [SSEEvent(data: "a\n")])
    }

    @Test("event: applies to one event; id: carries over until changed")
    func eventAndID() throws {
        let text = "event: message\nid: 41\ndata: one\n\n"
            + "data: two\n\n"
            + "event: endpoint\nid: 42\ndata: three\n\n"
            + "event: ignored\n\n"
            + "data: four\n\n"
        let events = try Self.decode(text)
        #expect(events == [
            SSEEvent(event: "message", data: "one", id: "41"),
            SSEEvent(data: "two", id: "41"),
            SSEEvent(event: "endpoint", data: "three", id: "42"),
            SSEEvent(data: "four", id: "42"),
        ])
    }

    @Test("unknown fields such as retry: are ignored")
    func unknownFields() throws {
        #expect(try Self.decode("retry: 1000\nfoo: bar\ndata: x\n\n") == [SSEEvent(data: "x")])
    }

    @Test("an unfinished event up to the size limit is kept; one byte more is refused")
    func sizeLimit() throws {
        var decoder = SSEDecoder(maxEventBytes: 32)
        let atLimit = Array("data: ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 26)
        #expect(atLimit.count == 32)
        #expect(try decoder.feed(atLimit).isEmpty)
        let error = #expect(throws: SSEDecoder.TooLarge.self) { try decoder.feed([UInt8(ascii: "x")]) }
        #expect(error?.description.contains("size limit") == true)
    }

    @Test("data gathered over many lines counts toward the limit", arguments: [1, 5, 64])
    func sizeLimitAcrossLines(_ chunkSize: Int) {
        let text = String(repeating: "data: 0123456789\n", count: 10)
        #expect(throws: SSEDecoder.TooLarge.self) {
            try Self.decode(text, chunkSize: chunkSize, decoder: SSEDecoder(maxEventBytes: 64))
        }
    }

    @Test("many events that are each under the limit are fine")
    func manySmallEvents() throws {
        let text = String(repeating: "data: 0123456789\n\n", count: 100)
        let events = try Self.decode(text, chunkSize: 7, decoder: SSEDecoder(maxEventBytes: 32))
        #expect(events.count == 100)
    }

    @Test("multi-byte UTF-8 split across chunks is decoded whole", arguments: 1...4)
    func utf8AcrossChunks(_ chunkSize: Int) throws {
        #expect(try Self.decode("data: héllo 😀 日本\n\n", chunkSize: chunkSize) == [SSEEvent(data: "héllo 😀 日本")])
    }
}

@Suite("SSEEvent")
struct SSEEventTests {
    @Test("the wire form has event:, id:, one data: line per line, then a blank line")
    func wireForm() {
        let event = SSEEvent(event: "message", data: "a\nb", id: "9")
        #expect(String(decoding: event.encoded, as: UTF8.self) == "event: message\nid: 9\ndata: a\ndata: b\n\n")
        #expect(String(decoding: SSEEvent(data: "x").encoded, as: UTF8.self) == "data: x\n\n")
    }

    static let events: [SSEEvent] = [
        SSEEvent(data: "plain"),
        SSEEvent(data: ""),
        SSEEvent(event: "message", data: #"{"jsonrpc":"2.0","id":1,"result":{"text":"a\nb"}}"#, id: "41"),
        SSEEvent(data: "line one\nline two\n\nline four"),
        SSEEvent(data: " leading space"),
        SSEEvent(data: "trailing newline\n"),
        SSEEvent(data: "data: looks like a field"),
        SSEEvent(event: "endpoint", data: "/messages?session=abc&x=1"),
        SSEEvent(data: "unicode “quotes” 😀"),
    ]

    @Test("encoded events decode to themselves", arguments: events)
    func roundTrip(_ event: SSEEvent) throws {
        var decoder = SSEDecoder()
        #expect(try decoder.feed(event.encoded) == [event])
    }

    @Test("data with a carriage return survives a round trip")
    func carriageReturn() throws {
        let event = SSEEvent(data: "a\rb\r\nc")
        var decoder = SSEDecoder()
        let events = try decoder.feed(event.encoded)
        #expect(events == [SSEEvent(data: "a\nb\nc")])  // every line end reads back as LF
    }

    @Test("a JSON-RPC message is sent as a message event")
    func message() throws {
        let json = Array(#"{"jsonrpc":"2.0","method":"notifications/progress"}"#.utf8)
        let bytes = SSEEvent.message(json, id: "5")
        #expect(String(decoding: bytes, as: UTF8.self) == "event: message\nid: 5\ndata: \(String(decoding: json, as: UTF8.self))\n\n")
        var decoder = SSEDecoder()
        #expect(try decoder.feed(bytes) == [SSEEvent(event: "message", data: String(decoding: json, as: UTF8.self), id: "5")])
    }
}

@Suite("SSEDecoder limits")
struct SSEDecoderLimitTests {
    @Test("a complete event over the size limit is rejected, even when it arrives in one chunk")
    func completeOversizeEvent() {
        var decoder = SSEDecoder(maxEventBytes: 16)
        #expect(throws: SSEDecoder.TooLarge.self) {
            _ = try decoder.feed(Array("data: \(String(repeating: "x", count: 40))\n\n".utf8))
        }
    }
}
