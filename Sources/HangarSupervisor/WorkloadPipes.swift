import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HangarTransport
import NIOCore
import Synchronization

/// The pipes of a launched workload, whatever launched it: stderr read line by line into a
/// stream (for the logs), stdin/stdout handed over once (to the gateway's MCP client).
final class WorkloadPipes: Sendable {
    let stderrLines: AsyncStream<String>
    private let stderrChannel: LineChannel
    /// Descriptors not yet handed over (nil once taken or closed).
    private let stdio: Mutex<WorkloadStdio?>

    private init(stderrLines: AsyncStream<String>, stderrChannel: LineChannel, stdio: WorkloadStdio) {
        self.stderrLines = stderrLines
        self.stderrChannel = stderrChannel
        self.stdio = Mutex(stdio)
    }

    /// Starts reading `stderr`. On failure every descriptor given is closed and the error
    /// thrown; the caller then stops its process.
    static func open(stdin: Int32, stdout: Int32, stderr: Int32, maxLineBytes: Int) async throws -> WorkloadPipes {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4096))
        do {
            let channel = try await LineChannel.open(
                readFD: stderr, writeFD: nil, maxLineBytes: maxLineBytes,
                onEvent: { event in
                    switch event {
                    case .line(let buffer): continuation.yield(String(buffer: buffer))
                    case .oversize(let size): continuation.yield("[hangar: a stderr line of \(size) bytes was dropped]")
                    }
                },
                onClose: { continuation.finish() })
            return WorkloadPipes(stderrLines: lines, stderrChannel: channel, stdio: WorkloadStdio(stdin: stdin, stdout: stdout))
        } catch {
            continuation.finish()
            Glibc.close(stdin)
            Glibc.close(stdout)
            throw error
        }
    }

    func takeStdio() -> WorkloadStdio? {
        stdio.withLock { s in
            defer { s = nil }
            return s
        }
    }

    /// Closes what was not handed over and stops reading stderr.
    func close() async {
        if let fds = takeStdio() {
            Glibc.close(fds.stdin)
            Glibc.close(fds.stdout)
        }
        stderrChannel.close()
        await stderrChannel.closed
    }
}
