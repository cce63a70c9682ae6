import HangarCore
import Testing

/// `RawJSONObject` takes only text `JSONParser` accepts, and means what the parser reads.
@Suite("RawJSONObject")
struct RawJSONObjectTests {
    /// The rule every text must keep: text kept raw parses, to the same value; text the parser
    /// refuses is never kept.
    static func agrees(_ bytes: [UInt8], limits: JSONLimits = .default) -> Bool {
        let raw = RawJSONObject(validating: bytes, limits: limits)
        let parsed = try? JSONParser.parse(bytes, limits: limits)
        guard let raw else { return true }
        return parsed == raw.value
    }

    @Test("every row of the parser's tables, as a member's value, is kept or left to the parser as the parser reads it")
    func parserTables() {
        var kept = 0
        for row in JSONParserTests.accepted {
            let text = Array("{\"k\": \(row.text) }".utf8)
            #expect(Self.agrees(text), "\(row.text)")
            if let raw = RawJSONObject(validating: text, limits: .default) {
                kept += 1
                #expect(raw["k"] == row.value, "\(row.text)")
            }
        }
        #expect(kept >= JSONParserTests.accepted.count - 2, "nearly every accepted row is kept as text")
        for row in JSONParserTests.rejected {
            #expect(RawJSONObject(validating: Array("{\"k\":\(row.text)}".utf8), limits: .default) == nil, "\(row.text)")
        }
        for row in JSONParserTests.badUTF8 {
            #expect(RawJSONObject(validating: Array("{\"k\":".utf8) + row.bytes + Array("}".utf8), limits: .default) == nil, "\(row.name)")
        }
    }

    @Test("valid UTF-8 of every length passes; overlong forms, surrogates and bytes past U+10FFFF do not",
          arguments: [
            ([0xC3, 0xA9], true), ([0xE6, 0x97, 0xA5], true), ([0xF0, 0x9F, 0x98, 0x80], true), ([0xF4, 0x8F, 0xBF, 0xBF], true),
            ([0xC0, 0x80], false), ([0xE0, 0x80, 0x80], false), ([0xED, 0xA0, 0x80], false), ([0xF4, 0x90, 0x80, 0x80], false),
            ([0xF8, 0x88, 0x80, 0x80, 0x80], false), ([0x80], false), ([0xE6, 0x97], false),
          ] as [([UInt8], Bool)])
    func utf8(bytes: [UInt8], valid: Bool) {
        let text = Array(#"{"k":"a"#.utf8) + bytes + Array(#"b"}"#.utf8)
        #expect((RawJSONObject(validating: text, limits: .default) != nil) == valid)
        #expect(((try? JSONParser.parse(text)) != nil) == valid)
    }

    @Test("a repeated key, at any depth, or an escaped key leaves the text to the parser")
    func refusedShapes() {
        for text in [#"{"a":1,"a":2}"#, #"{"x":{"b":[{"c":1,"c":1}]}}"#, #"{"\u0061":1}"#, #"{"a\"b":1}"#, "[1]", #""s""#, "{} {}"] {
            #expect(RawJSONObject(validating: Array(text.utf8), limits: .default) == nil, "\(text)")
        }
        // Twenty keys take the hashed check: distinct ones pass, one repeat fails.
        let many = (0..<20).map { "\"k\($0)\":\($0)" }
        #expect(RawJSONObject(validating: Array("{\(many.joined(separator: ","))}".utf8), limits: .default) != nil)
        #expect(RawJSONObject(validating: Array("{\((many + ["\"k7\":0"]).joined(separator: ","))}".utf8), limits: .default) == nil)
    }

    @Test("the limits hold as in the parser: depth, members, size")
    func limits() {
        let limits = JSONLimits(maxMessageBytes: 64, maxDepth: 3, maxContainerCount: 3)
        #expect(RawJSONObject(validating: Array(#"{"a":{"b":[1]}}"#.utf8), limits: limits) != nil)
        #expect(RawJSONObject(validating: Array(#"{"a":{"b":[[1]]}}"#.utf8), limits: limits) == nil)
        #expect(RawJSONObject(validating: Array(#"{"a":[1,2,3]}"#.utf8), limits: limits) != nil)
        #expect(RawJSONObject(validating: Array(#"{"a":[1,2,3,4]}"#.utf8), limits: limits) == nil)
        #expect(RawJSONObject(validating: Array(#"{"a":1,"b":2,"c":3,"d":4}"#.utf8), limits: limits) == nil)
        #expect(RawJSONObject(validating: Array("{\"a\":\"\(String(repeating: "x", count: 60))\"}".utf8), limits: limits) == nil)
    }

    @Test("mutated messages: whatever is kept as text parses to the same value")
    func mutations() {
        let seeds = [
            #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"a\"b\\c\n\u00e9 日本"}],"isError":false,"structuredContent":{"n":-1.5e3,"ok":true,"none":null}}}"#,
            #"{ "a" : [ 1 , 2.0 , { "b" : "c" } ] , "d" : { } , "e" : [ ] }"#,
        ].map { Array($0.utf8) }
        var generator = SplitMix(seed: 0x5EED)
        let alphabet = Array(#"{}[]":,\"0123456789-+.eEtrufalsn u"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        var kept = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let at = Int(generator.next() % UInt64(bytes.count))
                let byte = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                switch generator.next() % 3 {
                case 0: bytes[at] = byte
                case 1: bytes.insert(byte, at: at)
                default: bytes.remove(at: at)
                }
            }
            if !Self.agrees(bytes) {
                Issue.record("disagrees with the parser: \(String(decoding: bytes, as: UTF8.self))")
                return
            }
            if RawJSONObject(validating: bytes, limits: .default) != nil { kept += 1 }
        }
        #expect(kept > 100, "some mutations stay valid and are kept (\(kept))")
    }

