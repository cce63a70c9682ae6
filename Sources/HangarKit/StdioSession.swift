import Synchronization

/// The bookkeeping of one stdio connection: how many requests are still being answered,
/// whether input has ended, and who waits for both to be over.
final class StdioSession: Sendable {
    private struct State {
        var open = 0
        var inputEnded = false
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
        var isDone: Bool { stopped || (inputEnded && open == 0) }
    }

    private let state = Mutex(State())

    /// A request starts; `false` once the session was stopped (ignore the line).
    func begin() -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            state.open += 1
            return true
        }
    }

    /// A request was answered (or dropped).
    func end() {
        resume(state.withLock { state in
            state.open -= 1
            return state.isDone ? state.waiter.take() : nil
        })
    }

    /// Input reached EOF.
    func inputEnded() {
        resume(state.withLock { state in
            state.inputEnded = true
            return state.isDone ? state.waiter.take() : nil
        })
    }

    /// Stop waiting at once (the caller was cancelled); later lines are ignored.
    func stop() {
        resume(state.withLock { state in
            state.stopped = true
            return state.waiter.take()
        })
    }

    /// Returns when input has ended and every request is over, or on `stop()`.
    func waitUntilDone() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.isDone { return true }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func resume(_ waiter: CheckedContinuation<Void, Never>?) {
        waiter?.resume()
    }
}
