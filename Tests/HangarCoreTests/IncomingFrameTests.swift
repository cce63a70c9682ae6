import HangarCore
import Testing

@Suite("IncomingFrame")
struct IncomingFrameTests {
    static func decode(_ text: String, limits: JSONLimits = .default) -> IncomingFrame {
        IncomingFrame.decode(Array(text.utf8), limits: limits)
    }

    static func unreadable(_ frame: IncomingFrame) -> JSONRPCError? {
        if case .unreadable(let error) = frame { return error }
        return nil
    }

    @Test("one valid message is .single")
    func single() throws {
        guard case .single(let result) = Self.decode(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#) else {
            Issue.record("expected a single message")
            return
        }
        #expect(try result.get() == .request(.init(id: .int(1), method: "ping")))
    }

    @Test("one invalid message is .single with the failure and its id")
    func singleInvalid() {
        guard case .single(.failure(let invalid)) = Self.decode(#"{"jsonrpc":"2.0","id":"q","method":7}"#) else {
            Issue.record("expected a single invalid message")
            return
        }
        #expect(invalid.id == .string("q"))
        #expect(invalid.error.code == -32600)
    }

    @Test("bytes that are not JSON are -32700 with the reason", arguments: [
        ("{\"jsonrpc\":", "syntax"),
        ("", "syntax"),
        ("[1,]", "syntax"),
    ])
    func notJSON(_ text: String, _ reason: String) throws {
        let error = try #require(Self.unreadable(Self.decode(text)))
        #expect(error.code == -32700)
        #expect(error.data?["reason"] == .string(reason))
        #expect(error.message.hasPrefix("Parse error: "))
    }

    @Test("invalid UTF-8 is -32700 with reason invalidUTF8")
    func invalidUTF8() throws {
        let frame = IncomingFrame.decode([0x22, 0xC3, 0x28, 0x22], limits: .default)
        let error = try #require(Self.unreadable(frame))
        #expect(error.code == -32700)
        #expect(error.data?["reason"] == "invalidUTF8")
    }

    @Test("a frame over the size limit is -32700 naming the limit")
    func tooLarge() throws {
        let error = try #require(Self.unreadable(Self.decode(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, limits: JSONLimits(maxMessageBytes: 20))))
        #expect(error.code == -32700)
        #expect(error.data?["reason"] == "tooLarge")
        #expect(error.message.contains("limit of 20"))
    }

    @Test("an empty batch is -32600")
    func emptyBatch() throws {
        let error = try #require(Self.unreadable(Self.decode("[]")))
        #expect(error.code == -32600)
        #expect(error.message.contains("empty batch"))
    }

    @Test("a batch at the batch limit is accepted; one more is -32600 naming the limit")
    func batchLimit() throws {
        let ping = #"{"jsonrpc":"2.0","method":"ping"}"#
        let limits = JSONLimits(maxBatchCount: 3)
        guard case .batch(let three) = Self.decode("[\(ping),\(ping),\(ping)]", limits: limits) else {
            Issue.record("three messages fit a limit of three")
            return
        }
        #expect(three.count == 3)
        let error = try #require(Self.unreadable(Self.decode("[\(ping),\(ping),\(ping),\(ping)]", limits: limits)))
        #expect(error.code == -32600)
        #expect(error.message.contains("batch of 4 messages"))
        #expect(error.message.contains("limit of 3"))
    }

    @Test("a batch mixing valid and invalid messages answers each in place")
    func mixedBatch() throws {
        let text = """
            [{"jsonrpc":"2.0","id":1,"method":"tools/list"},
             5,
             {"jsonrpc":"2.0","method":"notifications/initialized"},
             {"jsonrpc":"1.0","id":"x","method":"ping"},
             {"jsonrpc":"2.0","id":2,"result":{}}]
            """
        guard case .batch(let results) = Self.decode(text) else {
            Issue.record("expected a batch")
            return
        }
        try #require(results.count == 5)
        #expect(try results[0].get() == .request(.init(id: .int(1), method: "tools/list")))
        guard case .failure(let notObject) = results[1], case .failure(let wrongVersion) = results[3] else {
            Issue.record("elements 1 and 3 are invalid")
            return
        }
        #expect(notObject.id == nil)
        #expect(notObject.error.code == -32600)
        #expect(try results[2].get() == .notification(.init(method: "notifications/initialized")))
        #expect(wrongVersion.id == .string("x"))
        #expect(wrongVersion.error.code == -32600)
        #expect(try results[4].get() == .response(.result(.int(2), [:])))
    }

    @Test("decoding an already-parsed value gives the same frame")
    func decodeValue() throws {
        let value: JSONValue = [["jsonrpc": "2.0", "id": 1, "method": "ping"]]
        guard case .batch(let results) = IncomingFrame.decode(value, limits: .default) else {
            Issue.record("expected a batch")
            return
        }
        #expect(try results.map { try $0.get() } == [.request(.init(id: .int(1), method: "ping"))])
    }
}
