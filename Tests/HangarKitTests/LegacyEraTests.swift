import HangarCore
import HangarKit
import Testing

@Suite("MCPServer, legacy era")
struct LegacyEraTests {
    @Test("initialize answers the client's version, then tools/list and tools/call work",
          arguments: ProtocolVersion.legacyVersions)
    func handshakeThenCall(version: String) async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy(version))
        let initialized = try await client.connect()
        #expect(initialized["protocolVersion"] == .string(version))
        #expect(initialized["serverInfo"]?["name"] == "test-server")
        #expect(initialized["serverInfo"]?["version"] == "0.1.0")
        #expect(initialized["capabilities"]?["tools"] != nil)
        #expect(initialized["instructions"] == "For tests.")

        let list = try await client.result(MCPMethod.toolsList)
        let names = list["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["echo", "fail"])
        #expect(list["resultType"] == nil)
        #expect(list["ttlMs"] == nil)

        let call = try await client.callTool("echo", ["text": "hi there"])
        #expect(call.firstText == "hi there")
        #expect(call["isError"] == false)
        #expect(call["resultType"] == nil)
    }

    @Test("an unknown version is answered with the newest legacy version")
    func negotiatesDown() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2099-01-01"))
        let initialized = try await client.connect()
        #expect(initialized["protocolVersion"] == .string(ProtocolVersion.latestLegacy))
    }

    @Test("a throwing tool gives a result with isError, not a protocol error")
    func toolErrorIsResult() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        try await client.connect()
        let call = try await client.callTool("fail")
        #expect(call["isError"] == true)
        #expect(call.firstText == "the widget is broken")
    }

    @Test("an unknown tool is invalid params")
    func unknownTool() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        try await client.connect()
        let answer = await #expect(throws: InMemoryClient.ErrorAnswer.self) { try await client.callTool("nope") }
        #expect(answer?.error.code == JSONRPCError.Code.invalidParams.rawValue)
    }

    @Test("ping is answered with an empty object")
    func ping() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        try await client.connect()
        #expect(try await client.result(MCPMethod.ping) == [:])
    }

    @Test("a batch is refused under 2025-11-25")
    func batchRefused() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        try await client.connect()
        let answer = await client.send(frame: #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#)
        #expect(answer?["error"]?["code"] == .int(-32600))
        #expect(answer?["id"] == .null)
    }

    @Test("a batch is answered with an array under 2025-03-26")
    func batchAnswered() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-03-26"))
        try await client.connect()
        let answer = await client.send(frame: """
            [{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a"}}},\
            {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}},\
            {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"b"}}}]
            """)
        let items = try #require(answer?.arrayValue)
        #expect(items.count == 2)
        #expect(items.map { $0["id"] } == [.int(1), .int(2)])
        #expect(items[1]["result"]?["content"]?.arrayValue?.first?["text"] == "b")
    }

    @Test("resources and prompts: read, template read, not found (-32002), prompt get")
    func resourcesAndPrompts() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        try await client.connect()
        let hello = try await client.result(MCPMethod.resourcesRead, ["uri": "test://hello"])
        #expect(hello["contents"]?.arrayValue?.first?["text"] == "hello")
        let item = try await client.result(MCPMethod.resourcesRead, ["uri": "test://items/7"])
        #expect(item["contents"]?.arrayValue?.first?["text"] == "item 7")
        let missing = await #expect(throws: InMemoryClient.ErrorAnswer.self) {
            try await client.result(MCPMethod.resourcesRead, ["uri": "test://nothing"])
        }
        #expect(missing?.error.code == -32002)
        let prompt = try await client.result(MCPMethod.promptsGet, ["name": "greet", "arguments": ["name": "Ann"]])
        #expect(prompt["messages"]?.arrayValue?.first?["content"]?["text"] == "Hello, Ann!")
        let noName = await #expect(throws: InMemoryClient.ErrorAnswer.self) {
            try await client.result(MCPMethod.promptsGet, ["name": "greet"])
        }
        #expect(noName?.error.code == -32602)
    }

    @Test("a legacy-only server refuses server/discover and requests before initialize like mcp 1.x")
    func legacyOnlyServer() async throws {
        let server = makeServer(options: .legacyOnly)
        let modern = InMemoryClient(server: server, mode: .modern(ProtocolVersion.modern))
        let discover = await #expect(throws: InMemoryClient.ErrorAnswer.self) { try await modern.result(MCPMethod.discover) }
        #expect(discover?.error == JSONRPCError(code: -32602, message: "Invalid request parameters"))
        let early = await #expect(throws: InMemoryClient.ErrorAnswer.self) { try await modern.result(MCPMethod.toolsList) }
        #expect(early?.error.code == -32602)

        let legacy = InMemoryClient(server: server, mode: .legacy("2025-06-18"))
        try await legacy.connect()
        #expect(try await legacy.callTool("echo", ["text": "ok"]).firstText == "ok")
    }
}
