/// One wall of the sandbox; `hangar doctor` and `hangar ps` show which ones are up.
public enum SandboxLayer: String, Sendable, Hashable, CaseIterable, Comparable {
    /// bubblewrap: namespaces, read-only system, private /tmp, only the server folder writable.
    case bubblewrap
    /// A per-workload host uid through setpriv (needs root).
    case workloadUID
    /// rlimits: open files, file size, no core dumps.
    case rlimits
    case cgroupMemory
    case cgroupPids
    case cgroupCPU
    /// The seccomp filter (needs bubblewrap to install it).
    case seccomp
    /// Network namespace with only loopback, plus the egress proxy when domains are allowed.
    case network

    public static func < (a: SandboxLayer, b: SandboxLayer) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
