/// Starts a workload's process. The plain `ProcessLauncher` runs it directly; the sandbox
/// launcher wraps it in its isolation layers. The supervisor passes a spec whose environment
/// already holds `PORT` when the workload needs one.
public protocol WorkloadLauncher: Sendable {
    func launch(_ spec: WorkloadSpec) async throws -> any LaunchedWorkload
}

/// One running process of a workload, as the launcher started it.
public protocol LaunchedWorkload: Sendable {
    /// The process the supervisor watches (the process-group leader).
    var pid: Int32 { get }
    /// One line saying how the process is confined, for `hangar ps` and `hangar doctor`.
    var isolation: String { get }
    /// The server's stderr, line by line; finishes when the pipe closes.
    var stderrLines: AsyncStream<String> { get }
    /// Hands over the process's stdin (write end) and stdout (read end), once: the caller then
    /// owns and closes them. Nil if already taken. Untaken descriptors are closed by `cleanup()`.
    func takeStdio() -> WorkloadStdio?
    /// Waits for the process to exit. Returns nil, without waiting, if the calling task is cancelled.
    func waitForExit() async -> WorkloadExit?
    /// SIGTERM, then SIGKILL after `grace`, to the whole process group; whatever the leader left
    /// behind in its group is killed too. Completes the grace period even if the caller is cancelled.
    func terminate(grace: Duration) async
    /// Releases what the launch set up (descriptors, cgroups, folders) after the process has exited.
    func cleanup() async
    /// Resource figures the launcher knows better than /proc (cgroup memory, OOM kills); nil if none.
    func resourceUsage() async -> LauncherResourceUsage?
    /// Where the host reaches the workload's `PORT` (the sandbox's network is its own, so a
    /// bridge on another loopback port leads in); nil: at `PORT` itself.
    var reachablePort: Int? { get }
    /// What the workload's egress proxy allowed and denied so far; nil without one.
    var egressCounts: EgressCounts? { get }
}

/// Requests through a workload's egress proxy.
public struct EgressCounts: Sendable, Hashable {
    public var allowed: Int
    public var denied: Int
    public init(allowed: Int, denied: Int) {
        self.allowed = allowed
        self.denied = denied
    }
}

extension LaunchedWorkload {
    public func resourceUsage() async -> LauncherResourceUsage? { nil }
    public var reachablePort: Int? { nil }
    public var egressCounts: EgressCounts? { nil }
}

/// The pipes an MCP client talks to a stdio server over.
public struct WorkloadStdio: Sendable, Hashable {
    /// Write end of the server's stdin.
    public var stdin: Int32
    /// Read end of the server's stdout.
    public var stdout: Int32

    public init(stdin: Int32, stdout: Int32) {
        self.stdin = stdin
        self.stdout = stdout
    }
}

/// Figures a launcher reports from its own accounting (e.g. a cgroup); nil fields fall back to /proc.
public struct LauncherResourceUsage: Sendable, Hashable {
    /// CPU time used by the whole workload so far.
    public var cpuTime: Duration?
    public var memoryBytes: Int?
    /// Processes the kernel killed because the workload ran out of memory.
    public var oomKills: Int?

    public init(cpuTime: Duration? = nil, memoryBytes: Int? = nil, oomKills: Int? = nil) {
        self.cpuTime = cpuTime
        self.memoryBytes = memoryBytes
        self.oomKills = oomKills
    }
}
