import Foundation
import HangarSandbox
import Testing

@Suite("Sandbox limits", .enabled(if: Machine.canSandbox, Machine.reason), .timeLimit(.minutes(1)))
struct SandboxLimitsTests {
    @Test("over its memory limit the server is OOM-killed and the kill is counted")
    func memoryLimit() async throws {
        let run = try await runSandboxed(python("""
            chunks = []
            for i in range(64):
                chunks.append(b"x" * (8 << 20))
                print("allocated", (i + 1) * 8, "MiB", flush=True)
            print("survived")
            """)) { $0.limits = ResourceLimits(memoryBytes: 64 << 20) }
        #expect(!run.stdout.contains("survived"))
        #expect((run.usage.oomKills ?? 0) >= 1, "usage: \(run.usage)")
        #expect(run.exitCode != 0)
    }

    @Test("a fork bomb stops at the pids limit and the refusals are counted")
    func pidsLimit() async throws {
        let run = try await runSandboxed(python("""
            import os
            r, w = os.pipe()
            children = []
            try:
                while len(children) < 200:
                    pid = os.fork()
                    if pid == 0:
                        os.close(w); os.read(r, 1); os._exit(0)
                    children.append(pid)
                print("no limit hit")
            except OSError as e:
                print("refused after", len(children), "errno", e.errno, flush=True)
            os.close(w)
            for pid in children: os.waitpid(pid, 0)
            """)) { $0.limits = ResourceLimits(maxProcesses: 16) }
        #expect(run.stdout.contains("errno \(EAGAIN)"), "stdout: \(run.stdout) stderr: \(run.stderr)")
        let forked = run.stdout.split(separator: " ").dropFirst(2).first.flatMap { Int($0) } ?? 999
        #expect(forked < 16)
        #expect((run.usage.pidsLimitHits ?? 0) >= 1, "usage: \(run.usage)")
        #expect(run.exitCode == 0)
    }

    /// The loop spins for 0.2 s of its own CPU time, not of wall time: on a loaded machine a
    /// wall-clock loop may never get its 10 ms per period and so never be throttled.
    @Test("a CPU quota throttles a busy loop and the throttling is reported")
    func cpuQuota() async throws {
        let run = try await runSandboxed(python("""
            import time
            while time.process_time() < 0.2: pass
            print("done")
            """)) { $0.limits = ResourceLimits(cpuCores: 0.1) }
        #expect(run.stdout.contains("done"))
        #expect((run.usage.throttledPeriods ?? 0) >= 1, "usage: \(run.usage)")
        #expect((run.usage.throttledMicroseconds ?? 0) > 0)
    }

    @Test("SIGKILLing bubblewrap leaves nothing of the sandbox running")
    func noOrphans() async throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let spec = SandboxSpec(workloadID: "orphans", command: ["/bin/sh", "-c", "sleep 600 & sleep 600 & echo ready; wait"],
                               serverDirectory: folder.path, limits: ResourceLimits(maxProcesses: 32))
        let sandboxed = try await Sandbox.launch(spec, probe: await Machine.probe())
        let out = PipeReader(fd: sandboxed.stdoutFD)
        let kill: @Sendable () -> Void = { sandboxed.cgroup?.killAll(); sandboxed.process.signalGroup(SIGKILL) }
        _ = try await out.wait(seconds: 20, onTimeout: kill) { $0.contains("ready") }
        let inside = try #require(sandboxed.cgroup).processes().filter { $0 != sandboxed.pid }
        #expect(inside.count >= 4) // bwrap's init, sh, two sleeps
        Glibc.kill(sandboxed.pid, SIGKILL)
        #expect(try await withDeadline(10, "bwrap exit", onTimeout: kill) { await sandboxed.waitForExit() } == -SIGKILL)
        let survivors = await ProcessExitWatch.waitForExit(of: inside, timeout: .seconds(10))
        #expect(survivors.isEmpty, "still running: \(survivors)")
        try await sandboxed.cleanup()
        close(sandboxed.stdinFD)
        close(sandboxed.stderrFD)
    }

    @Test("stop gives the server SIGTERM first, then removes everything")
    func gracefulStop() async throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let spec = SandboxSpec(workloadID: "stop", command: python("""
            import signal, sys, time
            def bye(*_):
                open("/srv/terminated", "w").write("yes"); sys.exit(0)
            signal.signal(signal.SIGTERM, bye)
            print("ready", flush=True)
            while True: time.sleep(1)
            """), serverDirectory: folder.path, limits: ResourceLimits(maxProcesses: 8))
        let sandboxed = try await Sandbox.launch(spec, probe: await Machine.probe())
        let out = PipeReader(fd: sandboxed.stdoutFD)
        let kill: @Sendable () -> Void = { sandboxed.cgroup?.killAll(); sandboxed.process.signalGroup(SIGKILL) }
        _ = try await out.wait(seconds: 20, onTimeout: kill) { $0.contains("ready") }
        let directories = Array(sandboxed.cgroup?.directories.values.map { $0 } ?? [])
        try await sandboxed.cleanup(grace: .seconds(5))
        #expect(FileManager.default.fileExists(atPath: folder.path + "/terminated"))
        #expect(sandboxed.process.exitCode != nil)
        for directory in directories { #expect(!FileManager.default.fileExists(atPath: directory)) }
        close(sandboxed.stdinFD)
        close(sandboxed.stderrFD)
    }
}
