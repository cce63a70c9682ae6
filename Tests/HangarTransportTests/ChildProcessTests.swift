import Foundation
import HangarTransport
import Testing

/// `/bin/sh -c script` with a small, fixed environment.
func shell(_ script: String) -> ProcessSpec {
    ProcessSpec(command: "/bin/sh", arguments: ["-c", script], environment: ["PATH": "/usr/bin:/bin"])
}

@Suite("ChildProcess", .timeLimit(.minutes(1)))
struct ChildProcessTests {
    /// Kills the child's whole group: the clean-up when a wait runs past its deadline.
    static func killGroup(_ pid: pid_t) -> @Sendable () -> Void {
        { _ = kill(-pid, SIGKILL) }
    }

    @Test("stdout is readable and the exit code is reported")
    func exitCode() async throws {
        let child = try await ChildProcess.spawn(shell("echo hi; exit 7"))
        close(child.stdinFD)
        let stdout = PipeReader(fd: child.stdoutFD)
        let stderr = PipeReader(fd: child.stderrFD)
        #expect(try await stdout.untilEOF(onTimeout: Self.killGroup(child.pid)) == "hi\n")
        #expect(try await stderr.untilEOF() == "")
        let code = try await withDeadline(10, "exit", onTimeout: Self.killGroup(child.pid)) { await child.waitForExit() }
        #expect(code == 7)
        #expect(child.exitCode == 7)
    }

    @Test("stderr is a separate pipe")
    func stderrPipe() async throws {
        let child = try await ChildProcess.spawn(shell("echo oops >&2; exit 0"))
        close(child.stdinFD)
        let stdout = PipeReader(fd: child.stdoutFD)
        let stderr = PipeReader(fd: child.stderrFD)
        #expect(try await stderr.untilEOF(onTimeout: Self.killGroup(child.pid)) == "oops\n")
        #expect(try await stdout.untilEOF() == "")
        #expect(await child.waitForExit() == 0)
    }

    @Test("stdin reaches the child")
    func stdin() async throws {
        let child = try await ChildProcess.spawn(ProcessSpec(command: "cat", environment: ["PATH": "/usr/bin:/bin"]))
        let stdout = PipeReader(fd: child.stdoutFD)
        let message = Array(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8) + [UInt8(ascii: "\n")]
        #expect(message.withUnsafeBytes { write(child.stdinFD, $0.baseAddress, $0.count) } == message.count)
        close(child.stdinFD)
        #expect(try await stdout.untilEOF(onTimeout: Self.killGroup(child.pid)) == String(decoding: message, as: UTF8.self))
        #expect(await child.waitForExit() == 0)
    }

    @Test("a child killed by a signal reports minus the signal")
    func killedBySignal() async throws {
        let child = try await ChildProcess.spawn(shell("kill -KILL $$"))
        close(child.stdinFD)
        close(child.stdoutFD)
        close(child.stderrFD)
        let code = try await withDeadline(10, "exit", onTimeout: Self.killGroup(child.pid)) { await child.waitForExit() }
        #expect(code == -SIGKILL)
    }

