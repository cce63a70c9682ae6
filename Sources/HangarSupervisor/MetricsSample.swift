import Foundation

/// One measurement of a running workload, for `hangar ps` and `hangar stats`.
public struct MetricsSample: Sendable, Hashable, Codable {
    public var time: Date
    /// CPU use since the previous sample, in percent of one core (200 = two cores busy).
    public var cpuPercent: Double
    /// Resident memory of the workload's processes.
    public var memoryBytes: Int
    /// Open file descriptors of the workload's processes.
    public var openFiles: Int
    /// Processes in the workload (the server and its descendants).
    public var processes: Int
    /// OOM kills so far, when the launcher accounts them (cgroups).
    public var oomKills: Int?

    public init(time: Date, cpuPercent: Double, memoryBytes: Int, openFiles: Int, processes: Int, oomKills: Int? = nil) {
        self.time = time
        self.cpuPercent = cpuPercent
        self.memoryBytes = memoryBytes
        self.openFiles = openFiles
        self.processes = processes
        self.oomKills = oomKills
    }
}
