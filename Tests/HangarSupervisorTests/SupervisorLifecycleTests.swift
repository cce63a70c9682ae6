import Foundation
import HangarCore
import HangarTransport
import Testing
@testable import HangarSupervisor

/// Fails every check until its marker file exists: a health check the test controls through a
/// real file. Each result is also published, so the test can wait for checks to happen.
final class MarkerFileCheck: HealthCheck {
    let path: String
    let results: AsyncStream<Bool>
    private let sink: AsyncStream<Bool>.Continuation

    init(path: String) {
        self.path = path
        (results, sink) = AsyncStream.makeStream(of: Bool.self)
    }

    func check(_ target: WorkloadTarget) async -> Bool {
        let healthy = FileManager.default.fileExists(atPath: path)
        sink.yield(healthy)
        return healthy
    }
}

@Suite("Supervisor lifecycle", .timeLimit(.minutes(1)))
struct SupervisorLifecycleTests {
    @Test("a crashing workload restarts with growing delays, then lands in failed after the crash-loop guard")
    func crashLoop() async throws {
        try await withSupervisor { supervisor in
            let spec = shellSpec("crasher", "echo boom >&2; exit 3",
                                 restart: RestartPolicy(initialBackoff: .milliseconds(60), jitter: 0, crashLoopLimit: 5))
            try supervisor.add(spec)
            let events = supervisor.events()
            try supervisor.start("crasher")
            let seen = try await collectEvents(events, name: "crasher") { $0.kind == .stateChanged(from: .running, to: .failed) || $0.kind == .stateChanged(from: .starting, to: .failed) }
            // How long each backoff lasted, from entering backoff to starting again.
            var delays: [Double] = []
            var enteredBackoff: Date?
            for event in seen {
                if case .stateChanged(_, .backoff) = event.kind { enteredBackoff = event.time }
                if case .stateChanged(.backoff, .starting) = event.kind, let since = enteredBackoff {
                    delays.append(event.time.timeIntervalSince(since))
                }
            }
            #expect(delays.count == 4)
            for (delay, expected) in zip(delays, [0.06, 0.12, 0.24, 0.48]) {
                #expect(delay >= expected * 0.9, "backoff \(delay) s should be about \(expected) s")
            }
            // The lower bounds above show the growth; an upper bound or a comparison between two
            // measured delays would fail on a loaded machine, where any one delay can stretch.
            let status = try supervisor.status("crasher")
            #expect(status.state == .failed)
            #expect(status.restarts == 4)
            #expect(status.lastExit == .exited(code: 3))
            #expect(status.lastError?.contains("crashed 5 times") == true)
            #expect(status.pid == nil)
            #expect(try supervisor.logs("crasher", lines: 100) == Array(repeating: "boom", count: 5))
        }
    }

    @Test("a stop during backoff stays stopped: no restart is pending")
    func stopDuringBackoff() async throws {
        try await withSupervisor { supervisor in
            try supervisor.add(shellSpec("flaky", "exit 1", restart: RestartPolicy(initialBackoff: .seconds(30))), start: true)
            try await waitFor(supervisor, "flaky", .backoff)
            try supervisor.stop("flaky")
            let status = try supervisor.status("flaky")
            #expect(status.state == .stopped)
            #expect(supervisor.state.withLock { $0.timers.isEmpty }, "the restart timer is gone")
            let events = supervisor.events()
            try supervisor.start("flaky")
            let seen = try await collectEvents(events, name: "flaky") { if case .stateChanged(_, .backoff) = $0.kind { true } else { false } }
            #expect(seen.first?.kind == .stateChanged(from: .stopped, to: .starting), "only a start by hand runs it again")
        }
    }

    @Test("stop terminates a running workload and it stays stopped; start runs it again")
    func stopAndStart() async throws {
        try await withSupervisor { supervisor in
            try supervisor.add(shellSpec("sleeper", "exec sleep 1000"), start: true)
            let running = try await waitFor(supervisor, "sleeper", .running)
            let pid = try #require(running.pid)
            #expect(isAlive(pid))
            #expect(running.isolation?.hasPrefix("none") == true)
            try supervisor.stop("sleeper")
            let stopped = try await waitFor(supervisor, "sleeper", .stopped)
            #expect(stopped.lastExit == .killed(signal: 15))
            #expect(stopped.restarts == 0)
            #expect(await waitUntilGone(pid))
            try supervisor.start("sleeper")
            let again = try await waitFor(supervisor, "sleeper", .running)
            #expect(again.pid != pid)
        }
    }

