import Foundation
import HangarCore
import Testing

extension Interop {
    /// Pagination, progress and cancellation pass through Hangar; the daemon leaves no orphans.
    @Suite(.serialized)
    struct PassThroughTests {
        @Test("every list is paginated with opaque cursors; a bad cursor is invalid params")
        func pagination() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer(["--tools", "5"])], gateway: ["pageSize": 3, "managementTools": false])
            defer { Task { await daemon.stop() } }
            var names: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                var params: JSONObject = [:]
                if let cursor { params["cursor"] = .string(cursor) }
                let (_, reply) = try await daemon.modern(MCPMethod.toolsList, params, id: Int64(pages + 1))
                let tools = reply["result"]?["tools"]?.arrayValue ?? []
                #expect(tools.count <= 3)
                names += tools.compactMap { $0["name"]?.stringValue }
                cursor = reply["result"]?["nextCursor"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 4)  // 6 built-in tools + 5 generated = 11, in pages of 3
            #expect(Set(names).count == names.count)
            #expect(names.contains("fast__tool_4") && names.contains("fast__echo"))
            let (status, bad) = try await daemon.modern(MCPMethod.toolsList, ["cursor": "not-a-cursor"], id: 99)
            #expect(bad["error"]?["code"]?.intValue == Int64(JSONRPCError.Code.invalidParams.rawValue))
            #expect(status == 200)
        }

        @Test("progress notifications come back on the request's own SSE stream, with the client's token")
        func progress() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            var (body, headers) = Daemon.modernRequest(id: 5, MCPMethod.toolsCall, ["name": "fast__sleep", "arguments": ["ms": 220]])
            var message = try JSONParser.parse(body)
            message["params"]?["_meta"]?["progressToken"] = "my-token"
            body = JSONWriter.bytes(message)
            let reply = try await daemon.client.send(.post, body: body, extraHeaders: headers, timeout: .seconds(30))
            guard case .events(let events) = reply.body else { Issue.record("expected an SSE reply"); return }
            var progress: [JSONValue] = []
            var final: JSONValue?
            for try await event in events {
                if event["method"]?.stringValue == MCPMethod.progress { progress.append(event) } else { final = event }
            }
            #expect(progress.count >= 2, "got \(progress.count) progress notifications")
            #expect(progress.allSatisfy { $0["params"]?["progressToken"]?.stringValue == "my-token" })
            #expect(final?["id"]?.intValue == 5)
            #expect(final?["result"]?["isError"]?.boolValue != true, "\(String(describing: final))")
        }

        @Test("a legacy client's notifications/cancelled stops the upstream's work")
        func cancellation() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()], extraArguments: ["--log-level", "debug"])
            defer { Task { await daemon.stop() } }
            let session = try await daemon.initializeLegacy()
            let headers = [("Mcp-Session-Id", session), ("MCP-Protocol-Version", ProtocolVersion.latestLegacy)]
            // With a progress token the answer is an SSE stream: its first progress event shows the upstream is at work.
            let call = JSONRPCMessage.request(.init(id: .int(41), method: MCPMethod.toolsCall, params: [
                "name": "fast__sleep", "arguments": ["ms": 30000], "_meta": ["progressToken": 1],
            ])).serialized()
            let reply = try await daemon.client.send(.post, body: call, extraHeaders: headers, timeout: .seconds(60))
            guard case .events(let events) = reply.body else { Issue.record("expected an SSE reply"); return }
            var iterator = events.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?["method"]?.stringValue == MCPMethod.progress)

            let cancel = JSONRPCMessage.notification(.init(method: MCPMethod.cancelled, params: ["requestId": 41, "reason": "user"])).serialized()
            let (status, _) = try await daemon.post(cancel, headers: headers)
            #expect(status == 202)
            let seen = await daemon.process.waitForLine(timeout: .seconds(10)) { $0.contains("stderr: cancelled") }
            #expect(seen != nil, "the upstream never saw the cancellation")
            // The stream ends without a result for the cancelled request.
            var answers: [JSONValue] = []
            while let next = try await iterator.next() {
                if next["method"] == nil { answers.append(next) }
            }
            #expect(answers.allSatisfy { $0["result"] == nil }, "\(answers)")
        }

        @Test("over hangar stdio, notifications/cancelled stops the upstream's work; the call gets no answer, the next one does")
        func stdioCancellation() async throws {
            let path = try CLITests.config(["fast": Daemon.fastServer()])
            let process = try await TestProcess.start(TestEnvironment.hangar, ["stdio", "--config", path, "--log-level", "debug"])
            defer { Task { await process.stop() } }
            func meta(_ extra: JSONObject = [:]) -> JSONValue {
                var m: JSONObject = [MetaKey.protocolVersion: .string(ProtocolVersion.modern), MetaKey.clientCapabilities: [:]]
                for (k, v) in extra { m[k] = v }
                return .object(m)
            }
            process.stdin.send(JSONRPCMessage.request(.init(id: .int(41), method: MCPMethod.toolsCall, params: [
                "name": "fast__sleep", "arguments": ["ms": 30000], "_meta": meta([MetaKey.progressToken: 1]),
            ])).serialized())
            // The first progress notification shows the upstream is at work.
            let progress = await process.waitForLine { $0.contains(MCPMethod.progress) }
            #expect(progress != nil, "no progress from the sleeping call")
            process.stdin.send(JSONRPCMessage.notification(.init(method: MCPMethod.cancelled, params: ["requestId": 41, "reason": "user"])).serialized())
            let seen = await process.waitForLine(timeout: .seconds(10)) { $0.contains("stderr: cancelled") }
            #expect(seen != nil, "the upstream never saw the cancellation")
            process.stdin.send(JSONRPCMessage.request(.init(id: .int(42), method: MCPMethod.toolsCall, params: [
                "name": "fast__echo", "arguments": ["text": "after"], "_meta": meta(),
            ])).serialized())
            let next = await process.waitForLine { $0.contains("\"id\":42") }
            #expect(next?.contains("after") == true, "\(String(describing: next))")
            #expect(!process.stdoutLines.contains { $0.contains("\"id\":41") }, "the cancelled call was answered: \(process.stdoutLines.filter { $0.contains("\"id\":41") })")
        }

        @Test("a daemon killed with SIGKILL leaves no upstream running")
        func noOrphans() async throws {
            let (daemon, children) = try await Self.daemonWithTwoUpstreams()
            kill(daemon.process.child.pid, SIGKILL)
            _ = await daemon.process.waitForExit(timeout: .seconds(10))
            for pid in children {
                var gone = false
                // A process that is not our child cannot be waited on: poll its state until a deadline.
                let deadline = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < deadline {
                    if Self.isGone(pid) { gone = true; break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(gone, "upstream \(pid) outlived the daemon")
            }
            await daemon.stop()
        }

        @Test("SIGTERM stops the daemon cleanly: it exits 0 by itself, its upstreams stopped first")
        func sigtermStopsCleanly() async throws {
            // The in-process management server is added before the gateway runs; it used to be
            // run twice, and one of its two shutdown waits never ended: the daemon ignored SIGTERM.
            let (daemon, children) = try await Self.daemonWithTwoUpstreams()
            kill(daemon.process.child.pid, SIGTERM)
            // A bound, not a pause: nil means it was still running after 30 s.
            let status = await daemon.process.child.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "hangar serve after SIGTERM: \(status.map(String.init) ?? "still running")")
            for pid in children {
                #expect(Self.isGone(pid), "upstream \(pid) outlived a clean stop")
            }
            await daemon.stop()
        }

        /// `hangar serve` with two fast upstreams, and their process ids.
        static func daemonWithTwoUpstreams() async throws -> (Daemon, [pid_t]) {
            let daemon = try await Daemon.start(servers: ["a": Daemon.fastServer(), "b": Daemon.fastServer()])
            let children = Self.children(of: daemon.process.child.pid)
            #expect(children.count == 2, "expected 2 upstream processes, found \(children)")
            return (daemon, children)
        }

        /// No such process any more, or only its zombie is left.
        static func isGone(_ pid: pid_t) -> Bool {
            (kill(pid, 0) != 0 && errno == ESRCH) || isZombie(pid)
        }

        static func children(of pid: pid_t) -> [pid_t] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.flatMap { task -> [pid_t] in
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
                return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }

        static func isZombie(_ pid: pid_t) -> Bool {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            guard let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
        }
    }
}
