import HangarCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MCPServer {
    /// Serves one client over stdio: a message per line on `input`, answers and notifications
    /// a line each on `output` (one `write(2)` per line, never interleaved). Returns when
    /// `input` reaches EOF and the requests in flight are over (they are cancelled at EOF),
    /// or at once when the calling task is cancelled.
    ///
    /// Each line is handled in a task started with `Task.immediate` on the reading thread:
    /// a request whose handler never suspends is answered right there, with no thread hop,
    /// which is what keeps a call to a fast tool at a few microseconds. A handler that
    /// suspends (sleeps, does I/O) continues on the global executor while reading goes on;
    /// a handler that computes for long without suspending holds up the lines behind it.
    public func runStdio(input: Int32 = 0, output: Int32 = 1) async {
        signal(SIGPIPE, SIG_IGN)
        let writer = LineWriter(fd: output)
        setNotificationSink { writer.write($0.serialized()) }
        defer { setNotificationSink(nil) }
        let session = StdioSession()
        LineReader.start(
            fd: input, maxLineBytes: options.limits.maxMessageBytes,
            onLine: { [self] line in
                guard session.begin() else { return }
                // Not stored: the session counts it, and EOF cancels its handler through inFlight.
                Task.immediate {
                    if let answer = await self.handle(line) { writer.write(answer) }
                    session.end()
                }
            },
            onEnd: { [self] in
                inFlight.cancelAll()
                session.inputEnded()
            })
        await withTaskCancellationHandler {
            await session.waitUntilDone()
        } onCancel: {
            self.inFlight.cancelAll()
            session.stop()
        }
    }
}