    @Test("members are read on their own, an object member comes as text, and whitespace around the object goes")
    func members() throws {
        let text = Array("  \n{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"a\":[1,{\"x\":1}],\"b\":{\"c\":true}}}\t ".utf8)
        let raw = try #require(RawJSONObject(validating: text, limits: .default))
        #expect(raw.bytes.first == UInt8(ascii: "{") && raw.bytes.last == UInt8(ascii: "}"))
        #expect(raw.members.map(\.key) == ["jsonrpc", "id", "result"])
        #expect(raw["id"] == 3)
        #expect(raw["missing"] == nil)
        #expect(raw.member("jsonrpc", isWritten: #""2.0""#) && !raw.member("id", isWritten: "33") && !raw.member("missing", isWritten: "3"))
        let result = try #require(raw.object("result"))
        #expect(String(decoding: result.bytes, as: UTF8.self) == #"{"a":[1,{"x":1}],"b":{"c":true}}"#)
        #expect(result.members.map(\.key) == ["a", "b"])
        #expect(result["b"] == ["c": true])
        #expect(raw.object("id") == nil, "a member that is not an object")
        #expect(raw.isObject("result") && !raw.isObject("id") && !raw.isObject("missing"))
        #expect(raw.resultResponseID == 3)
        for other in [#"{"jsonrpc":"2.0","id":3,"result":[]}"#, #"{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"m"}}"#,
                      #"{"jsonrpc":"2.0","id":3,"result":{},"x":1}"#, #"{"jsonrpc":"1.0","id":3,"result":{}}"#, #"{"jsonrpc":"2.0","method":"m","params":{}}"#] {
            #expect(RawJSONObject(validating: Array(other.utf8), limits: .default)?.resultResponseID == nil, "\(other)")
        }
    }

    @Test("replacing keeps every other member's text and place, sets in place, removes, and appends new members")
    func replacing() throws {
        let raw = try #require(RawJSONObject(validating: Array(#"{"n":1.50,"_meta":{"a":1},"resultType":"complete","big":12345678901234567890}"#.utf8),
                                             limits: .default))
        let changed = raw.replacing([("_meta", ["b": 2]), ("resultType", nil), ("ttlMs", 5), ("absent", nil)])
        #expect(String(decoding: changed.bytes, as: UTF8.self) == #"{"n":1.50,"_meta":{"b":2},"big":12345678901234567890,"ttlMs":5}"#)
        #expect(changed.members.map(\.key) == ["n", "_meta", "big", "ttlMs"])
        #expect(changed["ttlMs"] == 5 && changed["_meta"] == ["b": 2] && changed["n"] == 1.5)
        let emptied = raw.replacing([("n", nil), ("_meta", nil), ("resultType", nil), ("big", nil)])
        #expect(emptied.bytes == Array("{}".utf8) && emptied.members.isEmpty)
        #expect(emptied.replacing([("x", true)]).bytes == Array(#"{"x":true}"#.utf8))
    }

    @Test("a response with a text result is written with that text, and reads back as the same value")
    func response() throws {
        let raw = try #require(RawJSONObject(validating: Array(#"{"content":[],"n":1.50}"#.utf8), limits: .default))
        let response = JSONRPCMessage.Response(id: .int(9), raw: raw)
        #expect(String(decoding: JSONRPCMessage.response(response).serialized(), as: UTF8.self) == #"{"jsonrpc":"2.0","id":9,"result":{"content":[],"n":1.50}}"#)
        #expect(response.error == nil)
        #expect(response == JSONRPCMessage.Response.result(.int(9), ["content": [], "n": 1.5]))
    }
}

/// A small seeded generator, so a failing mutation run repeats exactly.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
