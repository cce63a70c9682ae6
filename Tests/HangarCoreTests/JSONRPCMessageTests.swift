import HangarCore
import Testing

/// A JSON value that is not a valid JSON-RPC message, the id the error must carry, and a
/// phrase the error message must contain.
struct InvalidShape: CustomTestStringConvertible, Sendable {
    let text: String
    let id: RequestID?
    let phrase: String
    init(_ text: String, id: RequestID?, _ phrase: String) {
        self.text = text
        self.id = id
        self.phrase = phrase
    }
    var testDescription: String { text }
}

@Suite("JSONRPCMessage")
struct JSONRPCMessageTests {
    static func message(_ text: String) throws -> JSONRPCMessage {
        try JSONRPCMessage(json: try JSONParser.parse(text))
    }

    static let invalidShapes: [InvalidShape] = [
        InvalidShape("1", id: nil, "must be an object, got integer"),
        InvalidShape(#""ping""#, id: nil, "must be an object, got string"),
        InvalidShape("null", id: nil, "must be an object"),
        InvalidShape(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, id: nil, "not null"),
        InvalidShape(#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, id: .int(1), #""jsonrpc" must be "2.0""#),
        InvalidShape(#"{"id":2,"method":"ping"}"#, id: .int(2), #""jsonrpc" must be "2.0""#),
        InvalidShape(#"{"jsonrpc":2.0,"id":"s","method":"ping"}"#, id: .string("s"), #""jsonrpc" must be "2.0""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":3,"method":42}"#, id: .int(3), #""method" must be a string"#),
        InvalidShape(#"{"jsonrpc":"2.0","id":4,"method":null}"#, id: .int(4), #""method" must be a string"#),
        InvalidShape(#"{"jsonrpc":"2.0","id":5,"method":"m","params":"text"}"#, id: .int(5), #""params" must be an object or an array"#),
        InvalidShape(#"{"jsonrpc":"2.0","id":6,"method":"m","params":7}"#, id: .int(6), #""params" must be an object or an array"#),
        InvalidShape(#"{"jsonrpc":"2.0","method":"m","params":null}"#, id: nil, #""params" must be an object or an array"#),
        InvalidShape(#"{"jsonrpc":"2.0","id":7,"method":"m","result":{}}"#, id: .int(7), #"cannot carry "result" or "error""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":8,"result":{},"error":{"code":1,"message":"x"}}"#, id: .int(8), #"both "result" and "error""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":9,"error":{"message":"no code"}}"#, id: .int(9), #"integer "code""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":10,"error":{"code":"x","message":"m"}}"#, id: .int(10), #"integer "code""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":11,"error":"boom"}"#, id: .int(11), #"integer "code""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":12}"#, id: .int(12), #"needs "result" or "error""#),
        InvalidShape(#"{"jsonrpc":"2.0"}"#, id: nil, #"needs "method" or "id""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#, id: nil, #""id" must be a string or an integer"#),
        InvalidShape(#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, id: nil, #""id" must be a string or an integer"#),
        InvalidShape(#"{"jsonrpc":"2.0","id":[1],"result":{}}"#, id: nil, #""id" must be a string or an integer"#),
        InvalidShape(#"{"jsonrpc":"2.0","id":null,"result":{}}"#, id: nil, #"needs a string or integer "id""#),
        // A member that is present with a null value still counts as present.
        InvalidShape(#"{"jsonrpc":"2.0","id":13,"method":"m","result":null}"#, id: .int(13), #"cannot carry "result" or "error""#),
        InvalidShape(#"{"jsonrpc":"2.0","id":14,"result":{},"error":null}"#, id: .int(14), #"both "result" and "error""#),
        InvalidShape(#"{"jsonrpc":null,"id":15,"method":"m"}"#, id: .int(15), #""jsonrpc" must be "2.0""#),
    ]

    @Test("every invalid shape is -32600, with the id when it can be read", arguments: invalidShapes)
    func invalidShape(_ row: InvalidShape) throws {
        let json = try JSONParser.parse(row.text)
        let invalid = #expect(throws: InvalidEnvelope.self) { try JSONRPCMessage(json: json) }
        #expect(invalid?.error.code == -32600)
        #expect(invalid?.id == row.id)
        #expect(invalid?.error.message.hasPrefix("Invalid request: ") == true)
        #expect(invalid?.error.message.contains(row.phrase) == true, "\(invalid?.error.message ?? "") names the problem")
    }

    @Test("a message without an id is a notification")
    func notification() throws {
        let message = try Self.message(#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#)
        guard case .notification(let n) = message else {
            Issue.record("expected a notification, got \(message)")
            return
        }
        #expect(n.method == "notifications/progress")
        #expect(n.params == ["progress": 1])
        #expect(message.method == "notifications/progress")
    }

    @Test("a message with a method and an id is a request", arguments: [
        (#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#, RequestID.int(0)),
        (#"{"jsonrpc":"2.0","id":"abc","method":"ping"}"#, RequestID.string("abc")),
        (#"{"jsonrpc":"2.0","id":"","method":"ping"}"#, RequestID.string("")),
        (#"{"jsonrpc":"2.0","id":-5,"method":"ping"}"#, RequestID.int(-5)),
        (#"{"jsonrpc":"2.0","id":2.0,"method":"ping"}"#, RequestID.int(2)),
    ])
    func request(_ text: String, _ id: RequestID) throws {
        let message = try Self.message(text)
        guard case .request(let r) = message else {
            Issue.record("expected a request, got \(message)")
            return
        }
        #expect(r.id == id)
        #expect(r.method == "ping")
        #expect(r.params == nil)
    }

    @Test("params may be an object or an array")
    func paramsShapes() throws {
        guard case .request(let byName) = try Self.message(#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1}}"#),
              case .request(let byPosition) = try Self.message(#"{"jsonrpc":"2.0","id":2,"method":"m","params":[1,2]}"#)
        else {
            Issue.record("both are requests")
            return
        }
        #expect(byName.params == ["a": 1])
        #expect(byPosition.params == [1, 2])
    }

    @Test("responses carry a result or an error; an error may have a null id")
    func responses() throws {
        guard case .response(let ok) = try Self.message(#"{"jsonrpc":"2.0","id":"r1","result":{"tools":[]}}"#) else {
            Issue.record("a result is a response")
            return
        }
        #expect(ok.id == .string("r1"))
        #expect(try ok.outcome.get() == ["tools": []])

        guard case .response(let failed) = try Self.message(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error","data":{"at":3}}}"#) else {
            Issue.record("an error is a response")
            return
        }
        #expect(failed.id == nil)
        guard case .failure(let error) = failed.outcome else {
            Issue.record("the outcome is a failure")
            return
        }
        #expect(error == JSONRPCError(code: -32700, message: "Parse error", data: ["at": 3]))
        #expect(JSONRPCMessage.response(failed).method == nil)
    }

    @Test("unknown envelope members survive a round trip in extra", arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"_trace":"t-1","x-hangar":{"hop":[1,2]}}"#,
        #"{"jsonrpc":"2.0","method":"notifications/message","params":{},"x-extra":true}"#,
        #"{"jsonrpc":"2.0","id":"a","result":{},"x-timing":{"ms":12.5}}"#,
        #"{"jsonrpc":"2.0","id":3,"error":{"code":-31801,"message":"upstream down"},"x-upstream":"github"}"#,
    ])
    func extraRoundTrip(_ text: String) throws {
        let message = try Self.message(text)
        let extra: JSONObject
        switch message {
        case .request(let r): extra = r.extra
        case .notification(let n): extra = n.extra
        case .response(let r): extra = r.extra
        }
        #expect(!extra.isEmpty)
        #expect(extra.keys.allSatisfy { $0.hasPrefix("x-") || $0.hasPrefix("_") })
        let written = message.serialized()
        #expect(String(decoding: written, as: UTF8.self) == text, "members keep their order and values")
        #expect(try JSONRPCMessage(json: JSONParser.parse(written)) == message)
    }

    @Test("serialized messages start with jsonrpc and id, and are single-line")
    func serializedForm() {
        let request = JSONRPCMessage.request(.init(id: .int(7), method: "tools/list", params: ["cursor": "c\nd"]))
        #expect(String(decoding: request.serialized(), as: UTF8.self) == #"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"c\nd"}}"#)
        let error = JSONRPCMessage.response(.error(nil, JSONRPCError(.parseError, "Parse error")))
        #expect(String(decoding: error.serialized(), as: UTF8.self) == #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#)
        let result = JSONRPCMessage.response(.result(.string("x"), [:]))
        #expect(String(decoding: result.serialized(), as: UTF8.self) == #"{"jsonrpc":"2.0","id":"x","result":{}}"#)
    }

    /// `serialized()` writes the envelope directly; it must give the bytes of the envelope
    /// as a value, for every kind of message, with and without extra members, and when a
    /// hand-built `extra` names an envelope member (which then replaces it in place).
    @Test func serializedIsTheEnvelopeValueWritten() {
        let extra: JSONObject = ["x-trace": "t", "_z": [1, 2]]
        let messages: [JSONRPCMessage] = [
            .request(.init(id: .string("a\"b"), method: "tools/call", params: ["name": "é"], extra: extra)),
            .request(.init(id: .int(-3), method: "ping")),
            .notification(.init(method: "notifications/progress", params: [1, "two"], extra: extra)),
            .notification(.init(method: "notifications/initialized")),
            .response(.init(id: .int(9), outcome: .success(["content": []]), extra: extra)),
            .response(.init(id: nil, outcome: .failure(JSONRPCError(.invalidRequest, "bad", data: ["why": "x"])))),
            .request(.init(id: .int(1), method: "m", params: [:], extra: ["id": "replaced", "x": 1])),
        ]
        for message in messages {
            #expect(message.serialized() == JSONWriter.bytes(message.json), "\(message)")
        }
    }
}
