import Foundation

/// Puts a process on chosen CPUs, for the diagnostic pair's direct side: the upstream alone on
/// the CPUs that `hangar stdio --cpus 0 --upstream-cpus 1-` gives it.
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

    /// Every CPU but the first, which the diagnostic pair leaves to Hangar.
    static var otherCPUs: ClosedRange<Int> { 1...(cpuCount - 1) }

    /// ``otherCPUs`` as `--upstream-cpus` takes it.
    static var otherCPUList: String { "\(otherCPUs.lowerBound)-\(otherCPUs.upperBound)" }
}
