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

    /// The same test on a peer's address, read from its bytes: formatting it as text (through
    /// inet_ntop's sprintf) on every request cost more than the rest of the check.
    public static func isLoopback(_ address: SocketAddress?) -> Bool {
        switch address {
        case .v4(let v4)?:
            return UInt32(bigEndian: v4.address.sin_addr.s_addr) >> 24 == 127
        case .v6(let v6)?:
            return withUnsafeBytes(of: v6.address.sin6_addr) { b in
                let zeros = { (n: Int) in b.prefix(n).allSatisfy { $0 == 0 } }
                return (zeros(15) && b[15] == 1) || (zeros(10) && b[10] == 0xFF && b[11] == 0xFF && b[12] == 127)
            }
        default:
            return false
        }
    }
}
