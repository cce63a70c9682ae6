import Foundation
import Synchronization
import Testing

/// Thrown when a wait runs past its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with `DeadlineExceeded` if it takes longer than `seconds`. The clock only
/// bounds the wait. `onTimeout` runs when the deadline passes and must make `body` finish (for
/// example by killing the process it waits for): a task group cannot return before its children.
func withDeadline<T: Sendable>(
    _ seconds: Double = 10, _ what: String,
    onTimeout: @escaping @Sendable () -> Void = {},
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            onTimeout()
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(what: what)
        }
        return value
    }
}

/// Reads a pipe on a thread of its own (reads block) and collects everything that arrives.
final class PipeReader: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var eof = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    init(fd: Int32) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                let waiters = self.state.withLock { s in
                    if n > 0 { s.bytes += buffer[..<n] } else { s.eof = true }
                    defer { s.waiters = [:] }
                    return Array(s.waiters.values)
                }
                for w in waiters { w.resume() }
                if n <= 0 { break }
            }
            close(fd)
        }
        thread.start()
    }

    /// Everything read so far once `done` holds for it, or at end of file; throws at the deadline.
    func output(
        until done: @escaping @Sendable ([UInt8]) -> Bool, seconds: Double = 10,
        onTimeout: @escaping @Sendable () -> Void = {}
    ) async throws -> [UInt8] {
        try await withDeadline(seconds, "process output", onTimeout: onTimeout) {
            while true {
                let (bytes, eof) = self.state.withLock { ($0.bytes, $0.eof) }
                if eof || done(bytes) { return bytes }
                try Task.checkCancellation()
                await self.change(from: bytes.count)
            }
        }
    }

    /// Returns when more bytes arrived than `count`, at end of file, or on cancellation.
    private func change(from count: Int) async {
        let id = state.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = self.state.withLock { s -> Bool in
                    if s.bytes.count != count || s.eof || Task.isCancelled { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// The first line (without its newline).
    func firstLine(seconds: Double = 10, onTimeout: @escaping @Sendable () -> Void = {}) async throws -> String {
        let bytes = try await output(until: { $0.contains(UInt8(ascii: "\n")) }, seconds: seconds, onTimeout: onTimeout)
        return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Everything until every writer has closed the pipe.
    func untilEOF(seconds: Double = 10, onTimeout: @escaping @Sendable () -> Void = {}) async throws -> String {
        String(decoding: try await output(until: { _ in false }, seconds: seconds, onTimeout: onTimeout), as: UTF8.self)
    }
}

/// Whether `pid` no longer runs. Orphans are reparented to PID 1, which on some machines never
/// reaps them, so a zombie counts as gone.
func isGone(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")")
    else { return true }
    let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
    return state == "Z" || state == "X"
}

/// Waits until `pid` is gone. There is no readiness signal for a process that is not our child,
/// so this checks at short intervals until the deadline; callers first wait for a real signal
/// (end of file on a pipe the process held), so the first check nearly always succeeds.
func waitUntilGone(_ pid: pid_t, seconds: Double = 5) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if isGone(pid) { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return isGone(pid)
}
