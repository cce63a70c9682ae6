import HangarCore
import HangarKit
import Testing

@Suite("MCPServer, list pagination")
struct PaginationTests {
    func client(pageSize: Int?) -> InMemoryClient {
        let server = makeServer(options: ServerOptions(pageSize: pageSize))
        for i in 0..<5 { server.addTool(name: "t\(i)") { _ in .text("") } }
        return InMemoryClient(server: server, mode: .modern(ProtocolVersion.modern))
    }

    @Test("pages of 3 walk all 7 tools in order with opaque cursors")
    func walk() async throws {
        let client = client(pageSize: 3)
        var names: [String] = []
        var cursor: JSONValue?
        var pages = 0
        repeat {
            var params: JSONObject = [:]
            if let cursor { params["cursor"] = cursor }
            let page = try await client.result(MCPMethod.toolsList, params)
            let tools = page["tools"]?.arrayValue ?? []
            #expect(tools.count <= 3)
            names += tools.compactMap { $0["name"]?.stringValue }
            #expect(page["ttlMs"] != nil)
            cursor = page["nextCursor"]
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(names == ["echo", "fail", "t0", "t1", "t2", "t3", "t4"])
    }

    @Test("without a page size everything comes in one page")
    func unlimited() async throws {
        let page = try await client(pageSize: nil).result(MCPMethod.toolsList)
        #expect(page["tools"]?.arrayValue?.count == 7)
        #expect(page["nextCursor"] == nil)
    }

    @Test("a cursor the server did not hand out is invalid params", arguments: ["bogus", "hk1.zzzz"])
    func badCursor(cursor: String) async throws {
        let answer = await #expect(throws: InMemoryClient.ErrorAnswer.self) {
            try await client(pageSize: 2).result(MCPMethod.toolsList, ["cursor": .string(cursor)])
        }
        #expect(answer?.error.code == -32602)
    }
}
