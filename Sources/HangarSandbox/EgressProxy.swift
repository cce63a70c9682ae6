import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The only way out of a sandbox whose network is `.allowDomains`: an HTTP proxy (CONNECT
/// tunnels and plain absolute-URI requests) that resolves names itself and connects only to
/// allowlisted domains. Everything else is answered 403, logged and counted.
public final class EgressProxy: Sendable {
    /// What the proxy did so far.
    public struct Statistics: Sendable, Hashable {
        public var allowed = 0
        public var denied = 0
        /// Allowed requests whose upstream could not be reached (answered 502).
        public var failed = 0
        /// Malformed requests (answered 400).
        public var malformed = 0
        /// The most recent denied hosts, newest last (at most 32).
        public var recentDenials: [String] = []
    }

    public let allowlist: DomainAllowlist
    let workloadID: String
    let logger: Logger
    let group: any EventLoopGroup
    private let statistics = Mutex(Statistics())
    private let listeners = Mutex<[any Channel]>([])

    public init(allowlist: DomainAllowlist, workloadID: String, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.allowlist = allowlist
        self.workloadID = workloadID
        self.logger = logger
        self.group = group
    }

    public var stats: Statistics { statistics.withLock { $0 } }

    /// Serves on an already bound (or listening) TCP socket, e.g. one made inside a
    /// sandbox's network namespace. The proxy owns the descriptor from now on.
    public func serve(boundSocket fd: Int32) async throws {
        let channel = try await bootstrap().withBoundSocket(fd).get()
        listeners.withLock { $0.append(channel) }
    }

    /// Serves on a new TCP listener; returns the port (0 picks a free one).
    public func serve(host: String, port: Int) async throws -> Int {
        let channel = try await bootstrap().bind(host: host, port: port).get()
        listeners.withLock { $0.append(channel) }
        return channel.localAddress?.port ?? port
    }

    /// Stops accepting; open tunnels end when either side closes.
    public func close() async {
        let channels = listeners.withLock { all in
            defer { all = [] }
            return all
        }
        for channel in channels { try? await channel.close() }
    }

    private func bootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProxyRequestHandler(proxy: self))
                }
            }
    }

    // MARK: decisions (called from the handlers)

    enum Decision: Sendable, Equatable { case allow, deny }

    func decide(_ head: ProxyRequestHead) -> Decision {
        if allowlist.allows(head.host) {
            statistics.withLock { $0.allowed += 1 }
            logger.debug("egress allowed", metadata: meta(head))
            return .allow
        }
        statistics.withLock { s in
            s.denied += 1
            s.recentDenials.append(head.host)
            if s.recentDenials.count > 32 { s.recentDenials.removeFirst() }
        }
        logger.warning("egress denied: host not in the allowlist", metadata: meta(head))
        return .deny
    }

    func recordFailure(_ head: ProxyRequestHead, _ error: any Error) {
        statistics.withLock { $0.failed += 1 }
        var metadata = meta(head)
        metadata["hangar.error"] = "\(error)"
        logger.notice("egress upstream unreachable", metadata: metadata)
    }

    func recordMalformed(_ reason: String) {
        statistics.withLock { $0.malformed += 1 }
        logger.notice("egress request malformed", metadata: ["hangar.workload": "\(workloadID)", "hangar.reason": "\(reason)"])
    }

    private func meta(_ head: ProxyRequestHead) -> Logger.Metadata {
        ["hangar.workload": "\(workloadID)", "hangar.egress.host": "\(head.host)", "hangar.egress.port": "\(head.port)",
         "hangar.egress.kind": "\(head.kind == .tunnel ? "connect" : "http")"]
    }
}
