import Foundation
import HangarCore
import Testing

extension Interop {
    /// Every kind of bad input gets a precise error (HTTP status and JSON-RPC code), is counted,
    /// and the daemon keeps serving everyone else.
    @Suite(.serialized)
    struct BadInputTests {
        struct Case: Sendable, CustomStringConvertible {
            let description: String
            let body: [UInt8]
            let headers: [(String, String)]
            let status: Int
            let code: JSONRPCError.Code?
        }

        static let modernHeaders = [("MCP-Protocol-Version", ProtocolVersion.modern), ("Mcp-Method", "tools/list")]

        static var cases: [Case] {
            let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
            let (list, listHeaders) = Daemon.modernRequest(MCPMethod.toolsList)
            let (call, _) = Daemon.modernRequest(MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "x"]])
            return [
                Case(description: "malformed JSON", body: Array(#"{"jsonrpc":"2.0","id":1,"method":"#.utf8), headers: modernHeaders, status: 400, code: .parseError),
                Case(description: "nesting deeper than 64", body: Array(deep.utf8), headers: modernHeaders, status: 400, code: .parseError),
                Case(description: "invalid UTF-8", body: Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":""#.utf8) + [0xFF, 0xFE] + Array(#""}}"#.utf8),
                     headers: modernHeaders, status: 400, code: .parseError),
                Case(description: "over 4 MiB", body: Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":""#.utf8) + [UInt8](repeating: 0x61, count: 4 << 20) + Array(#""}}"#.utf8),
                     headers: modernHeaders, status: 413, code: .invalidRequest),
                Case(description: "wrong jsonrpc version", body: Array(#"{"jsonrpc":"1.0","id":1,"method":"tools/list"}"#.utf8), headers: modernHeaders, status: 400, code: .invalidRequest),
                Case(description: "method not a string", body: Array(#"{"jsonrpc":"2.0","id":1,"method":5,"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#.utf8), headers: modernHeaders, status: 400, code: .invalidRequest),
                Case(description: "batch in 2026-07-28", body: Array("[".utf8) + list + Array("]".utf8), headers: listHeaders, status: 400, code: .invalidRequest),
                Case(description: "unknown method", body: Daemon.modernRequest("tools/frobnicate").body, headers: [("MCP-Protocol-Version", ProtocolVersion.modern), ("Mcp-Method", "tools/frobnicate")], status: 404, code: .methodNotFound),
                Case(description: "Mcp-Method mismatch", body: list, headers: [("MCP-Protocol-Version", ProtocolVersion.modern), ("Mcp-Method", "prompts/list")], status: 400, code: .headerMismatch),
                Case(description: "Mcp-Name mismatch", body: call, headers: [("MCP-Protocol-Version", ProtocolVersion.modern), ("Mcp-Method", "tools/call"), ("Mcp-Name", "fast__add")], status: 400, code: .headerMismatch),
                Case(description: "Mcp-Name missing", body: call, headers: [("MCP-Protocol-Version", ProtocolVersion.modern), ("Mcp-Method", "tools/call")], status: 400, code: .headerMismatch),
                Case(description: "unsupported version", body: list, headers: [("MCP-Protocol-Version", "1900-01-01"), ("Mcp-Method", "tools/list")], status: 400, code: .unsupportedProtocolVersion),
                Case(description: "foreign Origin", body: list, headers: listHeaders + [("Origin", "https://evil.example")], status: 403, code: .invalidRequest),
                Case(description: "unknown session", body: list, headers: [("Mcp-Session-Id", "nope"), ("MCP-Protocol-Version", ProtocolVersion.latestLegacy)], status: 404, code: .invalidRequest),
                Case(description: "no session and no modern version", body: Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8), headers: [], status: 400, code: .invalidRequest),
            ]
        }

        @Test("bad HTTP input is answered precisely and others keep working", arguments: cases)
        func badInput(_ c: Case) async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let session = try await daemon.initializeLegacy()

            let (status, reply) = try await daemon.post(c.body, headers: c.headers)
            #expect(status == c.status, "\(c): HTTP \(status) \(reply)")
            if let code = c.code {
                #expect(reply["error"]?["code"]?.intValue == Int64(code.rawValue), "\(c): \(reply)")
                #expect((reply["error"]?["message"]?.stringValue ?? "").count > 10, "\(c): the message should say what is wrong")
            }
            // The other client's session still works.
            let (okStatus, ok) = try await daemon.legacy(session: session, MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "still here"]])
            #expect(okStatus == 200)
            #expect(ok["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "still here", "\(ok)")
            // And the rejection was counted.
            let metrics = try await StreamableHTTPClientProbe.get(daemon.url.replacingOccurrences(of: "/mcp", with: "/metrics"))
            if c.status != 404 || c.code != .methodNotFound {
                #expect(metrics.contains("hangar_rejected_messages_total"), "\(c): not counted:\n\(metrics)")
            }
        }

        @Test("batches are answered in 2025-03-26 sessions and refused in 2025-11-25 ones")
        func batchesByEra() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let batch = Array(#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fast__echo","arguments":{"text":"b"}}}]"#.utf8)
            let old = try await daemon.initializeLegacy(version: "2025-03-26")
            let (s1, r1) = try await daemon.post(batch, headers: [("Mcp-Session-Id", old), ("MCP-Protocol-Version", "2025-03-26")])
            #expect(s1 == 200)
            #expect(r1.arrayValue?.count == 2, "\(r1)")
            #expect(r1.arrayValue?.last?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "b")
            let new = try await daemon.initializeLegacy(version: "2025-11-25")
            let (s2, r2) = try await daemon.post(batch, headers: [("Mcp-Session-Id", new), ("MCP-Protocol-Version", "2025-11-25")])
            #expect(s2 == 400)
            #expect(r2["error"]?["code"]?.intValue == Int64(JSONRPCError.Code.invalidRequest.rawValue))
        }

        @Test("every HTTP answer names its server and carries the current Date (IMF-fixdate)")
        func dateAndServerHeaders() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let (body, headers) = Daemon.modernRequest(MCPMethod.toolsList)
            for _ in 0..<2 {
                let reply = try await daemon.client.send(.post, body: body, extraHeaders: headers, timeout: .seconds(10))
                #expect(reply.headers.first(name: "server") == "hangar")
                let date = reply.headers.first(name: "date") ?? ""
                let format = DateFormatter()
                format.locale = Locale(identifier: "en_US_POSIX")
                format.timeZone = TimeZone(identifier: "GMT")
                format.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                let parsed = format.date(from: date)
                #expect(parsed != nil, "Date header '\(date)'")
                if let parsed { #expect(abs(parsed.timeIntervalSinceNow) < 60, "Date header '\(date)' is not now") }
                #expect(format.string(from: parsed ?? .distantPast) == date, "Date header '\(date)' is not in IMF-fixdate form")
            }
        }

        @Test("DELETE ends a legacy session; the id then answers 404")
        func deleteEndsSession() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let session = try await daemon.initializeLegacy()
            let deleted = try await daemon.client.send(.delete, extraHeaders: [("Mcp-Session-Id", session)], timeout: .seconds(10))
            #expect(deleted.status == 204)
            let (status, _) = try await daemon.legacy(session: session, MCPMethod.ping)
            #expect(status == 404)
        }
    }
}

/// Plain GET of a text resource (/metrics).
enum StreamableHTTPClientProbe {
    static func get(_ url: String) async throws -> String {
        let reply = try await Daemon.Client(url: url).send(.get, timeout: .seconds(10))
        switch reply.body {
        case .text(let t): return t
        case .json(let j): return JSONWriter.string(j)
        default: return ""
        }
    }
}

extension Daemon {
    typealias Client = HangarTransport.StreamableHTTPClient
}

import HangarTransport
