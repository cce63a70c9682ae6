import HangarCore
import Logging

/// All configured upstreams, run together for the daemon's lifetime.
public final class UpstreamPool: Sendable {
    public let upstreams: [Upstream]
    private let byName: [String: Upstream]

    public init(configs: [UpstreamConfig], logger: Logger, onEvent: @escaping @Sendable (String, UpstreamEvent) -> Void) {
        upstreams = configs.map { Upstream(config: $0, logger: logger, onEvent: onEvent) }
        byName = Dictionary(upstreams.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func upstream(named name: String) -> Upstream? { byName[name] }

    /// Runs every upstream until cancelled; children are stopped before this returns.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for upstream in upstreams {
                group.addTask { await upstream.run() }
            }
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
