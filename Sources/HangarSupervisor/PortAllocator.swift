import Foundation
import Synchronization

/// Hands out free loopback TCP ports for workloads that speak HTTP, and never the same port to
/// two live workloads.
final class PortAllocator: Sendable {
    private let inUse = Mutex(Set<Int>())

    /// A port that was free on 127.0.0.1 a moment ago and is not held by another workload.
    func allocate() throws(SupervisorError) -> Int {
        for _ in 0..<64 {
            let port = try Self.ephemeralPort()
            let fresh = inUse.withLock { $0.insert(port).inserted }
            if fresh { return port }
        }
        throw SupervisorError(.invalidState, "no free loopback port found")
    }

    func release(_ port: Int) {
        _ = inUse.withLock { $0.remove(port) }
    }

    var allocated: Set<Int> { inUse.withLock { $0 } }

    /// Binds port 0 on loopback and reads back what the kernel chose.
    private static func ephemeralPort() throws(SupervisorError) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SupervisorError(.invalidState, "cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw SupervisorError(.invalidState, "cannot bind a loopback port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
