import Foundation

/// The CPUs of the diagnostic pair: the upstream alone on the CPUs that
/// `hangar stdio --cpus 0 --upstream-cpus 1-` gives it.
enum ApartCPUs {
    static var cpuCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Every CPU but the first, which the diagnostic pair leaves to Hangar.
    static var otherCPUs: ClosedRange<Int> { 1...(cpuCount - 1) }

    /// ``otherCPUs`` as `--upstream-cpus` takes it.
    static var otherCPUList: String { "\(otherCPUs.lowerBound)-\(otherCPUs.upperBound)" }
}
