import Foundation
import HangarSupervisor

/// Puts a process on chosen CPUs, for the diagnostic path that runs Hangar and its upstream
/// on different CPUs: it shows how much of the sequential shortfall is the two sharing one.
enum CPUPlacement {
    static var cpuCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Pins every thread of `pid` to `cpus`; threads it starts later inherit the mask.
    /// (`taskset`, from util-linux: glibc's `sched_setaffinity` is not visible to Swift.)
    static func pin(_ pid: pid_t, to cpus: ClosedRange<Int>) throws(BenchmarkError) {
        let taskset = Process()
        taskset.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        taskset.arguments = ["--all-tasks", "--pid", "--cpu-list", "\(cpus.lowerBound)-\(cpus.upperBound)", String(pid)]
        taskset.standardOutput = FileHandle.nullDevice
        do {
            try taskset.run()
        } catch {
            throw BenchmarkError("cannot run taskset: \(error)")
        }
        taskset.waitUntilExit()
        guard taskset.terminationStatus == 0 else { throw BenchmarkError("taskset could not move process \(pid)") }
    }

    /// Every CPU but the first, where `separate` puts Hangar.
    static var otherCPUs: ClosedRange<Int> { 1...(cpuCount - 1) }

    /// Hangar (`pid`) on CPU 0 and every process below it on the other CPUs.
    static func separate(hangar pid: pid_t) throws(BenchmarkError) {
        let below = ProcessTable.processes(below: pid)
        guard !below.isEmpty else { throw BenchmarkError("hangar \(pid) has no upstream process to move") }
        try pin(pid, to: 0...0)
        for process in below { try pin(process, to: otherCPUs) }
    }
}
