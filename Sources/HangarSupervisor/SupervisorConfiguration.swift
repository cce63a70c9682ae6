/// Settings of a `Supervisor`, with defaults fit for a daemon.
public struct SupervisorConfiguration: Sendable, Hashable {
    /// Logs go to `<dataDirectory>/logs/<name>.log`; nil keeps them in memory only.
    public var dataDirectory: String?
    /// Lines of each workload's stderr kept in memory for `hangar logs`.
    public var logLines: Int
    /// Bytes of each workload's stderr kept in memory.
    public var logBytes: Int
    /// Size at which a log file is rotated.
    public var logFileBytes: Int
    /// Rotated files kept per workload (`.1` ... `.N`).
    public var logFiles: Int
    /// Time between resource samples.
    public var sampleInterval: Duration
    /// Samples kept per workload for `hangar stats`.
    public var sampleHistory: Int
    /// Longest grace a child gets when the supervisor itself stops.
    public var shutdownGrace: Duration
    /// How long the end of a crashed process's stderr is awaited before its log is closed.
    public var stderrDrainTimeout: Duration

    public init(
        dataDirectory: String? = nil, logLines: Int = 1000, logBytes: Int = 1 << 20, logFileBytes: Int = 10 << 20,
        logFiles: Int = 3, sampleInterval: Duration = .seconds(2), sampleHistory: Int = 300,
        shutdownGrace: Duration = .seconds(5), stderrDrainTimeout: Duration = .seconds(1)
    ) {
        self.dataDirectory = dataDirectory
        self.logLines = logLines
        self.logBytes = logBytes
        self.logFileBytes = logFileBytes
        self.logFiles = logFiles
        self.sampleInterval = sampleInterval
        self.sampleHistory = sampleHistory
        self.shutdownGrace = shutdownGrace
        self.stderrDrainTimeout = stderrDrainTimeout
    }
}
