import HangarCore
import HangarKit
import Testing

@Suite("MCPServer, frames")
struct FramingTests {
    @Test("bad JSON is -32700 with a null id, and the server keeps answering")
    func badJSON() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        let answer = await client.send(frame: #"{"jsonrpc":"2.0","id":1,"method":"#)
        #expect(answer?["error"]?["code"] == .int(-32700))
        #expect(answer?["id"] == .null)
        let next = await client.send(frame: #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"still here"}}}"#)
        #expect(next?["result"]?["content"]?.arrayValue?.first?["text"] == "still here")
    }

    @Test("a message that is not JSON-RPC is -32600 with its id")
    func invalidEnvelope() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        let answer = await client.send(frame: #"{"jsonrpc":"1.0","id":9,"method":"ping"}"#)
        #expect(answer?["error"]?["code"] == .int(-32600))
        #expect(answer?["id"] == .int(9))
    }

    @Test("a line over the size limit is refused, not parsed")
    func oversized() async throws {
        let server = makeServer(options: ServerOptions(limits: JSONLimits(maxMessageBytes: 64)))
        let client = InMemoryClient(server: server, mode: .legacy("2025-11-25"))
        let text = String(repeating: "x", count: 100)
        let answer = await client.send(frame: #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"\#(text)"}}}"#)
        #expect(answer?["error"]?["code"] == .int(-32700))
        #expect(answer?["error"]?["data"]?["reason"] == "tooLarge")
    }

    @Test("notifications and responses get no answer")
    func noAnswer() async throws {
        let client = InMemoryClient(server: makeServer(), mode: .legacy("2025-11-25"))
        #expect(await client.send(frame: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#) == nil)
        #expect(await client.send(frame: #"{"jsonrpc":"2.0","id":5,"result":{}}"#) == nil)
    }
}
