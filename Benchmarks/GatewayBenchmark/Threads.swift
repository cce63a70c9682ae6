import Foundation
import Synchronization

/// Runs blocking work on a thread of its own, off Swift's cooperative pool (which has only
/// as many threads as cores: two on the benchmark machine).
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}

/// Holds client threads until all of them are connected and warmed up, so that the timed
/// part of a concurrent run starts together. A client that fails releases the others.
final class StartLine: Sendable {
    private struct State {
        var arrived = 0
        var abandoned = false
    }
    private let parties: Int
    private let state = Mutex(State())
    private let condition = NSCondition()  // only wakes waiters; the state lives in `state`

    init(parties: Int) {
        self.parties = parties
    }

    /// Waits for every party (at most a minute); false when one gave up or time ran out.
    func arriveAndWait() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        state.withLock { $0.arrived += 1 }
        condition.broadcast()
        let deadline = Date().addingTimeInterval(60)
        while true {
            let (arrived, abandoned) = state.withLock { ($0.arrived, $0.abandoned) }
            if abandoned { return false }
            if arrived >= parties { return true }
            if !condition.wait(until: deadline) { return false }
        }
    }

    func abandon() {
        condition.lock()
        state.withLock { $0.abandoned = true }
        condition.broadcast()
        condition.unlock()
    }
}

/// Reads a child's output until it ends, so the child never blocks on a full pipe; keeps the
/// last few kilobytes to explain a failure. Closes the descriptor at the end.
final class OutputDrain: Sendable {
    private let tailBytes = Mutex<[UInt8]>([])

    init(fd: Int32) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                self.tailBytes.withLock { tail in
                    tail += buffer[0..<n]
                    if tail.count > 4096 { tail.removeFirst(tail.count - 4096) }
                }
            }
            close(fd)
        }
        thread.name = "bench-drain"
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// The last lines the child wrote, for an error message.
    var tail: String {
        let text = String(decoding: tailBytes.withLock { $0 }, as: UTF8.self)
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }
}
