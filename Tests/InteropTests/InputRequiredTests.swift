import Foundation
import HangarCore
import Testing

extension Interop {
    /// A legacy upstream (mcp 1.x) that asks its client things mid-call, behind a 2026-07-28
    /// client: Hangar answers `input_required`, and the client's retry completes the call.
    @Suite(.serialized, .pythonPeers)
    struct InputRequiredTests {
        static func server() -> JSONValue {
            ["command": .string(TestEnvironment.peer("legacy", "python")), "args": [.string(TestEnvironment.script("legacy_asking_server.py"))]]
        }

        static func call(_ daemon: Daemon, _ tool: String, _ arguments: JSONObject, capabilities: JSONValue,
                         extra: JSONObject = [:], id: Int64) async throws -> JSONValue {
            var params: JSONObject = ["name": .string(tool), "arguments": .object(arguments), "_meta": [MetaKey.clientCapabilities: capabilities]]
            for (k, v) in extra { params[k] = v }
            return try await daemon.modern(MCPMethod.toolsCall, params, id: id).1
        }

        @Test("Elicitation and sampling from a legacy upstream become input_required; the retry with inputResponses completes the call")
        func elicitationAndSampling() async throws {
            let daemon = try await Daemon.start(servers: ["ask": Self.server()])
            defer { Task { await daemon.stop() } }
            let caps: JSONValue = ["elicitation": ["form": [:]], "sampling": [:]]
            let first = try await Self.call(daemon, "ask__book_table", ["day": "friday"], capabilities: caps, id: 1)
            let result = try #require(first["result"], "\(first)")
            #expect(result["resultType"]?.stringValue == "input_required", "\(result)")
            let requests = try #require(result["inputRequests"]?.objectValue)
            #expect(requests.count == 1)
            let (key, request) = try #require(requests.elements.first)
            #expect(request["method"]?.stringValue == MCPMethod.elicitationCreate)
            #expect(request["params"]?["message"]?.stringValue == "How many people on friday?", "\(request)")
            let state = try #require(result["requestState"]?.stringValue)

            // A state altered by the client is refused, and the parked call is still there for the real one.
            let forged = try await Self.call(daemon, "ask__book_table", ["day": "friday"], capabilities: caps,
                                             extra: ["requestState": .string(state + "x"), "inputResponses": .object([key: ["action": "accept", "content": ["people": 9]]])], id: 2)
            #expect(forged["error"]?["code"]?.intValue == -32602, "\(forged)")
            // A state used on another tool is refused.
            let elsewhere = try await Self.call(daemon, "ask__ask_model", ["question": "q"], capabilities: caps,
                                                extra: ["requestState": .string(state)], id: 3)
            #expect(elsewhere["error"]?["message"]?.stringValue?.contains("another request") == true, "\(elsewhere)")

            let done = try await Self.call(daemon, "ask__book_table", ["day": "friday"], capabilities: caps,
                                           extra: ["requestState": .string(state), "inputResponses": .object([key: ["action": "accept", "content": ["people": 4]]])], id: 4)
            #expect(done["result"]?["resultType"]?.stringValue == "complete", "\(done)")
            #expect(done["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "booked friday for 4", "\(done)")
            // The state is spent: the call it belonged to has ended.
            let again = try await Self.call(daemon, "ask__book_table", ["day": "friday"], capabilities: caps,
                                            extra: ["requestState": .string(state), "inputResponses": .object([key: ["action": "accept", "content": ["people": 4]]])], id: 5)
            #expect(again["error"]?["message"]?.stringValue?.contains("has ended") == true, "\(again)")

            let asked = try await Self.call(daemon, "ask__ask_model", ["question": "Capital of France?"], capabilities: caps, id: 6)
            let sampling = try #require(asked["result"]?["inputRequests"]?.objectValue?.elements.first, "\(asked)")
            #expect(sampling.value["method"]?.stringValue == MCPMethod.samplingCreateMessage)
            let answer: JSONValue = ["role": "assistant", "content": ["type": "text", "text": "Paris"], "model": "test-model", "stopReason": "endTurn"]
            let sampled = try await Self.call(daemon, "ask__ask_model", ["question": "Capital of France?"], capabilities: caps,
                                              extra: ["requestState": asked["result"]?["requestState"] ?? .null, "inputResponses": .object([sampling.key: answer])], id: 7)
            #expect(sampled["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "model said: Paris", "\(sampled)")
        }

        @Test("A 2026-07-28 upstream hears the calling client's own capabilities, not Hangar's")
        func modernUpstreamHearsTheClient() async throws {
            let (fastmcp, url) = try await SDKClientTests.startFastMCP()
            defer { Task { await fastmcp.stop() } }
            let daemon = try await Daemon.start(servers: ["fm": ["url": .string(url)]])
            defer { Task { await daemon.stop() } }
            // The tool answers with the capabilities its request declared.
            func heard(_ reply: JSONValue) -> JSONValue? { reply["result"]?["structuredContent"] }

            let none = try await Self.call(daemon, "fm__client_capabilities", [:], capabilities: [:], id: 1)
            #expect(heard(none) == [:], "a client that can answer nothing was made to look able to: \(none)")
            let asking = try await Self.call(daemon, "fm__client_capabilities", [:], capabilities: ["elicitation": ["form": [:]]], id: 2)
            #expect(heard(asking) == ["elicitation": ["form": [:]]], "\(asking)")
            // A 2025 session cannot be given input_required through Hangar, whatever it declared.
            let session = try await daemon.initializeLegacy()
            let (status, legacy) = try await daemon.legacy(session: session, MCPMethod.toolsCall, ["name": "fm__client_capabilities", "arguments": [:]])
            #expect(status == 200 && heard(legacy) == [:], "\(legacy)")
        }

        @Test("A client that declares no elicitation gets no input request: the upstream is told it cannot ask")
        func withoutCapability() async throws {
            let daemon = try await Daemon.start(servers: ["ask": Self.server()])
            defer { Task { await daemon.stop() } }
            let reply = try await Self.call(daemon, "ask__book_table", ["day": "monday"], capabilities: [:], id: 1)
            #expect(reply["result"]?["resultType"]?.stringValue != "input_required", "\(reply)")
            #expect(reply["result"]?["isError"]?.boolValue == true || reply["error"] != nil, "\(reply)")
        }
    }
}
