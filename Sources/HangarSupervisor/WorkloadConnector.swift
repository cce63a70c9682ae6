import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HangarCore

/// Decides when a launched workload is ready, and connects to it: the gateway's MCP client
/// takes its stdio and completes the handshake here. Called after every launch.
public protocol WorkloadConnector: Sendable {
    /// Returns once the workload is ready to serve; throwing (or running past the spec's start
    /// timeout) counts as a failed launch and the process is killed.
    func connect(_ target: WorkloadTarget) async throws
    /// The workload's process has exited (or failed to become ready); drop any connection to it.
    func disconnect(_ target: WorkloadTarget) async
}

/// The default readiness rule: a stdio workload is ready once started; an HTTP workload once its
/// port accepts a TCP connection on 127.0.0.1.
public struct PortReadiness: WorkloadConnector {
    /// Time between connection attempts to an HTTP workload's port.
    public var pollInterval: Duration

    public init(pollInterval: Duration = .milliseconds(50)) {
        self.pollInterval = pollInterval
    }

    public func connect(_ target: WorkloadTarget) async throws {
        guard let port = target.port else { return }
        while !Self.accepts(port: port) {
            try await Task.sleep(for: pollInterval)
        }
    }

    public func disconnect(_ target: WorkloadTarget) async {}

    /// One blocking connect to 127.0.0.1:`port` (loopback answers at once).
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
