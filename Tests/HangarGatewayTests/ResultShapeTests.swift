@testable import HangarGateway
import HangarCore
import Logging
import Testing

/// How an upstream's result is made right for the client's era (`Gateway.shape`).
@Suite struct ResultShapeTests {
    static let gateway = Gateway(config: GatewayConfig(), logger: Logger(label: "shape-test"))
    static let modern = RequestContext(era: .modern, protocolVersion: ProtocolVersion.modern)
    static let legacy = RequestContext(era: .legacy, protocolVersion: "2025-11-25")

    static func shaped(_ result: JSONValue, _ context: RequestContext, method: String = MCPMethod.toolsCall) throws -> JSONValue {
        try gateway.shape(result, method: method, context: context).get()
    }

    @Test("a modern result names Hangar in its _meta, in place: other _meta members and every member's place stay")
    func modernMeta() throws {
        let upstream: JSONValue = [
            "content": [["type": "text", "text": "hi"]],
            "_meta": [MetaKey.serverInfo: ["name": "upstream", "version": "1"], "x-trace": "t-1"],
            "isError": false,
        ]
        let result = try Self.shaped(upstream, Self.modern)
        #expect(result.objectValue?.keys.elements == ["content", "_meta", "isError", "resultType"])
        #expect(result["_meta"]?.objectValue?.keys.elements == [MetaKey.serverInfo, "x-trace"])
        #expect(result["_meta"]?[MetaKey.serverInfo] == Gateway.serverInfo)
        #expect(result["_meta"]?["x-trace"] == "t-1")
        #expect(result["resultType"] == "complete")
        #expect(result["ttlMs"] == nil, "a tool result is not cacheable")
        // The caller's value is its own: shaping a copy leaves it as it was.
        #expect(upstream["_meta"]?[MetaKey.serverInfo]?["name"] == "upstream")
        #expect(upstream["resultType"] == nil)
    }

    @Test("a result without _meta, or with one that is not an object, gets Hangar's")
    func modernMetaAdded() throws {
        for upstream: JSONValue in [["content": []], ["content": [], "_meta": "junk"]] {
            let result = try Self.shaped(upstream, Self.modern)
            #expect(result["_meta"] == [MetaKey.serverInfo: Gateway.serverInfo])
        }
        let list = try Self.shaped(["tools": []], Self.modern, method: MCPMethod.toolsList)
        #expect(list["ttlMs"] != nil && list["cacheScope"] == "private")
        #expect(try Self.shaped(.string("not an object"), Self.modern) == .string("not an object"))
    }

    @Test("a legacy result loses the modern members, and an emptied _meta goes too")
    func legacyResult() throws {
        let upstream: JSONValue = ["tools": [], "resultType": "complete", "ttlMs": 5, "cacheScope": "public",
                                   "_meta": [MetaKey.serverInfo: ["name": "upstream"]]]
        #expect(try Self.shaped(upstream, Self.legacy, method: MCPMethod.toolsList) == ["tools": []])
        let kept = try Self.shaped(["content": [], "_meta": [MetaKey.serverInfo: ["name": "u"], "x": 1]], Self.legacy)
        #expect(kept == ["content": [], "_meta": ["x": 1]])
        let asking: JSONValue = ["resultType": "input_required", "inputRequests": ["confirm": [:]]]
        #expect(throws: JSONRPCError.self) { try Self.shaped(asking, Self.legacy) }
    }

    @Test("a tool result kept as text is shaped to the same value as when parsed, in both eras; other members keep their text")
    func textShape() throws {
        let results: [String] = [
            #"{"content":[{"type":"text","text":"hi"}],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"u"},"x-trace":"t-1"},"isError":false}"#,
            #"{"content":[],"_meta":"junk","resultType":"complete","n":1.50}"#,
            #"{"content":[],"resultType":"complete","ttlMs":5,"cacheScope":"public","_meta":{"io.modelcontextprotocol/serverInfo":{}}}"#,
            #"{"content":[]}"#,
        ]
        for text in results {
            let raw = try #require(RawJSONObject(validating: Array(text.utf8), limits: .default))
            for context in [Self.modern, Self.legacy] {
                let shaped = try Self.gateway.shape(text: raw, method: MCPMethod.toolsCall, context: context).get()
                #expect(shaped.value == (try Self.shaped(raw.value, context)), "\(text) in \(context.era)")
                #expect(shaped.members.map(\.key) == (try Self.shaped(raw.value, context)).objectValue?.keys.elements, "member order")
            }
        }
        let kept = try Self.gateway.shape(text: try #require(RawJSONObject(validating: Array(results[1].utf8), limits: .default)), method: MCPMethod.toolsCall, context: Self.modern).get()
        #expect(String(decoding: kept.bytes, as: UTF8.self).contains(#""n":1.50"#), "a member Hangar does not change keeps its text")
        let asking = try #require(RawJSONObject(validating: Array(#"{"resultType":"input_required","inputRequests":{"confirm":{}}}"#.utf8), limits: .default))
        #expect(throws: JSONRPCError.self) { try Self.gateway.shape(text: asking, method: MCPMethod.toolsCall, context: Self.legacy).get() }
        #expect(try Self.gateway.shape(text: asking, method: MCPMethod.toolsCall, context: Self.modern).get()["resultType"] == "input_required")
    }
}
