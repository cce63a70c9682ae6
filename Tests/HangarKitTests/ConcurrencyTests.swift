import HangarCore
import HangarKit
import Testing

@Suite("MCPServer, concurrent requests, cancellation and notifications")
struct ConcurrencyTests {
    /// A server whose `wait` tool blocks until cancelled, raising `started` and `stopped`.
    func blockingServer(started: Signal, stopped: Signal) -> MCPServer {
        let server = makeServer()
        server.addTool(name: "wait") { _ in
            started.raise()
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                stopped.raise()
                throw error
            }
            return .text("woke up")
        }
        return server
    }

    @Test("notifications/cancelled stops a sleeping tool and nothing is sent for it")
    func cancellation() async throws {
        let started = Signal(), stopped = Signal()
        let client = InMemoryClient(server: blockingServer(started: started, stopped: stopped), mode: .legacy("2025-11-25"))
        try await client.connect()
        let pending = Task { await client.request(MCPMethod.toolsCall, ["name": "wait"], id: .string("w-1")) }
        try await started.wait("the tool to start")
        #expect(client.server.requestsInFlight == 1)
        await client.notify(MCPMethod.cancelled, ["requestId": "w-1", "reason": "user pressed stop"])
        try await stopped.wait("the cancellation to reach the tool")
        let answer = try await withDeadline(5, "handle() to return") { await pending.value }
        #expect(answer == nil)
        #expect(client.server.requestsInFlight == 0)
    }

    @Test("a sleeping tool does not hold up other calls")
    func sleeperDoesNotBlock() async throws {
        let started = Signal(), stopped = Signal()
        let client = InMemoryClient(server: blockingServer(started: started, stopped: stopped), mode: .modern(ProtocolVersion.modern))
        let pending = Task { await client.request(MCPMethod.toolsCall, ["name": "wait"], id: .int(100)) }
        try await started.wait("the tool to start")
        let echo = try await withDeadline(5, "echo while another call sleeps") {
            try await client.callTool("echo", ["text": "not blocked"])
        }
        #expect(echo.firstText == "not blocked")
        await client.notify(MCPMethod.cancelled, ["requestId": 100])
        #expect(try await withDeadline(5, "the cancelled call") { await pending.value } == nil)
    }

    @Test("progress is reported to the client before the result, with its token")
    func progress() async throws {
        let server = makeServer()
        server.addTool(name: "steps") { call in
            for step in 1...3 { call.progress.report(Double(step), total: 3, message: "step \(step)") }
            return .text("done")
        }
        let client = InMemoryClient(server: server, mode: .legacy("2025-11-25"))
        try await client.connect()
        let result = try await client.callTool("steps", meta: ["progressToken": "tok-1"])
        #expect(result.firstText == "done")
        var seen: [JSONValue] = []
        for await message in client.notifications {
            guard case .notification(let n) = message, n.method == MCPMethod.progress else { continue }
            seen.append(n.params ?? .null)
            if seen.count == 3 { break }
        }
        #expect(seen.map { $0["progressToken"] } == ["tok-1", "tok-1", "tok-1"])
        #expect(seen.map { $0["progress"]?.doubleValue } == [1, 2, 3])
        #expect(seen.last?["message"] == "step 3")
    }

    @Test("no progress is sent when the client gave no token")
    func noTokenNoProgress() async throws {
        let server = makeServer()
        server.addTool(name: "steps") { [weak server] call in
            call.progress.report(1)
            server?.notifyPromptsListChanged()  // a marker that something was sent
            return .text("done")
        }
        let client = InMemoryClient(server: server, mode: .modern(ProtocolVersion.modern))
        _ = try await client.callTool("steps")
        for await message in client.notifications {
            #expect(message.method == MCPMethod.promptsListChanged)
            break
        }
    }

    @Test("a tool added at run time is listed, and the client is told to re-list")
    func listChanged() async throws {
        let server = makeServer()
        let client = InMemoryClient(server: server, mode: .legacy("2025-11-25"))
        try await client.connect()
        server.addTool(name: "late") { _ in .text("late") }
        server.notifyToolsListChanged()
        for await message in client.notifications {
            #expect(message.method == MCPMethod.toolsListChanged)
            break
        }
        let names = try await client.result(MCPMethod.toolsList)["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names?.last == "late")
    }
}
