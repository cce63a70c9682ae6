import HangarCore
import Synchronization

/// Where the server's own messages (progress, list changes) go: stdout under `runStdio`,
/// or whatever an in-memory harness installed.
final class NotificationOutlet: Sendable {
    typealias Sink = @Sendable (JSONRPCMessage) -> Void

    private let sink = Mutex<Sink?>(nil)

    func install(_ newSink: Sink?) {
        sink.withLock { $0 = newSink }
    }

    func send(_ method: String, params: JSONValue?) {
        guard let current = sink.withLock({ $0 }) else { return }
        current(.notification(.init(method: method, params: params)))
    }
}
