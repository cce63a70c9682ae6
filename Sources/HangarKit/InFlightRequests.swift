import HangarCore
import Synchronization

/// The requests whose handlers are running, so `notifications/cancelled` can stop one and
/// the server can drop its answer.
final class InFlightRequests: Sendable {
    /// How a handler run ended.
    enum Outcome<T: Sendable>: Sendable {
        case finished(Result<T, any Error>)
        /// The client cancelled the request: send nothing for it.
        case cancelled
    }

    private struct Entry {
        var serial: UInt64
        var cancelled = false
        var cancel: (@Sendable () -> Void)?
    }

    private struct State {
        var entries: [RequestID: Entry] = [:]
        var nextSerial: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Runs `operation` as the request `id`, in its own task so a cancellation can reach it.
    /// The task starts on the caller's thread, so a handler that never suspends costs no hop.
    func run<T: Sendable>(_ id: RequestID, _ operation: @escaping @Sendable () async throws -> T) async -> Outcome<T> {
        let serial = state.withLock { state -> UInt64 in
            state.nextSerial &+= 1
            state.entries[id] = Entry(serial: state.nextSerial)
            return state.nextSerial
        }
        let task = Task.immediate { try await operation() }
        let cancelledEarly = state.withLock { state -> Bool in
            guard var entry = state.entries[id], entry.serial == serial else { return false }
            if entry.cancelled { return true }
            entry.cancel = { task.cancel() }
            state.entries[id] = entry
            return false
        }
        if cancelledEarly { task.cancel() }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        let cancelled = state.withLock { state -> Bool in
            guard let entry = state.entries[id], entry.serial == serial else { return false }
            state.entries[id] = nil
            return entry.cancelled
        }
        return cancelled ? .cancelled : .finished(result)
    }

    /// The client cancelled `id`: stop its handler. Unknown or finished ids are ignored.
    func cancel(_ id: RequestID) {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            guard state.entries[id] != nil else { return nil }
            state.entries[id]!.cancelled = true
            return state.entries[id]!.cancel
        }
        cancel?()
    }

    /// Stops every handler (the connection is closing). Their answers are still sent.
    func cancelAll() {
        let cancels = state.withLock { $0.entries.values.compactMap(\.cancel) }
        for cancel in cancels { cancel() }
    }

    /// How many handlers are running.
    var count: Int { state.withLock { $0.entries.count } }
}
