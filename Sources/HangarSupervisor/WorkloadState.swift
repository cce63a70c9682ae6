/// Where a workload is in its lifecycle, as `hangar ps` shows it.
public enum WorkloadState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Added, never started.
    case pending
    /// Launched (or launching), not yet ready to serve.
    case starting
    /// Ready and serving.
    case running
    /// Failed its health checks; being restarted.
    case unhealthy
    /// Crashed; waiting before the next restart.
    case backoff
    /// Asked to stop; waiting for the process to exit.
    case stopping
    /// Stopped by request (or exited where the policy says not to restart).
    case stopped
    /// Crashed too often (or exited under a never-restart policy); waits to be started by hand.
    case failed
    /// Its time to live ran out; can be restored.
    case expired

    /// A process exists (or is being launched) in this state.
    public var isActive: Bool {
        switch self {
        case .starting, .running, .unhealthy, .stopping: true
        case .pending, .backoff, .stopped, .failed, .expired: false
        }
    }
}

/// How a process ended.
public enum WorkloadExit: Sendable, Hashable, Codable, CustomStringConvertible {
    case exited(code: Int32)
    case killed(signal: Int32)

    /// Decodes the convention of `ChildProcess` (negative: the signal).
    public init(rawCode: Int32) {
        self = rawCode < 0 ? .killed(signal: -rawCode) : .exited(code: rawCode)
    }

    public var isSuccess: Bool { self == .exited(code: 0) }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .killed(let signal): "killed by signal \(signal)\(Self.signalNames[signal].map { " (\($0))" } ?? "")"
        }
    }

    private static let signalNames: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
        9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM",
    ]
}
