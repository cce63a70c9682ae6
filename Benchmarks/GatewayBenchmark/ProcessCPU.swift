#if canImport(Glibc)
import Glibc
#endif
import HangarSupervisor

/// CPU time a process used (user + system, every thread) over some calls: how much of a core
/// Hangar spends on each call. With a slow upstream the event loop sleeps between calls and
/// wakes with cold caches, so the same work costs more per call.
struct CPUShare: Sendable {
    var time = Duration.zero
    var calls = 0

    /// Microseconds per call.
    var perCall: Double? { calls > 0 ? time.seconds * 1e6 / Double(calls) : nil }

    /// Runs `body` (which makes `calls` calls) and adds what `pid` used meanwhile; with no
    /// pid (a direct path) it only runs `body`.
    mutating func measure<T>(_ pid: pid_t?, calls: Int, _ body: () async throws -> T) async rethrows -> T {
        guard let pid, let before = ProcessTable.cpuTime(of: pid) else { return try await body() }
        let value = try await body()
        if let after = ProcessTable.cpuTime(of: pid) {
            time += after - before
            self.calls += calls
        }
        return value
    }
}

/// The CPU of a path's front (Hangar, or the relay) and of the upstream behind it, over the
/// same calls. The upstream's share shows what sharing the machine with a front costs the
/// server itself: its caches and CPUs are the front's too.
struct PathCPU: Sendable {
    var front = CPUShare()
    var upstream = CPUShare()

    mutating func measure<T>(front frontPID: pid_t?, upstream upstreamPID: pid_t?, calls: Int,
                             _ body: () async throws -> T) async rethrows -> T {
        var (f, u) = (front, upstream)
        defer { (front, upstream) = (f, u) }
        return try await u.measure(upstreamPID, calls: calls) { try await f.measure(frontPID, calls: calls, body) }
    }
}

/// CPU time (user + system) of the calling thread so far: what a client thread spends on its
/// own side of the calls it makes.
func threadCPUTime() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
}
