import Foundation

/// A workload as `hangar ps` shows it, at one moment. Carries no command line or environment
/// (they may hold secrets).
public struct WorkloadSnapshot: Sendable, Hashable, Codable {
    public var name: String
    public var state: WorkloadState
    public var pid: Int32?
    /// When the current process was launched.
    public var startedAt: Date?
    /// Seconds since `startedAt`, while a process runs.
    public var uptime: Double?
    public var restarts: Int
    public var lastExit: WorkloadExit?
    public var lastError: String?
    /// Latest sample while a process runs.
    public var cpuPercent: Double?
    public var memoryBytes: Int?
    public var openFiles: Int?
    public var oomKills: Int?
    /// How the process is confined, as the launcher describes it.
    public var isolation: String?
    /// The CPUs its process may run on, as Linux lists them, while it runs: one number when it
    /// is kept on one CPU (``CPUPlacement``).
    public var cpus: String?
    /// The loopback port in `PORT`, for an HTTP workload that runs.
    public var port: Int?
    /// When the instance expires (or expired), if it has a time to live.
    public var expiresAt: Date?
    /// A problem writing the log file, if any.
    public var logError: String?
}

/// Something that happened to a workload, for the events API and the dashboard.
public struct WorkloadEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case added
        case removed
        case stateChanged(from: WorkloadState, to: WorkloadState)
        /// Started again after a crash, failed health checks or a restart request.
        case restarted(total: Int)
    }
    public var name: String
    public var kind: Kind
    public var time: Date
    /// The workload's last error when the event happened (why it crashed or failed).
    public var detail: String?
}
