import Foundation
import HangarCore
import HangarTransport
import Testing
@testable import HangarSupervisor

@Suite("Supervisor logs, metrics and ports", .timeLimit(.minutes(1)))
struct SupervisorObservationTests {
    @Test("stderr lines are tailed and followed, and written to the workload's log file")
    func tailAndFollow() async throws {
        let folder = try temporaryDirectory()
        try await withSupervisor(SupervisorConfiguration(dataDirectory: folder)) { supervisor in
            let script = "echo one >&2; echo two >&2; echo three >&2; while read line; do echo \"got $line\" >&2; done"
            try supervisor.add(shellSpec("talker", script))
            let follow = try supervisor.followLogs("talker", lines: 10)
            try supervisor.start("talker")
            #expect(try await firstLines(follow, 3) == ["one", "two", "three"])
            #expect(try supervisor.logs("talker", lines: 2) == ["two", "three"])
            // A late follower gets the tail first, then new lines.
            let late = try supervisor.followLogs("talker", lines: 1)
            #expect(try await firstLines(late, 1) == ["three"])
            let file = try #require(try supervisor.logFile("talker"))
            #expect(file == folder + "/logs/talker.log")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "one\ntwo\nthree\n")
        }
    }

    @Test("log files rotate by size and keep N old files; memory keeps the newest lines")
    func rotation() async throws {
        let folder = try temporaryDirectory()
        let configuration = SupervisorConfiguration(dataDirectory: folder, logLines: 50, logFileBytes: 100, logFiles: 2)
        try await withSupervisor(configuration) { supervisor in
            // 200 lines of 9 bytes ("line-NNN\n"), then idle.
            let script = "i=100; while [ $i -lt 300 ]; do echo line-$i >&2; i=$((i+1)); done; exec sleep 1000"
            try supervisor.add(shellSpec("chatty", script))
            let follow = try supervisor.followLogs("chatty", lines: 0)
            try supervisor.start("chatty")
            let lines = try await firstLines(follow, 200)
            #expect(lines.first == "line-100")
            #expect(lines.last == "line-299")
            let tail = try supervisor.logs("chatty", lines: 1000)
            #expect(tail.count == 50)
            #expect(tail.first == "line-250")
            let logs = folder + "/logs/"
            let files = try FileManager.default.contentsOfDirectory(atPath: logs).sorted()
            #expect(files == ["chatty.log", "chatty.log.1", "chatty.log.2"])
            for file in files {
                let size = try #require(try FileManager.default.attributesOfItem(atPath: logs + file)[.size] as? Int)
                #expect(size <= 100, "\(file) is \(size) bytes")
            }
            let newest = try String(contentsOfFile: logs + "chatty.log", encoding: .utf8)
            #expect(newest.hasSuffix("line-299\n"))
            let previous = try String(contentsOfFile: logs + "chatty.log.1", encoding: .utf8)
            let last = newest.split(separator: "\n").first.map(String.init)
            let before = previous.split(separator: "\n").last.map(String.init)
            #expect(Int(before!.dropFirst(5))! + 1 == Int(last!.dropFirst(5))!, "rotation loses no line between files")
        }
    }

    @Test("a busy process shows CPU above zero, memory and open files")
    func metrics() async throws {
        try await withSupervisor { supervisor in
            try supervisor.add(shellSpec("busy", "while :; do :; done"), start: true)
            try await waitFor(supervisor, "busy", .running)
            let deadline = ContinuousClock.now + .seconds(10)
            var status = try supervisor.status("busy")
            while (status.cpuPercent ?? 0) <= 0, ContinuousClock.now < deadline {
                await supervisor.sampleMetrics()
                status = try supervisor.status("busy")
            }
            let cpu = try #require(status.cpuPercent)
            #expect(cpu > 0)
            #expect(cpu <= 100 * Double(ProcessInfo.processInfo.activeProcessorCount) + 5)
            #expect((status.memoryBytes ?? 0) > 0)
            #expect((status.openFiles ?? 0) >= 3, "stdin, stdout and stderr at least")
            #expect((status.uptime ?? -1) >= 0)
            let history = try supervisor.stats("busy")
            #expect(history.count >= 2)
            #expect(history.allSatisfy { $0.processes == 1 })
        }
    }

