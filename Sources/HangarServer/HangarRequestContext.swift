import Hummingbird
import NIOCore

/// Hummingbird's per-request context plus the client's address (for `--auth local` and the
/// failed-authentication throttle).
public struct HangarRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.
    public var isLoopback: Bool {
        guard let ip = remoteAddress?.ipAddress else { return false }
        return Self.isLoopback(ip)
    }

    /// A loopback address (127.0.0.0/8, ::1, IPv4-mapped 127.x) or the name localhost.
    public static func isLoopback(_ ip: String) -> Bool {
        ip == "::1" || ip.hasPrefix("127.") || ip.hasPrefix("::ffff:127.") || ip == "localhost"
    }
}
