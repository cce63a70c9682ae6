import HangarCore
import Testing

/// One row of the RFC 8259 acceptance table: text that must parse, and what it must parse to.
struct Accepted: CustomTestStringConvertible, Sendable {
    let text: String
    let value: JSONValue
    init(_ text: String, _ value: JSONValue) {
        self.text = text
        self.value = value
    }
    var testDescription: String { text }
}

/// One row of the rejection table: text that must fail, with the kind of failure.
struct Rejected: CustomTestStringConvertible, Sendable {
    let text: String
    let kind: JSONParseError.Kind
    init(_ text: String, _ kind: JSONParseError.Kind = .syntax) {
        self.text = text
        self.kind = kind
    }
    var testDescription: String { text.isEmpty ? "(empty)" : text }
}

/// Bytes of a JSON document that carries invalid UTF-8 inside a string.
struct BadUTF8: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    var testDescription: String { name }
}

@Suite("JSONParser")
struct JSONParserTests {
    static let accepted: [Accepted] = [
        Accepted("null", nil),
        Accepted("true", true),
        Accepted("false", false),
        Accepted("0", 0),
        Accepted("-0", 0),
        Accepted("-0.0", .double(-0.0)),
        Accepted("42", 42),
        Accepted("-17", -17),
        Accepted("1.5", 1.5),
        Accepted("-1.25e3", -1250.0),
        Accepted("1e2", .double(100)),
        Accepted("1E+2", .double(100)),
        Accepted("25e-2", 0.25),
        Accepted("0.0", .double(0)),
        Accepted("999999999999999999", .int(999_999_999_999_999_999)),
        Accepted("9223372036854775807", .int(Int64.max)),
        Accepted("-9223372036854775808", .int(Int64.min)),
        Accepted("9223372036854775808", .double(9.223372036854775808e18)),
        Accepted("-9223372036854775809", .double(-9.223372036854775809e18)),
        Accepted("9999999999999999999", .double(9.999999999999999999e18)),
        Accepted("123456789012345678901234567890", .double(1.2345678901234567890123456789e29)),
        Accepted(#""""#, ""),
        Accepted(#""plain ascii""#, "plain ascii"),
        Accepted(#""héllo wörld 日本 😀""#, "héllo wörld 日本 😀"),
        Accepted(#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
        Accepted(#""\u0041\u00e9\u65E5""#, "Aé日"),
        Accepted(#""\u0000""#, "\u{0}"),
        Accepted(#""\ud83d\ude00""#, "😀"),
        Accepted(#""\uD800""#, "\u{FFFD}"),
        Accepted(#""\uDC00x""#, "\u{FFFD}x"),
        Accepted(#""\uD800\u0041""#, "\u{FFFD}A"),
        Accepted(#""a\uD800b""#, "a\u{FFFD}b"),
        Accepted(#""\uD800\uD83D\uDE00""#, "\u{FFFD}😀"),
        Accepted(#""\uDE00\uD83D""#, "\u{FFFD}\u{FFFD}"),
        Accepted(#""é\n""#, "é\n"),
        Accepted("[]", []),
        Accepted("{}", [:]),
        Accepted(" \t\r\n[ 1 , \"two\" , [ ] , { } ]\n ", [1, "two", [], [:]]),
        Accepted(#"{"a":{"b":[true,null]}}"#, ["a": ["b": [true, nil]]]),
        Accepted(#"{"a":1,"a":2}"#, ["a": 2]),
    ]

    static let rejected: [Rejected] = [
        Rejected(""),
        Rejected("   "),
        Rejected("01"),
        Rejected("-01"),
        Rejected("00"),
        Rejected("+1"),
        Rejected("-"),
        Rejected("1."),
        Rejected(".5"),
        Rejected("1e"),
        Rejected("1e+"),
        Rejected("0x10"),
        Rejected("NaN"),
        Rejected("Infinity"),
        Rejected("tru"),
        Rejected("True"),
        Rejected("nul"),
        Rejected("1 2"),
        Rejected("{} x"),
        Rejected("[1]]"),
        Rejected("[1,]"),
        Rejected("[1 2]"),
        Rejected("[1"),
        Rejected(#"{"a":1,}"#),
        Rejected(#"{"a" 1}"#),
        Rejected("{'a':1}"),
        Rejected("{1:2}"),
        Rejected(#"{"a":1"#),
        Rejected(#""abc"#),
        Rejected(#""a\"#),
        Rejected(#""\x""#),
        Rejected(#""\u12G4""#),
        Rejected(#""\u12""#),
        Rejected("\"a\u{01}b\""),
        Rejected("\"tab\there\""),
        Rejected("\"line\nbreak\""),
        Rejected("\"escaped then raw \\n\u{1F}\""),
    ]

    @Test("accepts valid JSON and reads it as RFC 8259 says", arguments: accepted)
    func accepts(_ row: Accepted) throws {
        let value = try JSONParser.parse(row.text)
        #expect(value == row.value)
        if case .double(let expected) = row.value, case .double(let actual) = value {
            #expect(actual.sign == expected.sign, "the sign of \(row.text) is kept")
        }
    }

    @Test("rejects invalid JSON with the kind of error", arguments: rejected)
    func rejects(_ row: Rejected) {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(row.text) }
        #expect(error?.kind == row.kind)
        #expect(error.map { $0.offset >= 0 && $0.offset <= row.text.utf8.count } == true, "the offset points into the input")
    }

    @Test("an error says where it happened")
    func errorOffset() {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":[1,2,x]}"#) }
        #expect(error?.offset == 10)
        #expect(error?.description.contains("at byte 10") == true)
    }

    static let badUTF8: [BadUTF8] = [
        BadUTF8(name: "overlong slash C0 AF", bytes: [0xC0, 0xAF]),
        BadUTF8(name: "overlong 3-byte E0 80 AF", bytes: [0xE0, 0x80, 0xAF]),
        BadUTF8(name: "overlong 4-byte F0 80 80 AF", bytes: [0xF0, 0x80, 0x80, 0xAF]),
        BadUTF8(name: "truncated 2-byte", bytes: [0x61, 0xC3]),
        BadUTF8(name: "truncated 3-byte", bytes: [0xE2, 0x82, 0x61]),
        BadUTF8(name: "truncated 4-byte", bytes: [0xF0, 0x9F, 0x98]),
        BadUTF8(name: "0xFF", bytes: [0xFF]),
        BadUTF8(name: "0xFE", bytes: [0x61, 0xFE, 0x62]),
        BadUTF8(name: "lone continuation byte", bytes: [0x80]),
        BadUTF8(name: "UTF-8 encoded surrogate", bytes: [0xED, 0xA0, 0x80]),
        BadUTF8(name: "beyond U+10FFFF", bytes: [0xF4, 0x90, 0x80, 0x80]),
    ]

    @Test("invalid UTF-8 inside a string is .invalidUTF8", arguments: badUTF8)
    func invalidUTF8(_ row: BadUTF8) {
        let plain = [0x22] + row.bytes + [0x22]
        let escaped = Array(#"["\n"#.utf8) + row.bytes + Array(#"\t"]"#.utf8)
        let key = Array(#"{""#.utf8) + row.bytes + Array(#"":1}"#.utf8)
        for document in [plain, escaped, key] {
            let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(document) }
            #expect(error?.kind == .invalidUTF8)
            #expect(error?.message.contains("UTF-8") == true)
        }
    }

    @Test("valid multi-byte UTF-8 is read as is, with and without escapes", arguments: ["é", "日本語", "😀👍🏽", "\u{10FFFF}", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}"])
    func validUTF8(_ text: String) throws {
        #expect(try JSONParser.parse(Array("\"\(text)\"".utf8)) == .string(text))
        #expect(try JSONParser.parse(Array("\"\\t\(text)\"".utf8)) == .string("\t" + text))
    }

    @Test("parses from any collection of bytes, contiguous or not")
    func nonContiguousInput() throws {
        let bytes = Array(#"{"a":[1,"é"]}"#.utf8)
        #expect(try JSONParser.parse(bytes.lazy.map { $0 }) == ["a": [1, "é"]])
        #expect(try JSONParser.parse(bytes[1..<4]) == .string("a"))
    }

    @Test("key order is kept as it arrived")
    func keyOrder() throws {
        let object = try #require(try JSONParser.parse(#"{"zeta":1,"alpha":2,"mid":3,"beta":4}"#).objectValue)
        #expect(Array(object.keys) == ["zeta", "alpha", "mid", "beta"])
    }

    @Test("a repeated key keeps its first place and its last value")
    func duplicateKeys() throws {
        let object = try #require(try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#).objectValue)
        #expect(Array(object.keys) == ["a", "b"])
        #expect(object["a"] == 3)
    }

    // MARK: - Limits

    @Test("a message exactly at the size limit parses; one byte more is .tooLarge naming the limit")
    func sizeLimit() throws {
        let limits = JSONLimits(maxMessageBytes: 16)
        let atLimit = #"{"k":"12345678"}"#
        #expect(atLimit.utf8.count == 16)
        #expect(try JSONParser.parse(atLimit, limits: limits) == ["k": "12345678"])
        let over = #"{"k":"123456789"}"#
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(over, limits: limits) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("17 bytes") == true)
        #expect(error?.message.contains("limit of 16") == true)
    }

    @Test("nesting exactly at the depth limit parses; one deeper is .tooDeep naming the limit", arguments: ["[", "{\"k\":"])
    func depthLimit(_ opener: String) throws {
        let closer = opener == "[" ? "]" : "}"
        func nested(_ depth: Int) -> String {
            String(repeating: opener, count: depth) + "1" + String(repeating: closer, count: depth)
        }
        let limits = JSONLimits(maxDepth: 5)
        _ = try JSONParser.parse(nested(5), limits: limits)
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(nested(6), limits: limits) }
        #expect(error?.kind == .tooDeep)
        #expect(error?.message.contains("limit of 5") == true)
    }

    @Test("the default depth limit is 64")
    func defaultDepth() throws {
        _ = try JSONParser.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64))
        let error = #expect(throws: JSONParseError.self) {
            try JSONParser.parse(String(repeating: "[", count: 65) + String(repeating: "]", count: 65))
        }
        #expect(error?.kind == .tooDeep)
    }

    @Test("deep nesting far past the limit is refused, not a stack overflow")
    func veryDeep() {
        let text = String(repeating: "[", count: 200_000)
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(text, limits: .upstream) }
        #expect(error?.kind == .tooDeep)
    }

    @Test("a container exactly at the element limit parses; one more is .tooManyElements naming the limit")
    func containerLimit() throws {
        let limits = JSONLimits(maxContainerCount: 3)
        #expect(try JSONParser.parse("[1,2,3]", limits: limits) == [1, 2, 3])
        #expect(try JSONParser.parse(#"{"a":1,"b":2,"c":3}"#, limits: limits) == ["a": 1, "b": 2, "c": 3])

        let array = #expect(throws: JSONParseError.self) { try JSONParser.parse("[1,2,3,4]", limits: limits) }
        #expect(array?.kind == .tooManyElements)
        #expect(array?.message.contains("more than 3 elements") == true)

        let object = #expect(throws: JSONParseError.self) {
            try JSONParser.parse(#"{"a":1,"b":2,"c":3,"d":4}"#, limits: limits)
        }
        #expect(object?.kind == .tooManyElements)
        #expect(object?.message.contains("more than 3 members") == true)

        // Members count as written: repeating one key cannot slip past the limit.
        let repeated = #expect(throws: JSONParseError.self) {
            try JSONParser.parse(#"{"a":1,"a":2,"a":3,"a":4}"#, limits: limits)
        }
        #expect(repeated?.kind == .tooManyElements)
        #expect(try JSONParser.parse(#"{"a":1,"a":2,"a":3}"#, limits: limits) == ["a": 3])
    }

    @Test("containers nested in containers keep their own members")
    func nestedContainers() throws {
        let text = #"{"a":[1,{"b":[],"c":{"d":[2,3]}},4],"e":{"f":[{"g":5}]},"h":[[],[[6]]]}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.string(value) == text)
        #expect(value["a"]?.arrayValue?.count == 3)
        #expect(value["a"]?.arrayValue?[1]["c"]?["d"] == [2, 3])
        #expect(value["h"]?.arrayValue?[1] == [[6]])
    }

    @Test("the default limits are 4 MiB, depth 64, a million elements and 100 messages a batch")
    func defaultLimits() {
        #expect(JSONLimits.default == JSONLimits(maxMessageBytes: 4 << 20, maxDepth: 64, maxContainerCount: 1_000_000, maxBatchCount: 100))
        #expect(JSONLimits.upstream.maxMessageBytes == 64 << 20)
        #expect(JSONLimits.upstream.maxDepth == 512)
    }
}