    @Test("metrics cover the whole process tree and the history stays bounded")
    func metricsTree() async throws {
        try await withSupervisor(SupervisorConfiguration(sampleInterval: .seconds(3600), sampleHistory: 3)) { supervisor in
            try supervisor.add(shellSpec("tree", "sleep 1000 & sleep 1000 & wait"), start: true)
            try await waitFor(supervisor, "tree", .running)
            var processes = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while processes < 3, ContinuousClock.now < deadline {
                await supervisor.sampleMetrics()
                processes = try supervisor.stats("tree").last?.processes ?? 0
            }
            #expect(processes == 3, "the shell and its two children")
            for _ in 0..<5 { await supervisor.sampleMetrics() }
            #expect(try supervisor.stats("tree").count == 3)
        }
    }

    @Test("an HTTP workload gets a free loopback port in PORT, is ready when it listens, and the port is released on stop")
    func ports() async throws {
        try await withSupervisor { supervisor in
            var spec = WorkloadSpec(name: "web", command: ["/usr/bin/python3", "-c", """
                import os, http.server
                http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), http.server.SimpleHTTPRequestHandler).serve_forever()
                """], health: HealthPolicy(interval: nil, startTimeout: .seconds(20)), needsPort: true)
            spec.stopGrace = .milliseconds(500)
            try supervisor.add(spec, start: true)
            let running = try await waitFor(supervisor, "web", .running, timeout: .seconds(25))
            let port = try #require(running.port)
            #expect(PortReadiness.accepts(port: port))
            #expect(supervisor.ports.allocated == [port])
            try supervisor.stop("web")
            let stopped = try await waitFor(supervisor, "web", .stopped)
            #expect(stopped.port == nil)
            #expect(supervisor.ports.allocated.isEmpty)
        }
    }

    @Test("specs survive a JSON round trip with durations as seconds; bad specs get precise errors")
    func specs() throws {
        let spec = WorkloadSpec(
            name: "svc", command: ["python3", "server.py"], environment: ["A": "1"], workingDirectory: "/srv",
            limits: WorkloadLimits(memoryBytes: 1 << 28, cpus: 0.5), network: .allowlist(["api.example.com:443"]),
            timeToLive: .seconds(3600), restart: RestartPolicy(mode: .onFailure, initialBackoff: .milliseconds(250)),
            health: HealthPolicy(interval: nil), stopGrace: .seconds(2), needsPort: true)
        let data = try JSONEncoder().encode(spec)
        let json = try #require(String(data: data, encoding: .utf8))
        #expect(json.contains("\"timeToLive\":3600"))
        #expect(try JSONDecoder().decode(WorkloadSpec.self, from: data) == spec)
        let minimal = try JSONDecoder().decode(WorkloadSpec.self, from: Data(#"{"name":"m","command":["x"]}"#.utf8))
        #expect(minimal == WorkloadSpec(name: "m", command: ["x"]))
        #expect(minimal.placement == nil && minimal.cpuPlacement == .auto, "a spec stored before placement existed: the default")

        // Placement: its own word wins; a CPU limit above one core means anywhere.
        var wide = spec
        wide.placement = .any
        #expect(try JSONDecoder().decode(WorkloadSpec.self, from: JSONEncoder().encode(wide)).placement == .any)
        var big = WorkloadSpec(name: "big", command: ["x"], limits: WorkloadLimits(cpus: 1.5))
        #expect(big.cpuPlacement == .any)
        big.placement = .oneCPU
        #expect(big.cpuPlacement == .oneCPU)
        #expect(spec.cpuPlacement == .auto, "half a core fits on one CPU: the default decides")

        let cases: [(WorkloadSpec, String)] = [
            (WorkloadSpec(name: "../etc", command: ["x"]), "workload name must be"),
            (WorkloadSpec(name: "ok", command: []), "command is empty"),
            (WorkloadSpec(name: "ok", command: ["x"], environment: ["A=B": "1"]), "environment variable name 'A=B' is invalid"),
            (WorkloadSpec(name: "ok", command: ["x"], timeToLive: .zero), "time to live must be positive"),
            (WorkloadSpec(name: "ok", command: ["x"], restart: RestartPolicy(crashLoopLimit: 0)), "restart policy needs"),
        ]
        for (bad, message) in cases {
            #expect {
                try bad.validate()
            } throws: { error in
                guard let error = error as? SupervisorError else { return false }
                return error.code == .invalidSpec && error.message.contains(message)
            }
        }
    }
}
