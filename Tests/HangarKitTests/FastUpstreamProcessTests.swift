import Foundation
import HangarCore
@testable import HangarKit
import Testing

/// The built `hangar-fast-upstream`, driven over real pipes as a gateway would.
@Suite("hangar-fast-upstream process")
struct FastUpstreamProcessTests {
    /// The binary next to the test bundle, else in a `.build*/debug` folder of the package.
    static func binary() -> String? {
        let name = "hangar-fast-upstream"
        var folders: [String] = []
        for path in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: path).deletingLastPathComponent()
            folders.append(url.path)
            // On macOS the test binary sits inside Foo.xctest/Contents/MacOS.
            for _ in 0..<3 { url = url.deletingLastPathComponent(); folders.append(url.path) }
        }
        let root = FileManager.default.currentDirectoryPath
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: root))?.filter { $0.hasPrefix(".build") } ?? []
        folders += scratch.sorted().map { "\(root)/\($0)/debug" }
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A running server: send lines to its stdin, read its stdout lines with a deadline.
    final class Upstream: Sendable {
        let process: Process
        let stdin: FileHandle
        let lines: AsyncStream<[UInt8]>
        let errorLines: AsyncStream<[UInt8]>

        init(binary: String, arguments: [String], environment: [String: String] = [:]) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let input = Pipe(), output = Pipe(), errors = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            stdin = input.fileHandleForWriting
            lines = LineReader.lines(fd: output.fileHandleForReading.fileDescriptor, maxLineBytes: 1 << 20)
            errorLines = LineReader.lines(fd: errors.fileHandleForReading.fileDescriptor, maxLineBytes: 1 << 20)
        }

        /// Waits for a line on stderr equal to `text`.
        func waitForErrorLine(_ text: String) async throws {
            let errorLines = self.errorLines
            try await withDeadline(10, "\"\(text)\" on stderr") {
                for await line in errorLines where String(decoding: line, as: UTF8.self) == text { return }
                throw DeadlineExceeded(what: "\"\(text)\" on stderr (closed)")
            }
        }

        func send(_ line: String) throws {
            try stdin.write(contentsOf: Data((line + "\n").utf8))
        }

        /// The next line the server writes, parsed.
        func next(_ what: String) async throws -> JSONValue {
            let lines = self.lines
            return try await withDeadline(10, what) {
                for await line in lines { return try JSONParser.parse(line) }
                throw DeadlineExceeded(what: "\(what) (stdout closed)")
            }
        }

        /// Closes stdin and waits for the exit status.
        func finish() async throws -> Int32 {
            try stdin.close()
            let process = self.process
            return try await withDeadline(10, "the server to exit") {
                for await _ in self.lines {}  // stdout closes when the process ends
                process.waitUntilExit()
                return process.terminationStatus
            }
        }
    }

    @Test("answers both eras over stdio, reports progress and exits 3 on crash")
    func overPipes() async throws {
        guard let binary = Self.binary() else {
            Issue.record("hangar-fast-upstream is not built; run swift build --product hangar-fast-upstream")
            return
        }
        let upstream = try Upstream(binary: binary, arguments: ["--tools", "3"])
        let meta = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#

        try upstream.send(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{\#(meta)}}"#)
        let discover = try await upstream.next("discover")
        #expect(discover["result"]?["resultType"] == "complete")
        #expect(discover["result"]?["_meta"]?[MetaKey.serverInfo]?["name"] == "hangar-fast-upstream")

        try upstream.send(#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{\#(meta)}}"#)
        let names = try await upstream.next("tools/list")["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["echo", "add", "sleep", "crash", "add_tool", "structured", "env", "tool_0", "tool_1", "tool_2"])

        try upstream.send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":40},\#(meta)}}"#)
        let add = try await upstream.next("add")
        #expect(add["result"]?["structuredContent"] == ["sum": 42])

        try upstream.send("not json")
        #expect(try await upstream.next("parse error")["error"]?["code"] == .int(-32700))

        let progressMeta = #""_meta":{"progressToken":"p1","io.modelcontextprotocol/protocolVersion":"2026-07-28"}"#
        try upstream.send(#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":120},\#(progressMeta)}}"#)
        var progress = 0
        var slept: JSONValue?
        while slept == nil {
            let message = try await upstream.next("sleep progress or result")
            if message["method"] == "notifications/progress" { progress += 1 } else { slept = message }
        }
        #expect(progress >= 2)
        #expect(slept?["id"] == 4)

        try upstream.send(#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"crash","arguments":{}}}"#)
        #expect(try await upstream.finish() == 3)
    }

    @Test("--legacy-only answers discover with -32602 and still does the handshake")
    func legacyOnly() async throws {
        guard let binary = Self.binary() else {
            Issue.record("hangar-fast-upstream is not built; run swift build --product hangar-fast-upstream")
            return
        }
        let upstream = try Upstream(binary: binary, arguments: ["--legacy-only", "--name", "old"])
        try upstream.send(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#)
        #expect(try await upstream.next("discover")["error"]?["code"] == .int(-32602))
        try upstream.send(#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
        let initialized = try await upstream.next("initialize")
        #expect(initialized["result"]?["serverInfo"]?["name"] == "old")
        try upstream.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        try upstream.send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"over pipes"}}}"#)
        #expect(try await upstream.next("echo")["result"]?["content"]?.arrayValue?.first?["text"] == "over pipes")
        #expect(try await upstream.finish() == 0)
    }

    @Test("cancelling a sleep stops it (stderr says so) and sends nothing for it; add_tool and env work")
    func cancelAndDynamicTools() async throws {
        guard let binary = Self.binary() else {
            Issue.record("hangar-fast-upstream is not built; run swift build --product hangar-fast-upstream")
            return
        }
        let upstream = try Upstream(binary: binary, arguments: [], environment: ["FAST_UPSTREAM_TEST": "sesame"])
        try await upstream.waitForErrorLine("hangar-fast-upstream ready")
        try upstream.send(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":600000}}}"#)
        try upstream.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"test"}}"#)
        try await upstream.waitForErrorLine("cancelled 7")

        try upstream.send(#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"env","arguments":{"name":"FAST_UPSTREAM_TEST"}}}"#)
        let env = try await upstream.next("env")
        #expect(env["id"] == 8)  // nothing came for the cancelled 7 before it
        #expect(env["result"]?["content"]?.arrayValue?.first?["text"] == "sesame")

        try upstream.send(#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"add_tool","arguments":{"name":"dyn"}}}"#)
        #expect(try await upstream.next("list_changed")["method"] == "notifications/tools/list_changed")
        #expect(try await upstream.next("add_tool")["id"] == 9)
        try upstream.send(#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"dyn","arguments":{"text":"new"}}}"#)
        #expect(try await upstream.next("dyn")["result"]?["content"]?.arrayValue?.first?["text"] == "new")
        #expect(try await upstream.finish() == 0)
    }
}
