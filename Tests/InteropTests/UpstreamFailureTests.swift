import Foundation
import HangarCore
import Testing

extension Interop {
    /// What a client notices when an upstream misbehaves: a prompt error naming the server, and
    /// service again once Hangar has restarted it.
    @Suite(.serialized)
    struct UpstreamFailureTests {
        @Test("an upstream killed mid-call fails the call at once, naming the server; the next call succeeds")
        func killedMidCall() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let started = ContinuousClock.now
            let (status, crashed) = try await daemon.modern(MCPMethod.toolsCall, ["name": "fast__crash", "arguments": [:]])
            let elapsed = ContinuousClock.now - started
            #expect(status == 200)
            let error = try #require(crashed["error"], "expected an error, got \(crashed)")
            #expect(error["code"]?.intValue == Int64(JSONRPCError.Code.upstreamUnavailable.rawValue))
            #expect(error["message"]?.stringValue?.contains("'fast'") == true, "\(error)")
            #expect(error["message"]?.stringValue?.contains("status 3") == true, "\(error)")
            #expect(elapsed < .seconds(5), "the error took \(elapsed)")

            // The next call waits for the restart and succeeds.
            let (_, echoed) = try await daemon.modern(MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "back"]], id: 2)
            #expect(echoed["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "back", "\(echoed)")
            let (_, health) = try await daemon.post([], headers: [])  // a POST without body is rejected, the daemon stays up
            #expect(health["error"] != nil)
        }

        @Test("a request past its timeout gets a timeout error and the upstream is told to cancel")
        func timeoutCancelsUpstream() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer(timeoutSeconds: 0.5)], extraArguments: ["--log-level", "debug"])
            defer { Task { await daemon.stop() } }
            // A call answered first leaves the session's one timer set for its own deadline,
            // which passes while the sleeping call is still due later: the timer must be set again.
            let (_, echoed) = try await daemon.modern(MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "first"]], id: 1)
            #expect(echoed["result"] != nil, "\(echoed)")
            let (_, reply) = try await daemon.modern(MCPMethod.toolsCall, ["name": "fast__sleep", "arguments": ["ms": 20000]], id: 2,
                                                     timeout: .seconds(10))
            #expect(reply["error"]?["code"]?.intValue == Int64(JSONRPCError.Code.upstreamTimeout.rawValue), "\(reply)")
            #expect(reply["error"]?["message"]?.stringValue?.contains("'fast'") == true)
            // The fast upstream logs "cancelled <id>" on stderr when notifications/cancelled reaches it.
            let cancelled = await daemon.process.waitForLine(timeout: .seconds(10)) { $0.contains("stderr: cancelled") }
            #expect(cancelled != nil, "the upstream never saw notifications/cancelled")
        }

        @Test("a list change upstream reaches modern listeners and legacy GET streams")
        func listChangedFanOut() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let (body, headers) = Daemon.modernRequest(id: 7, MCPMethod.subscriptionsListen, ["notifications": ["toolsListChanged": true]])
            let listen = try await daemon.client.send(.post, body: body, extraHeaders: headers, timeout: .seconds(60))
            guard case .events(let events) = listen.body else { Issue.record("listen did not answer with SSE"); return }
            var iterator = events.makeAsyncIterator()
            let ack = try await iterator.next()
            #expect(ack?["method"]?.stringValue == MCPMethod.subscriptionsAcknowledged)
            #expect(ack?["params"]?["_meta"]?[MetaKey.subscriptionId]?.intValue == 7)

            let session = try await daemon.initializeLegacy()
            let stream = try await daemon.client.send(.get, extraHeaders: [("Mcp-Session-Id", session)], timeout: .seconds(60))
            guard case .events(let legacyEvents) = stream.body else { Issue.record("GET did not open an SSE stream"); return }

            let (_, added) = try await daemon.modern(MCPMethod.toolsCall, ["name": "fast__add_tool", "arguments": ["name": "late_tool"]], id: 8)
            #expect(added["result"] != nil, "\(added)")
            let note = try await iterator.next()
            #expect(note?["method"]?.stringValue == MCPMethod.toolsListChanged)
            #expect(note?["params"]?["_meta"]?[MetaKey.subscriptionId]?.intValue == 7)
            var legacyIterator = legacyEvents.makeAsyncIterator()
            let legacyNote = try await legacyIterator.next()
            #expect(legacyNote?["method"]?.stringValue == MCPMethod.toolsListChanged)

            let (_, listed) = try await daemon.modern(MCPMethod.toolsList, id: 9)
            let names = listed["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("fast__late_tool"), "\(names)")
        }
    }
}
