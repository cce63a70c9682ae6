import HangarCore
import Logging
import Synchronization

/// Every upstream, configured or added while running (hosted servers), run together for the
/// daemon's lifetime. The order — config file first, then additions — decides name collisions.
public final class UpstreamPool: Sendable {
    private let logger: Logger
    private let onEvent: @Sendable (String, UpstreamEvent) -> Void
    private struct State {
        var list: [Upstream]
        var byName: [String: Upstream]
    }
    private let state: Mutex<State>
    private let added: AsyncStream<Upstream>
    private let addedInput: AsyncStream<Upstream>.Continuation

    public init(configs: [UpstreamConfig], logger: Logger, onEvent: @escaping @Sendable (String, UpstreamEvent) -> Void) {
        self.logger = logger
        self.onEvent = onEvent
        let upstreams = configs.map { Upstream(config: $0, logger: logger, onEvent: onEvent) }
        state = Mutex(State(list: upstreams, byName: Dictionary(upstreams.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })))
        (added, addedInput) = AsyncStream.makeStream(of: Upstream.self)
    }

    public var upstreams: [Upstream] { state.withLock { $0.list } }

    public func upstream(named name: String) -> Upstream? { state.withLock { $0.byName[name] } }

    /// Adds an upstream while running; nil when the name is taken.
    public func add(_ config: UpstreamConfig) -> Upstream? {
        let upstream = Upstream(config: config, logger: logger, onEvent: onEvent)
        let ok = state.withLock { s -> Bool in
            guard s.byName[config.name] == nil else { return false }
            s.list.append(upstream)
            s.byName[config.name] = upstream
            return true
        }
        guard ok else { return nil }
        addedInput.yield(upstream)
        return upstream
    }

    /// Removes an upstream and stops it.
    @discardableResult
    public func remove(_ name: String) -> Upstream? {
        let removed = state.withLock { s -> Upstream? in
            guard let u = s.byName.removeValue(forKey: name) else { return nil }
            s.list.removeAll { $0 === u }
            return u
        }
        removed?.shutdown()
        return removed
    }

    /// Runs every upstream (and those added later) until cancelled; children are stopped
    /// before this returns.
    public func run() async {
        await withDiscardingTaskGroup { group in
            // Those added before this started are both in the list and in `added`: run each
            // once (two runs of one upstream would each wait for its shutdown, and one of the
            // two waits would never end, so the daemon would not stop).
            var started = Set<ObjectIdentifier>()
            for upstream in upstreams where started.insert(ObjectIdentifier(upstream)).inserted {
                group.addTask { await Self.run(upstream) }
            }
            for await upstream in added where started.insert(ObjectIdentifier(upstream)).inserted {
                group.addTask { await Self.run(upstream) }
            }
        }
    }

    /// Runs one upstream until it is shut down or the task is cancelled.
    private static func run(_ upstream: Upstream) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await upstream.run() }
            group.addTask { await upstream.waitForShutdown() }
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Waits until each upstream has either connected or failed its first attempt.
    public func waitForFirstAttempts() async {
        await withDiscardingTaskGroup { group in
            for upstream in upstreams {
                group.addTask { await upstream.waitForFirstAttempt() }
            }
        }
    }
}
