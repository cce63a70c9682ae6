import HangarCore
import Testing

/// A value and the exact compact text the writer must produce for it.
struct Written: CustomTestStringConvertible, Sendable {
    let value: JSONValue
    let text: String
    init(_ value: JSONValue, _ text: String) {
        self.value = value
        self.text = text
    }
    var testDescription: String { text }
}

@Suite("JSONWriter")
struct JSONWriterTests {
    static let forms: [Written] = [
        Written(nil, "null"),
        Written(true, "true"),
        Written(false, "false"),
        Written(0, "0"),
        Written(7, "7"),
        Written(10, "10"),
        Written(-1, "-1"),
        Written(1234567890, "1234567890"),
        Written(.int(Int64.max), "9223372036854775807"),
        Written(.int(Int64.min), "-9223372036854775808"),
        Written(1.5, "1.5"),
        Written(-0.25, "-0.25"),
        Written(2.0, "2"),
        Written(1e300, "1e+300"),
        Written(.double(.infinity), "null"),
        Written(.double(-.infinity), "null"),
        Written(.double(.nan), "null"),
        Written("", #""""#),
        Written("a\"b\\c/d", #""a\"b\\c/d""#),
        Written("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
        Written("\u{0}\u{1}\u{1F}\u{7F}", #""\u0000\u0001\u001f\#u{7F}""#),
        Written("héllo 😀", #""héllo 😀""#),
        Written([], "[]"),
        Written([:], "{}"),
        Written([1, "two", nil, [true]], #"[1,"two",null,[true]]"#),
        Written(["b": 1, "a": ["c": []]], #"{"b":1,"a":{"c":[]}}"#),
    ]

    @Test("writes compact JSON in the expected form", arguments: forms)
    func form(_ row: Written) {
        #expect(JSONWriter.string(row.value) == row.text)
        #expect(JSONWriter.bytes(row.value) == Array(row.text.utf8))
        #expect(row.value.description == row.text)
        #expect(JSONWriter.byteCount(row.value) == row.text.utf8.count, "the counted length is the written one")
    }

    static let corpus: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}"#,
        #"{"jsonrpc":"2.0","id":"req-7","result":{"content":[{"type":"text","text":"line one\nline two\ttabbed \"quoted\" \\ back"}],"isError":false}}"#,
        #"{"unicode":"日本語 — “curly” é ñ 😀 👍🏽","escaped":"\u00e9\u65e5\ud83d\ude00","nul":"a\u0000b","ctl":"\u0001\u001f","sep":"\u2028\u2029"}"#,
        #"[0,-0,1,-1,9223372036854775807,-9223372036854775808,1.5,-2.25e-7,1e21,12345678901234567890]"#,
        #"{"z":null,"y":true,"x":false,"w":[],"v":{},"u":[[[[]]]],"t":"","s":"\/"}"#,
        #"{"a":{"b":{"c":{"d":[1,{"e":"f"}]}}},"keys":{"zeta":1,"alpha":2,"mid":3}}"#,
    ]

    @Test("parse → write → parse gives the same value", arguments: corpus)
    func roundTrip(_ text: String) throws {
        let first = try JSONParser.parse(text)
        let written = JSONWriter.bytes(first)
        let second = try JSONParser.parse(written)
        #expect(second == first)
        #expect(JSONWriter.bytes(second) == written, "writing is stable")
        #expect(JSONWriter.byteCount(first) == written.count, "the counted length is the written one")
    }

    @Test("output never contains a raw newline or control character", arguments: 0..<0x20)
    func noRawControl(_ code: Int) throws {
        let scalar = Character(Unicode.Scalar(UInt8(code)))
        let text = "before\(scalar)after"
        let value: JSONValue = ["key\(scalar)": .string(text), "list": [.string(String(scalar))]]
        let bytes = JSONWriter.bytes(value)
        #expect(!bytes.contains { $0 < 0x20 })
        #expect(try JSONParser.parse(bytes) == value)
    }

    @Test("object keys are written in insertion order, not sorted")
    func keyOrder() throws {
        var object = JSONObject()
        for key in ["zeta", "alpha", "mid", "beta"] { object[key] = .string(key) }
        #expect(JSONWriter.string(.object(object)) == #"{"zeta":"zeta","alpha":"alpha","mid":"mid","beta":"beta"}"#)
        let text = #"{"z":1,"a":2,"m":{"y":1,"b":2}}"#
        #expect(JSONWriter.string(try JSONParser.parse(text)) == text)
    }

    @Test("sortedBytes writes every object's members in key order, at any depth")
    func sortedKeys() {
        let value: JSONValue = ["b": 1, "a": ["d": [["z": 1, "y": "é\n"]], "c": nil]]
        #expect(String(decoding: JSONWriter.sortedBytes(value), as: UTF8.self) == #"{"a":{"c":null,"d":[{"y":"é\n","z":1}]},"b":1}"#)
        #expect(JSONWriter.string(value) == #"{"b":1,"a":{"d":[{"z":1,"y":"é\n"}],"c":null}}"#, "plain writing keeps insertion order")
    }

    @Test("writeString appends an escaped, quoted string")
    func writeStringAppends() {
        var out = Array("x=".utf8)
        JSONWriter.writeString("a\"\n", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"x="a\"\n""#)
    }

    @Test("a large document (1,000 tools) round-trips")
    func largeDocument() throws {
        var tools: [JSONValue] = []
        for i in 0..<1000 {
            tools.append(["name": .string("tool_\(i)"), "description": .string("Tool \(i) — does “things”\n"),
                          "inputSchema": ["type": "object", "properties": ["n": ["type": "integer", "maximum": .int(Int64(i))]]]])
        }
        let value: JSONValue = ["jsonrpc": "2.0", "id": 1, "result": ["tools": .array(tools)]]
        let bytes = JSONWriter.bytes(value)
        #expect(try JSONParser.parse(bytes, limits: .upstream) == value)
        #expect(!bytes.contains(UInt8(ascii: "\n")))
    }
}
