import HangarCore
import Testing

@Suite("JSONRPCError")
struct JSONRPCErrorTests {
    static func parseError(_ text: String, _ limits: JSONLimits) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test("a parser limit becomes -32700 whose message names the limit", arguments: [
        ("[1,2,3,4,5,6,7,8,9]", JSONLimits(maxMessageBytes: 8), "tooLarge", "limit of 8"),
        ("[[[1]]]", JSONLimits(maxDepth: 2), "tooDeep", "limit of 2"),
        ("[1,2,3]", JSONLimits(maxContainerCount: 2), "tooManyElements", "more than 2 elements"),
    ])
    func limitMessages(_ text: String, _ limits: JSONLimits, _ reason: String, _ phrase: String) throws {
        let parseError = try #require(Self.parseError(text, limits))
        let error = JSONRPCError.parse(parseError)
        #expect(error.code == JSONRPCError.Code.parseError.rawValue)
        #expect(error.message.hasPrefix("Message rejected: "))
        #expect(error.message.contains(phrase))
        #expect(error.data == ["reason": .string(reason)])
    }

    @Test("a syntax error becomes -32700 with the place it was found")
    func syntaxMessage() throws {
        let error = JSONRPCError.parse(try #require(Self.parseError("[1,]", .default)))
        #expect(error.code == -32700)
        #expect(error.message.hasPrefix("Parse error: "))
        #expect(error.message.contains("at byte 3"))
        #expect(error.data == ["reason": "syntax"])
    }

    @Test("the wire codes are JSON-RPC's and MCP's", arguments: [
        (JSONRPCError.Code.parseError, -32700), (.invalidRequest, -32600), (.methodNotFound, -32601),
        (.invalidParams, -32602), (.internalError, -32603), (.resourceNotFound, -32002),
    ])
    func codes(_ code: JSONRPCError.Code, _ wire: Int) {
        #expect(code.rawValue == wire)
        #expect(JSONRPCError(code, "m").json["code"] == .int(Int64(wire)))
    }

    @Test("Hangar's own codes are outside the reserved range")
    func ownCodes() {
        for code in [JSONRPCError.Code.requestCancelled, .upstreamUnavailable, .upstreamTimeout, .limitExceeded] {
            #expect(!(-32768 ... -32000).contains(code.rawValue))
        }
    }

    @Test("the JSON form round-trips, data included")
    func jsonRoundTrip() throws {
        let error = JSONRPCError(.invalidParams, "Invalid params: missing name", data: ["field": "name"])
        #expect(JSONWriter.string(error.json) == #"{"code":-32602,"message":"Invalid params: missing name","data":{"field":"name"}}"#)
        #expect(JSONRPCError(json: error.json) == error)
        #expect(JSONRPCError(json: ["message": "no code"]) == nil)
        #expect(JSONRPCError(json: ["code": 5]) == JSONRPCError(code: 5, message: ""))
    }

    @Test("helpers say what went wrong")
    func helpers() {
        #expect(JSONRPCError.methodNotFound("tools/nope") == JSONRPCError(code: -32601, message: "Method not found: tools/nope"))
        #expect(JSONRPCError.invalidParams("bad cursor").message == "Invalid params: bad cursor")
        #expect(JSONRPCError(.internalError, "boom").description == "JSON-RPC error -32603: boom")
    }
}
