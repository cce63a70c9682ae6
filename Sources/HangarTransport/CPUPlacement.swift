import Foundation

/// Where a child process's threads may run, within its CPUs (its own ``ProcessSpec/cpus``, else
/// ``CPUAffinity/childCPUs``, else every CPU Hangar could use when it started).
///
/// Servers get ``auto`` unless their config says otherwise: one CPU for a server that runs on
/// Python, anywhere for the rest. A Python MCP server hands every message between its event
/// loop and its I/O threads, under one interpreter lock; with those threads on different CPUs
/// each hand-off is a cross-CPU wake-up and a cache miss. With all of them on one CPU,
/// mcp-server-time answers 11–21 % more calls per second (README, "CPU placement"). A server
/// that can use several CPUs at once would lose them: a Go server sizes GOMAXPROCS from the
/// CPUs it starts with, and one doing 200 µs of work per call answered 42 % fewer calls with
/// 16 in flight on one CPU of two.
public enum CPUPlacement: String, Sendable, Hashable, CaseIterable, Codable {
    /// ``oneCPU`` for a server that runs on Python (``runsPython(_:)``), ``any`` otherwise.
    case auto
    /// All of the child's threads on one CPU of its list: the one the fewest running one-CPU
    /// children hold when it starts.
    case oneCPU = "one-cpu"
    /// Anywhere in its list.
    case any

    /// Reads `auto`, `one-cpu` or `any`.
    public init(parsing text: String) throws(CPUListError) {
        guard let placement = CPUPlacement(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw CPUListError("'\(text)' is not a placement: auto, one-cpu or any")
        }
        self = placement
    }

    /// ``auto`` made definite for a server started as `executable` (a resolved path).
    public func resolved(executable: String) -> CPUPlacement {
        guard self == .auto else { return self }
        return Self.runsPython(executable) ? .oneCPU : .any
    }

    /// Whether `executable` runs a Python program: an interpreter (`python`, `python3.12`), a
    /// launcher that starts one (`uv`, `uvx`, `pipx`), or a script whose `#!` line names one
    /// (a console script in a venv, as `pip` and Hangar's PyPI installs write them).
    public static func runsPython(_ executable: String) -> Bool {
        if startsPython(executable.split(separator: "/").last ?? "") { return true }
        let fd = open(executable, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &head, head.count)
        guard n > 2, head[0] == UInt8(ascii: "#"), head[1] == UInt8(ascii: "!") else { return false }
        let line = head[2..<n].prefix { $0 != UInt8(ascii: "\n") }
        // `#!/venv/bin/python`, `#!/usr/bin/env python3`, `#!/usr/bin/env -S uv run --script`
        return String(decoding: line, as: UTF8.self).split(separator: " ").contains { startsPython($0.split(separator: "/").last ?? "") }
    }

    private static func startsPython(_ name: Substring) -> Bool {
        if name == "uv" || name == "uvx" || name == "pipx" { return true }
        return name.hasPrefix("python") && name.dropFirst(6).allSatisfy { $0.isNumber || $0 == "." }
    }
}

/// Which CPUs one-CPU children hold, so that each new one goes where the fewest are.
public struct CPUClaims: Sendable {
    private var counts: [Int: Int] = [:]
    /// Where the next search starts, so that ties go round the list instead of piling onto
    /// its first CPU (a server restarted on a quiet machine moves on).
    private var next = 0

    public init() {}

    /// Of `cpus`, the CPU the fewest claims hold, now held by one more; nil for no CPUs. Each
    /// claim is given back with ``release(_:)`` when its child ends.
    public mutating func claim(among cpus: [Int]) -> Int? {
        guard !cpus.isEmpty else { return nil }
        var best = 0, bestCount = Int.max
        for step in 0..<cpus.count {
            let i = (next + step) % cpus.count
            let count = counts[cpus[i], default: 0]
            if count < bestCount { (best, bestCount) = (i, count) }
        }
        next = best + 1
        counts[cpus[best], default: 0] += 1
        return cpus[best]
    }

    /// Counts each of `cpus` as held once more for good: the CPUs Hangar's own threads are
    /// pinned to, so that a server shares them only when every other CPU holds as many.
    public mutating func reserve(_ cpus: [Int]) {
        for cpu in Set(cpus) { counts[cpu, default: 0] += 1 }
    }

    /// Gives back one claim on `cpu`.
    public mutating func release(_ cpu: Int) {
        if let count = counts[cpu] { counts[cpu] = count > 1 ? count - 1 : nil }
    }

    /// How many claims (and reservations) hold `cpu`.
    public func holders(of cpu: Int) -> Int { counts[cpu, default: 0] }
}
