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

    /// A loopback address (127.0.0.0/8, ::1, IPv4-mapped 127.x) or the name localhost.
    public static func isLoopback(_ ip: String) -> Bool {
        ip == "::1" || ip.hasPrefix("127.") || ip.hasPrefix("::ffff:127.") || ip == "localhost"
    }
}
