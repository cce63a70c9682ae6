import Foundation

/// Blocking work (a descriptor read, a copy loop, a namespace switch) on a thread of its
/// own, so no Swift concurrency or event-loop thread waits on it.
public enum OwnThread {
    /// Runs `body` on a new thread and returns its result.
    public static func run<T: Sendable>(stackSize: Int = 256 << 10, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = stackSize
            thread.start()
        }
    }
}
