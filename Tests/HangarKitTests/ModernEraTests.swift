import HangarCore
import HangarKit
import Testing

@Suite("MCPServer, modern era")
struct ModernEraTests {
    let client = InMemoryClient(
        server: makeServer(options: ServerOptions(cacheTTLMs: 30_000)), mode: .modern(ProtocolVersion.modern))

    @Test("server/discover gives versions, capabilities, serverInfo and cache hints")
    func discover() async throws {
        let result = try await client.result(MCPMethod.discover)
        #expect(result["resultType"] == "complete")
        #expect(result["supportedVersions"] == .array(ProtocolVersion.supported.map { .string($0) }))
        #expect(result["capabilities"]?["tools"] != nil)
        #expect(result["capabilities"]?["prompts"] != nil)
        #expect(result["_meta"]?[MetaKey.serverInfo] == ["name": "test-server", "version": "0.1.0"])
        #expect(result["ttlMs"] == 30_000)
        #expect(result["cacheScope"] == "public")
    }

    @Test("tools/call needs no handshake and says resultType complete")
    func callWithoutHandshake() async throws {
        let call = try await client.callTool("echo", ["text": "modern"])
        #expect(call["resultType"] == "complete")
        #expect(call.firstText == "modern")
        #expect(call["ttlMs"] == nil)
    }

    @Test("list results and resources/read carry resultType, ttlMs and cacheScope",
          arguments: [MCPMethod.toolsList, MCPMethod.resourcesList, MCPMethod.resourceTemplatesList, MCPMethod.promptsList])
    func listHints(method: String) async throws {
        let result = try await client.result(method)
        #expect(result["resultType"] == "complete")
        #expect(result["ttlMs"] == 30_000)
        #expect(result["cacheScope"] == "public")
        let read = try await client.result(MCPMethod.resourcesRead, ["uri": "test://items/3"])
        #expect(read["ttlMs"] == 30_000)
        #expect(read["contents"]?.arrayValue?.first?["text"] == "item 3")
    }

    @Test("an unsupported version is -32022 naming the supported ones")
    func unsupportedVersion() async throws {
        let old = InMemoryClient(server: client.server, mode: .modern("1900-01-01"))
        let answer = await #expect(throws: InMemoryClient.ErrorAnswer.self) { try await old.callTool("echo") }
        #expect(answer?.error.code == -32022)
        #expect(answer?.error.data?["requested"] == "1900-01-01")
        #expect(answer?.error.data?["supported"]?.arrayValue?.contains("2026-07-28") == true)
    }

    @Test("an unknown method is -32601")
    func unknownMethod() async throws {
        let answer = await #expect(throws: InMemoryClient.ErrorAnswer.self) { try await client.result("tools/frobnicate") }
        #expect(answer?.error.code == -32601)
    }

    @Test("a resource that does not exist is -32602 in the modern era")
    func resourceNotFound() async throws {
        let answer = await #expect(throws: InMemoryClient.ErrorAnswer.self) {
            try await client.result(MCPMethod.resourcesRead, ["uri": "test://missing"])
        }
        #expect(answer?.error.code == -32602)
        #expect(answer?.error.data?["uri"] == "test://missing")
    }

    @Test("a modern-only server refuses initialize and names the versions it supports")
    func modernOnlyRefusesInitialize() async throws {
        let legacy = InMemoryClient(server: makeServer(options: .modernOnly), mode: .legacy("2025-11-25"))
        let answer = await #expect(throws: InMemoryClient.ErrorAnswer.self) { try await legacy.connect() }
        #expect(answer?.error.message.contains(ProtocolVersion.modern) == true)
        #expect(answer?.error.data?["supported"] == [.string(ProtocolVersion.modern)])
    }

    @Test("one server answers a legacy session and modern requests side by side")
    func dualEra() async throws {
        let legacy = InMemoryClient(server: client.server, mode: .legacy("2025-06-18"))
        try await legacy.connect()
        #expect(try await legacy.callTool("echo", ["text": "old"])["resultType"] == nil)
        #expect(try await client.callTool("echo", ["text": "new"])["resultType"] == "complete")
    }
}
