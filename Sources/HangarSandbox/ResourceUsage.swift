import HangarCore

/// What a workload's cgroup reports; nil where the controller is not in use.
public struct ResourceUsage: Sendable, Hashable {
    /// Processes killed by the OOM killer inside the group.
    public var oomKills: UInt64?
    /// Times the memory limit was hit (v1 failcnt, v2 `max` events).
    public var memoryLimitHits: UInt64?
    public var memoryBytes: UInt64?
    public var memoryPeakBytes: UInt64?
    /// Forks refused by the pids limit.
    public var pidsLimitHits: UInt64?
    public var processes: UInt64?
    public var cpuMicroseconds: UInt64?
    /// Periods in which the CPU quota ran out, and the time spent waiting.
    public var throttledPeriods: UInt64?
    public var throttledMicroseconds: UInt64?

    public init() {}

    /// For `hangar ps --json` and metrics.
    public var json: JSONValue {
        var object = JSONObject()
        func put(_ key: String, _ value: UInt64?) { if let value { object[key] = .int(Int64(clamping: value)) } }
        put("oomKills", oomKills)
        put("memoryLimitHits", memoryLimitHits)
        put("memoryBytes", memoryBytes)
        put("memoryPeakBytes", memoryPeakBytes)
        put("pidsLimitHits", pidsLimitHits)
        put("processes", processes)
        put("cpuMicroseconds", cpuMicroseconds)
        put("throttledPeriods", throttledPeriods)
        put("throttledMicroseconds", throttledMicroseconds)
        return .object(object)
    }
}