    @Test("a command that does not exist throws SpawnError naming it", arguments: [
        "hangar-test-no-such-command", "/no/such/dir/hangar-tool",
    ])
    func missingCommand(_ command: String) async {
        let error = await #expect(throws: SpawnError.self) {
            try await ChildProcess.spawn(ProcessSpec(command: command, environment: ["PATH": "/usr/bin:/bin"]))
        }
        #expect(error?.command == command)
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains(command) == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test("a working folder that does not exist throws SpawnError from the child's side")
    func missingWorkingDirectory() async {
        var spec = shell("exit 0")
        spec.workingDirectory = "/no/such/hangar/folder"
        let error = await #expect(throws: SpawnError.self) { try await ChildProcess.spawn(spec) }
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("/bin/sh") == true)
    }

    @Test("the child runs in the given working folder")
    func workingDirectory() async throws {
        var spec = ProcessSpec(command: "/bin/pwd", environment: [:])
        spec.workingDirectory = "/"
        let child = try await ChildProcess.spawn(spec)
        close(child.stdinFD)
        close(child.stderrFD)
        #expect(try await PipeReader(fd: child.stdoutFD).untilEOF(onTimeout: Self.killGroup(child.pid)) == "/\n")
        #expect(await child.waitForExit() == 0)
    }

    @Test("the child leads its own process group")
    func ownProcessGroup() async throws {
        let child = try await ChildProcess.spawn(ProcessSpec(command: "cat", environment: ["PATH": "/usr/bin:/bin"]))
        let stdout = PipeReader(fd: child.stdoutFD)
        #expect(getpgid(child.pid) == child.pid)
        #expect(getpgid(child.pid) != getpgrp())
        #expect(child.exitCode == nil)
        close(child.stdinFD)
        _ = try await stdout.untilEOF(onTimeout: Self.killGroup(child.pid))
        #expect(await child.waitForExit() == 0)
    }

    @Test("the environment is exactly the one in the spec", arguments: [
        [:],
        ["PATH": "/usr/bin:/bin", "HANGAR_TEST_VALUE": "a b=c", "EMPTY": ""],
    ])
    func environment(_ environment: [String: String]) async throws {
        let child = try await ChildProcess.spawn(ProcessSpec(command: "/usr/bin/env", environment: environment))
        close(child.stdinFD)
        close(child.stderrFD)
        let output = try await PipeReader(fd: child.stdoutFD).untilEOF(onTimeout: Self.killGroup(child.pid))
        let lines = output.split(separator: "\n").map(String.init).sorted()
        #expect(lines == environment.map { "\($0.key)=\($0.value)" }.sorted())
        #expect(await child.waitForExit() == 0)
    }

    @Test("terminate() stops a child that honours SIGTERM, with its exit reported")
    func terminatePolite() async throws {
        let child = try await ChildProcess.spawn(shell("echo ready; exec sleep 100"))
        close(child.stdinFD)
        let stdout = PipeReader(fd: child.stdoutFD)
        #expect(try await stdout.firstLine(onTimeout: Self.killGroup(child.pid)) == "ready")
        try await withDeadline(10, "terminate", onTimeout: Self.killGroup(child.pid)) {
            await child.terminate(grace: .seconds(5))
        }
        #expect(child.exitCode == -SIGTERM)
    }

    @Test("terminate() kills a child that ignores SIGTERM once the grace period is over")
    func terminateStubborn() async throws {
        let child = try await ChildProcess.spawn(shell(#"trap "" TERM; echo ready; sleep 100; echo survived"#))
        close(child.stdinFD)
        let stdout = PipeReader(fd: child.stdoutFD)
        #expect(try await stdout.firstLine(onTimeout: Self.killGroup(child.pid)) == "ready")
        let pid = child.pid
        try await withDeadline(5, "terminate", onTimeout: Self.killGroup(pid)) {
            await child.terminate(grace: .milliseconds(200))
        }
        // It ended by SIGKILL: the child never honoured SIGTERM.
        #expect(await child.waitForExit() == -SIGKILL)
        #expect(try await stdout.untilEOF(onTimeout: Self.killGroup(pid)) == "ready\n")
    }

    @Test("terminate() also kills what the child started in its group, even if it ignores SIGTERM")
    func terminateKillsGrandchild() async throws {
        // The subshell ignores SIGTERM and becomes `sleep`; the leader honours SIGTERM.
        let child = try await ChildProcess.spawn(shell(#"(trap "" TERM; exec sleep 100) & echo $!; wait"#))
        close(child.stdinFD)
        let stdout = PipeReader(fd: child.stdoutFD)
        let grandchild = try #require(pid_t(try await stdout.firstLine(onTimeout: Self.killGroup(child.pid))))
        #expect(getpgid(grandchild) == child.pid)
        try await withDeadline(10, "terminate", onTimeout: Self.killGroup(child.pid)) {
            await child.terminate(grace: .seconds(5))
        }
        #expect(child.exitCode == -SIGTERM)
        // The grandchild holds the stdout pipe: end of file means it has gone too.
        _ = try await stdout.untilEOF(seconds: 5, onTimeout: { kill(grandchild, SIGKILL) })
        #expect(await waitUntilGone(grandchild))
    }

    @Test("terminate() after the leader exited still kills what it left running in its group")
    func terminateAfterLeaderExit() async throws {
        let child = try await ChildProcess.spawn(shell("sleep 100 & echo $!"))
        close(child.stdinFD)
        let stdout = PipeReader(fd: child.stdoutFD)
        let grandchild = try #require(pid_t(try await stdout.firstLine(onTimeout: Self.killGroup(child.pid))))
        #expect(await child.waitForExit() == 0)
        await child.terminate(grace: .milliseconds(200))
        _ = try await stdout.untilEOF(seconds: 2, onTimeout: { kill(grandchild, SIGKILL) })
        #expect(await waitUntilGone(grandchild))
    }
}

@Suite("ProcessSpec")
struct ProcessSpecTests {
    @Test("a bare command is looked up on the child's PATH")
    func childPath() throws {
        let spec = ProcessSpec(command: "sh", environment: ["PATH": "/nonexistent:/bin"])
        #expect(spec.resolvedExecutable() == "/bin/sh")
        #expect(ProcessSpec(command: "sh", environment: ["PATH": "/nonexistent"]).resolvedExecutable() == nil)
    }

    @Test("a command with a slash is used as given, if it exists")
    func withSlash() {
        #expect(ProcessSpec(command: "/bin/sh", environment: [:]).resolvedExecutable() == "/bin/sh")
        #expect(ProcessSpec(command: "/no/such/tool", environment: [:]).resolvedExecutable() == nil)
    }
}
