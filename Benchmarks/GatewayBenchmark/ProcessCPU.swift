#if canImport(Glibc)
import Glibc
#endif

/// CPU time a process used (user + system, every thread, finished ones too) over some calls:
/// how much of a core Hangar spends on each call. With a slow upstream the event loop sleeps
/// between calls and wakes with cold caches, so the same work costs more per call.
struct CPUShare: Sendable {
    var microseconds = 0
    var calls = 0

    var perCall: Double? { calls > 0 ? Double(microseconds) / Double(calls) : nil }

    /// Runs `body` (which makes `calls` calls) and adds what `pid` used meanwhile; with no
    /// pid (a direct path) it only runs `body`.
    mutating func measure<T>(_ pid: pid_t?, calls: Int, _ body: () async throws -> T) async rethrows -> T {
        guard let pid, let before = Self.microseconds(of: pid) else { return try await body() }
        let value = try await body()
        if let after = Self.microseconds(of: pid) {
            microseconds += after - before
            self.calls += calls
        }
        return value
    }

    /// utime + stime of `/proc/PID/stat`, in microseconds (the kernel counts clock ticks).
    static func microseconds(of pid: pid_t) -> Int? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        // Fields after the command name, which is in parentheses and may hold spaces.
        guard let close = buffer[..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 2)..<n].split(separator: UInt8(ascii: " "))
        // utime and stime are fields 14 and 15; the rest starts at field 3.
        guard fields.count > 12, let user = Int(String(decoding: fields[11], as: UTF8.self)),
              let system = Int(String(decoding: fields[12], as: UTF8.self)) else { return nil }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return (user + system) * 1_000_000 / (ticks > 0 ? ticks : 100)
    }
}
