import Foundation
import HangarCore
import HangarTransport

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
        var processSpec = ProcessSpec(command: spec.command[0], arguments: Array(spec.command.dropFirst()),
                                      environment: environment, workingDirectory: spec.workingDirectory)
        processSpec.placement = spec.cpuPlacement
        let child = try await ChildProcess.spawn(processSpec)
        do {
            let pipes = try await WorkloadPipes.open(stdin: child.stdinFD, stdout: child.stdoutFD, stderr: child.stderrFD,
                                                     maxLineBytes: maxLineBytes)
            return LaunchedProcess(child: child, pipes: pipes)
        } catch {
            await child.terminate(grace: .zero)
            throw error
        }
    }
}

/// A process started by `ProcessLauncher`.
final class LaunchedProcess: LaunchedWorkload {
    let child: ChildProcess
    private let pipes: WorkloadPipes

    init(child: ChildProcess, pipes: WorkloadPipes) {
        self.child = child
        self.pipes = pipes
    }

    var pid: Int32 { child.pid }
    var isolation: String { "none: plain process in its own process group (limits and network policy not enforced)" }
    var stderrLines: AsyncStream<String> { pipes.stderrLines }

    func takeStdio() -> WorkloadStdio? { pipes.takeStdio() }

    func waitForExit() async -> WorkloadExit? {
        _ = await child.waitForExit()
        return child.exitCode.map(WorkloadExit.init(rawCode:))
    }

    func terminate(grace: Duration) async {
        await child.terminate(grace: grace)
    }

    func cleanup() async {
        await pipes.close()
    }
}
