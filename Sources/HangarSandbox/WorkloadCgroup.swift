import Foundation

/// The cgroup folders of one running workload: created with its limits before the spawn,
/// joined by the child before exec, read for usage, emptied with SIGKILL on stop, removed
/// on clean-up.
public struct WorkloadCgroup: Sendable, Hashable {
    public let version: CgroupHierarchy.Version
    /// The folder per controller in use.
    public let directories: [CgroupHierarchy.Controller: String]

    /// The `cgroup.procs` files the child must write its pid into (each folder once).
    public var procFiles: [String] { Set(directories.values).sorted().map { $0 + "/cgroup.procs" } }

    /// Creates `name` under each usable controller and writes the limits. Controllers without
    /// a limit are still created on v1 for memory and pids (to read usage and kill by group).
    static func create(
        name: String, hierarchy: CgroupHierarchy, usable: Set<CgroupHierarchy.Controller>, limits: ResourceLimits
    ) throws -> WorkloadCgroup {
        var directories: [CgroupHierarchy.Controller: String] = [:]
        var created: [String] = []
        func fail(_ message: String, _ detail: String) -> SandboxError {
            for dir in created.reversed() { rmdir(dir) }
            return SandboxError(.cgroup, message, detail: detail)
        }
        for controller in CgroupHierarchy.Controller.allCases.filter(usable.contains) {
            guard let base = hierarchy.bases[controller] else { continue }
            let dir = base + "/" + name
            if !created.contains(dir) {
                guard mkdir(dir, 0o755) == 0 else {
                    throw fail("cannot create the workload's cgroup", "\(dir): \(String(cString: strerror(errno)))")
                }
                created.append(dir)
            }
            directories[controller] = dir
        }
        let group = WorkloadCgroup(version: hierarchy.version, directories: directories)
        do {
            try group.apply(limits)
        } catch let error as SandboxError {
            for dir in created.reversed() { rmdir(dir) }
            throw error
        }
        return group
    }

    private func set(_ controller: CgroupHierarchy.Controller, _ file: String, _ value: String) throws {
        guard let dir = directories[controller] else { return }
        if let err = CgroupFile.write(value, to: dir + "/" + file) {
            throw SandboxError(.cgroup, "cannot set a cgroup limit", detail: "\(dir)/\(file) = \(value): \(err)")
        }
    }

    private func apply(_ limits: ResourceLimits) throws {
        switch version {
        case .v1:
            if let memory = limits.memoryBytes {
                try set(.memory, "memory.limit_in_bytes", String(memory))
                // Without swap accounting the file is missing; the plain limit still holds RAM.
                if let dir = directories[.memory], FileManager.default.fileExists(atPath: dir + "/memory.memsw.limit_in_bytes") {
                    try set(.memory, "memory.memsw.limit_in_bytes", String(memory))
                }
            }
            if let n = limits.maxProcesses { try set(.pids, "pids.max", String(n)) }
            if let cores = limits.cpuCores {
                try set(.cpu, "cpu.cfs_period_us", "100000")
                try set(.cpu, "cpu.cfs_quota_us", String(max(1000, Int((cores * 100_000).rounded()))))
            }
        case .v2:
            if let memory = limits.memoryBytes {
                try set(.memory, "memory.max", String(memory))
                if let dir = directories[.memory], FileManager.default.fileExists(atPath: dir + "/memory.swap.max") {
                    try set(.memory, "memory.swap.max", "0")
                }
            }
            if let n = limits.maxProcesses { try set(.pids, "pids.max", String(n)) }
            if let cores = limits.cpuCores {
                try set(.cpu, "cpu.max", "\(max(1000, Int((cores * 100_000).rounded()))) 100000")
            }
        }
    }

    /// Live pids in the group (the union over controllers on v1).
    public func processes() -> [pid_t] {
        var all = Set<pid_t>()
        for dir in Set(directories.values) { all.formUnion(CgroupFile.pids(dir + "/cgroup.procs")) }
        return all.sorted()
    }

    /// What the group used and ran into so far.
    public func usage() -> ResourceUsage {
        var usage = ResourceUsage()
        if let dir = directories[.memory] {
            switch version {
            case .v1:
                usage.oomKills = CgroupFile.keyed(dir + "/memory.oom_control")["oom_kill"]
                usage.memoryBytes = CgroupFile.number(dir + "/memory.usage_in_bytes")
                usage.memoryPeakBytes = CgroupFile.number(dir + "/memory.max_usage_in_bytes")
                usage.memoryLimitHits = CgroupFile.number(dir + "/memory.failcnt")
            case .v2:
                let events = CgroupFile.keyed(dir + "/memory.events")
                usage.oomKills = events["oom_kill"]
                usage.memoryLimitHits = events["max"]
                usage.memoryBytes = CgroupFile.number(dir + "/memory.current")
                usage.memoryPeakBytes = CgroupFile.number(dir + "/memory.peak")
            }
        }
        if let dir = directories[.pids] {
            usage.processes = CgroupFile.number(dir + "/pids.current")
            usage.pidsLimitHits = CgroupFile.keyed(dir + "/pids.events")["max"]
        }
        if let dir = directories[.cpu] {
            let stat = CgroupFile.keyed(dir + "/cpu.stat")
            usage.throttledPeriods = stat["nr_throttled"]
            switch version {
            case .v1: usage.throttledMicroseconds = stat["throttled_time"].map { $0 / 1000 }
            case .v2:
                usage.throttledMicroseconds = stat["throttled_usec"]
                usage.cpuMicroseconds = stat["usage_usec"]
            }
            if version == .v1 {
                usage.cpuMicroseconds = CgroupFile.number(dir + "/cpuacct.usage").map { $0 / 1000 }
            }
        }
        return usage
    }

    /// SIGKILLs everything in the group: `cgroup.kill` on v2, else rounds over `cgroup.procs`
    /// until it stays empty (a forking process cannot outrun it for long under a pids limit).
    public func killAll() {
        if version == .v2, let dir = directories.values.first,
           CgroupFile.write("1", to: dir + "/cgroup.kill") == nil {
            return
        }
        for _ in 0..<64 {
            let pids = processes()
            if pids.isEmpty { return }
            for pid in pids { kill(pid, SIGKILL) }
        }
    }

    /// Kills what is left, waits (at most `timeout`) until the group is empty, then removes
    /// the folders. Throws when a folder could not be removed.
    public func remove(timeout: Duration = .seconds(5)) async throws {
        let clock = ContinuousClock(), deadline = clock.now + timeout
        killAll()
        while clock.now < deadline {
            let left = processes()
            if left.isEmpty { break }
            killAll()
            _ = await ProcessExitWatch.waitForExit(of: left, timeout: clock.now.duration(to: deadline))
        }
        var failures: [String] = []
        for dir in Set(directories.values).sorted() {
            while rmdir(dir) != 0 {
                if errno == ENOENT { break }
                if errno == EBUSY, clock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(10))
                    continue
                }
                failures.append("\(dir): \(String(cString: strerror(errno)))")
                break
            }
        }
        if !failures.isEmpty {
            throw SandboxError(.cgroup, "cannot remove the workload's cgroup", detail: failures.joined(separator: "; "))
        }
    }
}