    @Test("by default a workload that runs on Python gets one CPU and a shell script every CPU; one-cpu places any")
    func placement() async throws {
        let every = CPUAffinity.format(CPUAffinity.available)
        try await withSupervisor { supervisor in
            try supervisor.add(WorkloadSpec(name: "py", command: ["python3", "-c", "import time; time.sleep(1000)"]), start: true)
            try supervisor.add(shellSpec("sh", "exec sleep 1000"), start: true)
            var pinned = shellSpec("pinned", "exec sleep 1000")
            pinned.placement = .oneCPU
            try supervisor.add(pinned, start: true)
            for (name, one) in [("py", true), ("sh", false), ("pinned", true)] {
                let running = try await waitFor(supervisor, name, .running)
                let cpus = try #require(running.cpus)
                let status = try String(contentsOfFile: "/proc/\(try #require(running.pid))/status", encoding: .utf8)
                let listed = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }?.split(separator: "\t").last
                #expect(listed.map(String.init) == cpus, "the snapshot shows where it runs")
                #expect(one ? Int(cpus) != nil : cpus == every, "\(name): \(cpus)")
            }
        }
    }

    @Test("restart replaces the process and counts a restart")
    func restart() async throws {
        try await withSupervisor { supervisor in
            try supervisor.add(shellSpec("svc", "exec sleep 1000"), start: true)
            let first = try #require(try await waitFor(supervisor, "svc", .running).pid)
            try supervisor.restart("svc")
            let second = try await waitUntil(supervisor, "svc", "running again") { $0.state == .running && $0.pid != first }
            #expect(second.restarts == 1)
            #expect(await waitUntilGone(first))
        }
    }

    @Test("failed health checks make the workload unhealthy and restart it; a healthy one keeps running")
    func healthFailuresRestart() async throws {
        let folder = try temporaryDirectory()
        let marker = folder + "/healthy"
        let check = MarkerFileCheck(path: marker)
        try await withSupervisor(healthCheck: check) { supervisor in
            let spec = shellSpec("sick", "exec sleep 1000", health: HealthPolicy(interval: .milliseconds(100), failureThreshold: 3))
            try supervisor.add(spec)
            let events = supervisor.events()
            try supervisor.start("sick")
            let seen = try await collectEvents(events, name: "sick") { $0.kind == .restarted(total: 1) }
            #expect(seen.contains { $0.kind == .stateChanged(from: .running, to: .unhealthy) })
            #expect(seen.last?.detail == "3 consecutive health checks failed")
            #expect(FileManager.default.createFile(atPath: marker, contents: nil))
            let healthy = try await waitFor(supervisor, "sick", .running)
            // Three passing checks in a row: the same process keeps running.
            let passes = await withTimeout(.seconds(10)) { () async -> Int? in
                var passes = 0
                for await result in check.results {
                    passes = result ? passes + 1 : 0
                    if passes == 3 { return passes }
                }
                return nil
            }
            #expect(passes == 3)
            let status = try supervisor.status("sick")
            #expect(status.pid == healthy.pid)
            #expect(status.state == .running)
            #expect(status.restarts == 1)
        }
    }

    @Test("expiry stops the workload as expired; restore runs it again")
    func expiryAndRestore() async throws {
        try await withSupervisor { supervisor in
            // Long enough that a loaded machine still sees it running before it expires again.
            try supervisor.add(shellSpec("temp", "exec sleep 1000", timeToLive: .seconds(5)), start: true)
            let running = try await waitFor(supervisor, "temp", .running)
            let pid = try #require(running.pid)
            #expect(running.expiresAt != nil)
            let expired = try await waitFor(supervisor, "temp", .expired)
            #expect(expired.pid == nil)
            #expect(await waitUntilGone(pid))
            try supervisor.restore("temp")
            let restored = try await waitFor(supervisor, "temp", .running)
            #expect(restored.pid != pid)
            #expect(restored.expiresAt! > expired.expiresAt!)
        }
    }

    @Test("a command that cannot start reports why and backs off")
    func launchFailure() async throws {
        try await withSupervisor { supervisor in
            try supervisor.add(WorkloadSpec(name: "ghost", command: ["/nonexistent/server"], restart: RestartPolicy(initialBackoff: .seconds(30))), start: true)
            let status = try await waitFor(supervisor, "ghost", .backoff)
            #expect(status.lastError?.contains("cannot start '/nonexistent/server'") == true)
        }
    }

    @Test("cancelling run() terminates every child, including one that ignores SIGTERM and its background job")
    func noOrphans() async throws {
        let supervisor = Supervisor(configuration: SupervisorConfiguration(shutdownGrace: .milliseconds(300)), logger: testLogger())
        let script = "trap '' TERM; sleep 1000 & echo child $! >&2; wait"
        try supervisor.add(shellSpec("stubborn", script), start: true)
        try supervisor.add(shellSpec("plain", "exec sleep 1000"), start: true)
        let run = Task { try await supervisor.run() }
        let stubborn = try #require(try await waitFor(supervisor, "stubborn", .running).pid)
        let plain = try #require(try await waitFor(supervisor, "plain", .running).pid)
        let line = try await firstLines(supervisor.followLogs("stubborn", lines: 1), 1)
        let child = try #require(Int32(line[0].dropFirst("child ".count)))
        #expect(isAlive(child))
        run.cancel()
        try await run.value
        #expect(!isAlive(stubborn))
        #expect(!isAlive(plain))
        #expect(await waitUntilGone(child))
    }

    @Test("remove stops the workload and forgets it; unknown names and duplicates are precise errors")
    func removeAndErrors() async throws {
        try await withSupervisor { supervisor in
            try supervisor.add(shellSpec("gone", "exec sleep 1000"), start: true)
            let pid = try #require(try await waitFor(supervisor, "gone", .running).pid)
            #expect(throws: SupervisorError(.duplicateWorkload, "a workload with this name exists; remove it first", name: "gone")) {
                try supervisor.add(shellSpec("gone", "true"))
            }
            let events = supervisor.events()
            try supervisor.remove("gone")
            _ = try await collectEvents(events, name: "gone") { $0.kind == .removed }
            #expect(supervisor.list().isEmpty)
            #expect(await waitUntilGone(pid))
            #expect(throws: SupervisorError.self) { try supervisor.start("gone") }
            do {
                try supervisor.stop("nope")
            } catch let error as SupervisorError {
                #expect(error.code == .unknownWorkload)
                #expect(error.description == "unknown workload 'nope': no workload has this name")
            }
        }
    }
}
