import HangarCore
import HangarTransport
import Synchronization

/// Requests being worked on for one client, so `notifications/cancelled` can stop them.
final class InFlightRequests: Sendable {
    private struct Entry {
        let serial: UInt64
        let cancel: @Sendable () -> Void
    }

    private struct State {
        var byID: [RequestID: Entry] = [:]
        var nextSerial: UInt64 = 0
        /// Tasks started by `spawn` that have not finished.
        var running = 0
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Runs `body` as a cancellable unit keyed by `id` and waits for it. Cancelling the caller cancels it too.
    func run(_ id: RequestID, _ body: @escaping @Sendable () async -> JSONRPCMessage.Response) async -> JSONRPCMessage.Response {
        let task = Task(executorPreference: EventLoopTaskExecutor.here) { await body() }
        let serial = register(id) { task.cancel() }
        let response = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        unregister(id, serial)
        return response
    }

    /// Starts `body` as a task of its own, cancellable through `id` when it has one, without
    /// waiting for it: one task per request and no hop through a queue.
    func spawn(_ id: RequestID?, _ body: @escaping @Sendable () async -> Void) {
        state.withLock { s in
            s.running += 1
            s.nextSerial += 1
            let serial = s.nextSerial
            // Registered under the lock that the task's own end takes, so it cannot end first.
            let task = Task(executorPreference: EventLoopTaskExecutor.here) { [self] in
                await body()
                finished(id, serial)
            }
            if let id { s.byID[id] = Entry(serial: serial, cancel: { task.cancel() }) }
        }
    }

    private func finished(_ id: RequestID?, _ serial: UInt64) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if let id, s.byID[id]?.serial == serial { s.byID.removeValue(forKey: id) }
            s.running -= 1
            guard s.running == 0 else { return [] }
            defer { s.drainWaiters = [] }
            return s.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once every task `spawn` started has finished.
    func drained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.running == 0 { return true }
                s.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func register(_ id: RequestID, cancel: @escaping @Sendable () -> Void) -> UInt64 {
        state.withLock { s in
            s.nextSerial += 1
            s.byID[id] = Entry(serial: s.nextSerial, cancel: cancel)
            return s.nextSerial
        }
    }

    private func unregister(_ id: RequestID, _ serial: UInt64) {
        state.withLock { s in
            if s.byID[id]?.serial == serial { s.byID.removeValue(forKey: id) }
        }
    }

    /// Cancels the request with this id, if it is still running. Returns whether it was.
    @discardableResult
    func cancel(_ id: RequestID) -> Bool {
        guard let entry = state.withLock({ $0.byID.removeValue(forKey: id) }) else { return false }
        entry.cancel()
        return true
    }

    func cancelAll() {
        let all = state.withLock { s in
            defer { s.byID = [:] }
            return Array(s.byID.values)
        }
        for entry in all { entry.cancel() }
    }
}
