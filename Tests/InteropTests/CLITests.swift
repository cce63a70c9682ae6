import Foundation
import HangarCore
import Testing

extension Interop {
    /// `hangar tools` and `hangar call` from the terminal, as the README shows them.
    @Suite(.serialized)
    struct CLITests {
        static func config(_ servers: JSONValue, gateway: JSONValue = [:]) throws -> String {
            let dir = try TestEnvironment.temporaryDirectory()
            let path = dir + "/hangar.json"
            try TestEnvironment.write(["mcpServers": servers, "gateway": gateway], to: path)
            return path
        }

        static func run(_ arguments: [String]) async throws -> (status: Int32?, out: [String], err: [String]) {
            let process = try await TestProcess.start(TestEnvironment.hangar, arguments)
            let status = await process.waitForExit(timeout: .seconds(60))
            // Output lines arrive on their own channel: wait for stdout's end before reading them.
            #expect(await process.waitForEndOfOutput())
            return (status, process.stdoutLines, process.stderrLines)
        }

        /// Runs hangar with stdin and stdout on these files (not pipes) and returns its exit status.
        static func runOnFiles(_ arguments: [String], input: String, output: String) async throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestEnvironment.hangar)
            process.arguments = arguments
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
            // open(2), not FileManager.createFile: that writes a new file and renames it over
            // the path, which replaced the machine's /dev/null with a regular file.
            let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw DaemonError(message: "cannot open \(output): errno \(errno)") }
            process.standardOutput = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            process.standardError = FileHandle.nullDevice
            return try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(throwing: error) }
            }
        }

        @Test("`hangar stdio < calls.jsonl` answers every request of the file, the slow ones too; output to /dev/null does not crash it")
        func stdioOnFiles() async throws {
            let path = try Self.config(["fast": Daemon.fastServer()])
            let dir = try TestEnvironment.temporaryDirectory()
            let meta: JSONValue = [MetaKey.protocolVersion: .string(ProtocolVersion.modern), MetaKey.clientCapabilities: [:]]
            let calls: [JSONValue] = [
                ["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": "fast__sleep", "arguments": ["ms": 300], "_meta": meta]],
                ["jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": ["name": "fast__sleep", "arguments": ["ms": 100], "_meta": meta]],
                ["jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": ["name": "fast__echo", "arguments": ["text": "last line, no newline"], "_meta": meta]],
            ]
            // The last request ends the file without a newline.
            try calls.map(JSONWriter.string).joined(separator: "\n").write(toFile: dir + "/calls.jsonl", atomically: true, encoding: .utf8)
            let status = try await Self.runOnFiles(["stdio", "--config", path], input: dir + "/calls.jsonl", output: dir + "/answers.jsonl")
            #expect(status == 0)
            let answers = try String(contentsOfFile: dir + "/answers.jsonl", encoding: .utf8).split(separator: "\n")
                .map { try JSONParser.parse(Array($0.utf8), limits: .upstream) }
            #expect(Set(answers.compactMap { $0["id"]?.intValue }) == [1, 2, 3], "\(answers)")
            #expect(answers.allSatisfy { $0["result"]?["isError"]?.boolValue != true && $0["result"] != nil }, "\(answers)")
            let echoed = answers.first { $0["id"]?.intValue == 3 }?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
            #expect(echoed == "last line, no newline")

            let quiet = try await Self.runOnFiles(["stdio", "--config", path], input: dir + "/calls.jsonl", output: "/dev/null")
            #expect(quiet == 0)
            var info = stat()
            #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "/dev/null is no longer a device")

            // Ten megabytes of answers are all in the file when hangar exits: more than the pipe to the
            // file's writer holds, so some are still queued when the last request is answered.
            let many = (0..<500).map { id -> String in
                JSONWriter.string(["jsonrpc": "2.0", "id": .int(Int64(id)), "method": "tools/call",
                                   "params": ["name": "fast__echo", "arguments": ["text": .string(String(repeating: "x", count: 20_000))], "_meta": meta]])
            }
            try many.joined(separator: "\n").write(toFile: dir + "/many.jsonl", atomically: true, encoding: .utf8)
            #expect(try await Self.runOnFiles(["stdio", "--config", path], input: dir + "/many.jsonl", output: dir + "/many.out") == 0)
            let lines = try String(contentsOfFile: dir + "/many.out", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 500)
        }

        @Test("an upstream's result reaches the client as written, over stdio, a JSON body and SSE: a 20-digit integer, 1.50 and an escape; a repeated key is read as its last value")
        func resultAsWritten() async throws {
            var servers: JSONObject = ["raw": ["command": "/usr/bin/python3", "args": [.string(TestEnvironment.script("raw_result_server.py"))]]]
            var httpServers: [TestProcess] = []
            defer { for server in httpServers { Task { await server.stop() } } }
            for (name, flags) in [("json", ["--http"]), ("sse", ["--http", "--sse"])] {
                let server = try await TestProcess.start("/usr/bin/python3", [TestEnvironment.script("raw_result_server.py")] + flags)
                httpServers.append(server)
                let ready = try #require(await server.waitForLine(timeout: .seconds(30)) { $0.hasPrefix("READY ") })
                servers[name] = ["url": .string(String(ready.dropFirst(6)))]
            }
            let path = try Self.config(.object(servers))
            let dir = try TestEnvironment.temporaryDirectory()
            let meta: JSONValue = [MetaKey.protocolVersion: .string(ProtocolVersion.modern), MetaKey.clientCapabilities: [:]]
            var calls: [JSONValue] = []
            for (index, name) in ["raw__exact", "json__exact", "sse__exact", "raw__repeated", "json__repeated", "sse__repeated"].enumerated() {
                calls.append(["jsonrpc": "2.0", "id": .int(Int64(index + 1)), "method": "tools/call", "params": ["name": .string(name), "arguments": [:], "_meta": meta]])
            }
            try (calls.map(JSONWriter.string).joined(separator: "\n") + "\n").write(toFile: dir + "/calls.jsonl", atomically: true, encoding: .utf8)
            #expect(try await Self.runOnFiles(["stdio", "--config", path], input: dir + "/calls.jsonl", output: dir + "/answers.jsonl") == 0)
            let lines = try String(contentsOfFile: dir + "/answers.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
            for id in 1...3 {
                let exact = try #require(lines.first { $0.contains(#""id":\#(id),"#) }, "no answer \(id) in \(lines)")
                #expect(exact.contains(#""structuredContent":{"big":12345678901234567890,"price":1.50}"#), "\(exact)")
                #expect(exact.contains(#""text":"caf\u00e9""#), "\(exact)")
                let answer = try JSONParser.parse(Array(exact.utf8))
                #expect(answer["result"]?["resultType"] == "complete", "a legacy upstream's result gets the modern members")
                #expect(answer["result"]?["_meta"]?[MetaKey.serverInfo]?["name"] == "hangar")
            }
            for id in 4...6 {
                let repeated = try JSONParser.parse(Array(try #require(lines.first { $0.contains(#""id":\#(id),"#) }).utf8))
                #expect(repeated["result"]?["structuredContent"] == ["a": 2], "\(repeated)")
            }
        }

        @Test("gateway.cpus pins Hangar's threads, upstreamCPUs its servers and a server's own cpus that one; by default a Python server gets one CPU and others every CPU; bad values are refused by name")
        func cpuPlacement() async throws {
            let cpus = try CPUAffinityProbe.usable()
            let first = cpus[0], last = cpus[cpus.count - 1]
            let dir = try TestEnvironment.temporaryDirectory()
            // Each server records its own CPUs, and those of every thread of its parent (Hangar),
            // then becomes the fast upstream.
            func recording(_ name: String) -> JSONValue {
                let script = "grep Cpus_allowed_list: /proc/self/status > \(dir)/\(name).self; "
                    + "for t in /proc/$PPID/task/*; do grep Cpus_allowed_list: $t/status; done > \(dir)/\(name).parent; "
                    + "exec \(TestEnvironment.fastUpstream)"
                return ["command": "/bin/sh", "args": ["-c", .string(script)]]
            }
            // The same, as a server that runs on Python (what `auto` places on one CPU).
            func pythonRecording(_ name: String) -> JSONValue {
                let script = "import os, glob\n"
                    + "def cpus(path): return ''.join(l for l in open(path) if l.startswith('Cpus_allowed_list:'))\n"
                    + "open('\(dir)/\(name).self', 'w').write(cpus('/proc/self/status'))\n"
                    + "open('\(dir)/\(name).parent', 'w').write(''.join(cpus(t + '/status') for t in glob.glob('/proc/%d/task/*' % os.getppid())))\n"
                    + "os.execv('\(TestEnvironment.fastUpstream)', ['\(TestEnvironment.fastUpstream)'])\n"
                return ["command": .string(TestEnvironment.python), "args": ["-c", .string(script)]]
            }
            var own = recording("own").objectValue!
            own["cpus"] = .string("\(last)")
            let path = try Self.config(["shared": recording("shared"), "own": .object(own)],
                                       gateway: ["cpus": .array([.int(Int64(last))]), "upstreamCPUs": .string("\(first)")])
            let (status, out, err) = try await Self.run(["call", "shared__echo", "--args", #"{"text":"placed"}"#, "--config", path])
            #expect(status == 0, "\(err)")
            #expect(out.joined().contains("placed"))
            func lines(_ file: String) throws -> [String] {
                try String(contentsOfFile: dir + "/" + file, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").last.map(String.init) ?? "" }
            }
            #expect(try lines("shared.self") == ["\(first)"], "upstreamCPUs applies to a server without cpus of its own")
            #expect(try lines("own.self") == ["\(last)"], "a server's own cpus win")
            let hangarThreads = try lines("shared.parent")
            #expect(!hangarThreads.isEmpty && hangarThreads.allSatisfy { $0 == "\(last)" }, "every Hangar thread is on gateway.cpus: \(hangarThreads)")

            // Without upstreamCPUs, a pinned Hangar starts its servers on every CPU it could use, not on its own
            // (placement any: each server may use all of them).
            let pinnedOnly = try Self.config(["shared": recording("free")], gateway: ["cpus": .string("\(last)"), "placement": "any"])
            #expect(try await Self.run(["call", "shared__echo", "--args", #"{"text":"x"}"#, "--config", pinnedOnly]).status == 0)
            #expect(try lines("free.self") == [CPUAffinityProbe.format(cpus)])
            // With the default placement a Python server gets one CPU, not Hangar's own while another is free.
            let pinnedOne = try Self.config(["shared": pythonRecording("beside")], gateway: ["cpus": .string("\(last)")])
            #expect(try await Self.run(["call", "shared__echo", "--args", #"{"text":"x"}"#, "--config", pinnedOne]).status == 0)
            let beside = try lines("beside.self")
            #expect(beside.count == 1 && (cpus.count == 1 ? beside == ["\(last)"] : beside[0] != "\(last)" && cpus.map(String.init).contains(beside[0])),
                    "one CPU beside Hangar's: \(beside)")

            // By default each Python server runs on one CPU, two running at once on different ones (when
            // there are two), and a server that does not run on Python anywhere; `placement: any` on a
            // server, or `--placement any`, lets a Python one run anywhere, `one-cpu` keeps any server on one.
            var wide = pythonRecording("wide").objectValue!
            wide["placement"] = "any"
            var narrow = recording("narrow").objectValue!
            narrow["placement"] = "one-cpu"
            let placed = try Self.config(["a": pythonRecording("a"), "b": pythonRecording("b"), "wide": .object(wide),
                                          "shell": recording("shell")])
            #expect(try await Self.run(["call", "a__echo", "--args", #"{"text":"x"}"#, "--config", placed]).status == 0)
            let a = try lines("a.self"), b = try lines("b.self")
            #expect(a.count == 1 && cpus.map(String.init).contains(a[0]), "one CPU: \(a)")
            #expect(b.count == 1 && cpus.map(String.init).contains(b[0]), "one CPU: \(b)")
            if cpus.count > 1 { #expect(a != b, "two servers, two CPUs") }
            #expect(try lines("wide.self") == [CPUAffinityProbe.format(cpus)], "placement any: every CPU")
            #expect(try lines("shell.self") == [CPUAffinityProbe.format(cpus)], "auto, not Python: every CPU")
            let hangarWide = try lines("a.parent")
            #expect(!hangarWide.isEmpty && hangarWide.allSatisfy { $0 == CPUAffinityProbe.format(cpus) }, "Hangar itself stays unpinned: \(hangarWide)")
            let anyFlag = try Self.config(["a": pythonRecording("flag"), "narrow": .object(narrow)])
            #expect(try await Self.run(["call", "a__echo", "--args", #"{"text":"x"}"#, "--config", anyFlag, "--placement", "any"]).status == 0)
            #expect(try lines("flag.self") == [CPUAffinityProbe.format(cpus)], "--placement any")
            let narrowed = try lines("narrow.self")
            #expect(narrowed.count == 1 && cpus.map(String.init).contains(narrowed[0]), "a server's placement one-cpu beats the flag: \(narrowed)")

            // A CPU this process may not use is refused with its number, from the file and from the flag.
            let missing = (cpus.max() ?? 0) + 1
            let bad = try Self.config(["shared": recording("bad")], gateway: ["upstreamCPUs": .string("0-\(missing)")])
            let refused = try await Self.run(["tools", "--config", bad])
            #expect(refused.status != 0)
            #expect(refused.err.joined(separator: "\n").contains("gateway.upstreamCPUs: CPU \(missing) is not one this process may use"), "\(refused.err)")
            let flag = try await Self.run(["tools", "--config", pinnedOnly, "--cpus", "2-1"])
            #expect(flag.status != 0)
            #expect(flag.err.joined(separator: "\n").contains("is not a CPU list"), "\(flag.err)")
            let badPlacement = try await Self.run(["tools", "--config", pinnedOnly, "--placement", "spread"])
            #expect(badPlacement.status != 0)
            #expect(badPlacement.err.joined(separator: "\n").contains("'spread' is not a placement: auto, one-cpu or any"), "\(badPlacement.err)")
        }

        @Test("`hangar tools --json` shows each tool's server and original name, and the collisions")
        func toolsJSON() async throws {
            let path = try Self.config(["a": Daemon.fastServer(), "b": Daemon.fastServer()], gateway: ["prefixTools": false])
            let (status, out, _) = try await Self.run(["tools", "--config", path, "--json"])
            #expect(status == 0)
            let json = try JSONParser.parse(out.joined(), limits: .upstream)
            let tools = json["tools"]?.arrayValue ?? []
            let echo = tools.first { $0["name"]?.stringValue == "echo" }
            #expect(echo?["server"]?.stringValue == "a")
            let second = tools.first { $0["name"]?.stringValue == "b__echo" }
            #expect(second?["server"]?.stringValue == "b")
            #expect(second?["originalName"]?.stringValue == "echo")
            let collisions = json["collisions"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(collisions.contains { $0.contains("'echo' of 'b'") }, "\(collisions)")
        }

        @Test("starting up lists each server once: its connection and the wait for readiness do not both list it")
        func listsOnceAtStart() async throws {
            let dir = try TestEnvironment.temporaryDirectory()
            // The server's stdin passes through tee, which keeps every line the server was sent.
            let script = "tee \"$1\" | \"$2\""
            let wrapped: JSONValue = ["command": "/bin/sh", "args": ["-c", .string(script), "sh", .string(dir + "/sent.jsonl"),
                                                                  .string(TestEnvironment.fastUpstream)]]
            let path = try Self.config(["fast": wrapped])
            let ok = try await Self.run(["call", "fast__echo", "--args", #"{"text":"once"}"#, "--config", path])
            #expect(ok.status == 0 && ok.out == ["once"], "\(ok.err)")
            let methods = try String(contentsOfFile: dir + "/sent.jsonl", encoding: .utf8).split(separator: "\n")
                .compactMap { try JSONParser.parse(Array($0.utf8), limits: .upstream)["method"]?.stringValue }
            for list in [MCPMethod.toolsList, MCPMethod.promptsList, MCPMethod.resourcesList] {
                #expect(methods.count { $0 == list } <= 1, "\(list) sent \(methods.count { $0 == list }) times: \(methods)")
            }
            #expect(methods.count { $0 == MCPMethod.toolsList } == 1, "\(methods)")
            #expect(methods.last == MCPMethod.toolsCall, "\(methods)")
        }

        @Test("`hangar call` prints the tool's text and exits 0; an unknown tool exits non-zero with a message")
        func call() async throws {
            let path = try Self.config(["fast": Daemon.fastServer()])
            let ok = try await Self.run(["call", "fast__echo", "--args", #"{"text":"from the terminal"}"#, "--config", path])
            #expect(ok.status == 0)
            #expect(ok.out == ["from the terminal"])
            let unknown = try await Self.run(["call", "fast__nope", "--config", path])
            #expect(unknown.status != 0)
            #expect(unknown.err.contains { $0.contains("Unknown tool: fast__nope") }, "\(unknown.err)")
            let badArgs = try await Self.run(["call", "fast__echo", "--args", "{oops", "--config", path])
            #expect(badArgs.status != 0)
            #expect(badArgs.err.contains { $0.contains("--args is not valid JSON") }, "\(badArgs.err)")
        }
    }
}

/// The CPUs this test process may use, read as `/proc/self/status` shows them.
enum CPUAffinityProbe {
    /// The CPUs process `pid` may run on, as Linux lists them (`0-3,6`).
    static func allowedList(_ pid: String = "self") throws -> String {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        return line.split(separator: "\t").last.map(String.init) ?? ""
    }

    static func usable() throws -> [Int] {
        let list = try allowedList()
        var cpus: [Int] = []
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            cpus += bounds.count == 2 ? Array(bounds[0]...bounds[1]) : bounds
        }
        try #require(!cpus.isEmpty)
        return cpus
    }

    static func format(_ cpus: [Int]) -> String {
        cpus.count > 1 && cpus.last! - cpus.first! == cpus.count - 1 ? "\(cpus.first!)-\(cpus.last!)" : cpus.map(String.init).joined(separator: ",")
    }
}
