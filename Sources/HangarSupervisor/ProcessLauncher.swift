import Foundation
import HangarCore
import HangarTransport
import NIOCore
import Synchronization

/// Runs a workload as a plain child process in its own process group, killed by the kernel if
/// the daemon dies. It applies no isolation (the sandbox launcher does) and says so.
public struct ProcessLauncher: WorkloadLauncher {
    /// Longest stderr line kept; longer lines are replaced by a note of their size.
    public var maxLineBytes: Int

    public init(maxLineBytes: Int = 16 << 10) {
        self.maxLineBytes = maxLineBytes
    }

    public func launch(_ spec: WorkloadSpec) async throws -> any LaunchedWorkload {
        try spec.validate()
        var environment = spec.environment
        if environment["PATH"] == nil {
            environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        }
        let processSpec = ProcessSpec(command: spec.command[0], arguments: Array(spec.command.dropFirst()),
                                      environment: environment, workingDirectory: spec.workingDirectory)
        let child = try await ChildProcess.spawn(processSpec)
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4096))
        do {
            let channel = try await LineChannel.open(
                readFD: child.stderrFD, writeFD: nil, maxLineBytes: maxLineBytes,
                onEvent: { event in
                    switch event {
                    case .line(let buffer): continuation.yield(String(buffer: buffer))
                    case .oversize(let size): continuation.yield("[hangar: a stderr line of \(size) bytes was dropped]")
                    }
                },
                onClose: { continuation.finish() })
            return LaunchedProcess(child: child, stderrLines: lines, stderrChannel: channel)
        } catch {
            continuation.finish()
            let launched = LaunchedProcess(child: child, stderrLines: lines, stderrChannel: nil)
            await launched.terminate(grace: .zero)
            await launched.cleanup()
            throw error
        }
    }
}

/// A process started by `ProcessLauncher`.
final class LaunchedProcess: LaunchedWorkload {
    let child: ChildProcess
    let stderrLines: AsyncStream<String>
    private let stderrChannel: LineChannel?
    /// Descriptors not yet handed over (nil once taken or closed).
    private let stdio: Mutex<WorkloadStdio?>

    init(child: ChildProcess, stderrLines: AsyncStream<String>, stderrChannel: LineChannel?) {
        self.child = child
        self.stderrLines = stderrLines
        self.stderrChannel = stderrChannel
        self.stdio = Mutex(WorkloadStdio(stdin: child.stdinFD, stdout: child.stdoutFD))
    }

    var pid: Int32 { child.pid }
    var isolation: String { "none: plain process in its own process group (limits and network policy not enforced)" }

    func takeStdio() -> WorkloadStdio? {
        stdio.withLock { s in
            defer { s = nil }
            return s
        }
    }

    func waitForExit() async -> WorkloadExit? {
        _ = await child.waitForExit()
        return child.exitCode.map(WorkloadExit.init(rawCode:))
    }

    func terminate(grace: Duration) async {
        await child.terminate(grace: grace)
    }

    func cleanup() async {
        if let fds = takeStdio() {
            close(fds.stdin)
            close(fds.stdout)
        }
        if let stderrChannel {
            stderrChannel.close()
            await stderrChannel.closed
        }
    }
}
