import HangarCore
import Synchronization

/// Requests being worked on for one client, so `notifications/cancelled` can stop them.
final class InFlightRequests: Sendable {
    private let tasks = Mutex<[RequestID: Task<JSONRPCMessage.Response, Never>]>([:])

    /// Runs `body` as a cancellable unit keyed by `id` and waits for it. Cancelling the caller cancels it too.
    func run(_ id: RequestID, _ body: @escaping @Sendable () async -> JSONRPCMessage.Response) async -> JSONRPCMessage.Response {
        let task = Task { await body() }
        tasks.withLock { $0[id] = task }
        let response = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        tasks.withLock { _ = $0.removeValue(forKey: id) }
        return response
    }

    /// Cancels the request with this id, if it is still running. Returns whether it was.
    @discardableResult
    func cancel(_ id: RequestID) -> Bool {
        guard let task = tasks.withLock({ $0.removeValue(forKey: id) }) else { return false }
        task.cancel()
        return true
    }

    func cancelAll() {
        let all = tasks.withLock { t in
            defer { t = [:] }
            return Array(t.values)
        }
        for task in all { task.cancel() }
    }
}
