import Foundation

/// Judges whether a running workload is healthy; asked every `HealthPolicy.interval`.
/// The gateway plugs in an MCP ping; the default only asks whether the process is alive.
public protocol HealthCheck: Sendable {
    func check(_ target: WorkloadTarget) async -> Bool
}

/// A running workload as health checks and connectors see it.
public struct WorkloadTarget: Sendable {
    public let spec: WorkloadSpec
    public let process: any LaunchedWorkload
    /// The loopback port given in `PORT`, for a workload that needs one.
    public let port: Int?

    public var name: String { spec.name }

    public init(spec: WorkloadSpec, process: any LaunchedWorkload, port: Int?) {
        self.spec = spec
        self.process = process
        self.port = port
    }
}

/// Healthy while the process exists.
public struct ProcessAliveCheck: HealthCheck {
    public init() {}

    public func check(_ target: WorkloadTarget) async -> Bool {
        kill(target.process.pid, 0) == 0
    }
}
