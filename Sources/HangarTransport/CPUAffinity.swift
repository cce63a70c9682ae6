import CHangarSystem
import Foundation
import Synchronization

/// Which CPUs Hangar's own threads and the processes it starts run on: `gateway.cpus` and
/// `gateway.upstreamCPUs` (or `--cpus`, `--upstream-cpus`). Both are opt-in; by default every
/// thread and child may run anywhere this process may, except that the threads of each server
/// that runs on Python are kept together on one CPU (``CPUPlacement``, `gateway.placement`).
///
/// Why one would: between two calls to a Python upstream on a shared CPU, the upstream's
/// work evicts Hangar's code and data from that CPU's caches, so each proxied call runs cold.
/// With Hangar on CPUs of its own and the upstreams on the others it stays warm (figures in
/// the README, "CPU placement"). It is not the default because the upstreams then share fewer CPUs.
public enum CPUAffinity {
    /// The CPUs this process could use when it started, before any pinning: what children get
    /// when the daemon has pinned itself and no CPUs are named for them.
    public static let available: [Int] = (try? current()) ?? []

    /// glibc's CPU_SETSIZE: the size of the masks `hangar_get_affinity` and
    /// `hangar_set_affinity` use, so no CPU at or past it can be named or used.
    static let maxCPUs = 1024

    private static let childDefault = Mutex<[Int]?>(nil)

    /// The CPUs a child is started on when its ``ProcessSpec`` names none; nil: the spawning
    /// thread's own (Linux's default).
    public static var childCPUs: [Int]? {
        get { childDefault.withLock { $0 } }
        set { childDefault.withLock { $0 = newValue } }
    }

    private static let serverDefault = Mutex(CPUPlacement.auto)

    /// How a server Hangar starts is placed when its config says nothing (`gateway.placement`,
    /// `--placement`): ``CPUPlacement/auto`` by default.
    public static var serverPlacement: CPUPlacement {
        get { serverDefault.withLock { $0 } }
        set { serverDefault.withLock { $0 = newValue } }
    }

    /// The CPUs the running one-CPU children of this process hold.
    private static let held = Mutex(CPUClaims())

    static func claim(among cpus: [Int]) -> Int? { held.withLock { $0.claim(among: cpus) } }
    static func release(_ cpu: Int) { held.withLock { $0.release(cpu) } }
    /// How many running one-CPU children of this process hold `cpu`.
    public static func holders(of cpu: Int) -> Int { held.withLock { $0.holders(of: cpu) } }

    /// The CPUs thread `thread` (0: the calling one) may run on, in ascending order.
    public static func current(thread: pid_t = 0) throws(CPUListError) -> [Int] {
        var cpus = [Int32](repeating: 0, count: maxCPUs)
        let n = hangar_get_affinity(thread, &cpus, Int32(cpus.count))
        guard n >= 0 else { throw CPUListError("cannot read the CPU affinity: errno \(-n)") }
        return cpus.prefix(Int(n)).map(Int.init)
    }

    /// Pins every thread of this process to `cpus` (threads started later inherit it). Children
    /// started afterwards keep ``available`` unless ``childCPUs`` names others.
    public static func pinProcess(to cpus: [Int]) throws(CPUListError) {
        let everything = available  // read before pinning
        if childCPUs == nil { childCPUs = everything }
        held.withLock { $0.reserve(cpus) }  // a one-CPU server goes elsewhere first
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? ["0"]
        let list = cpus.map(Int32.init)
        for task in tasks {
            guard let tid = pid_t(task) else { continue }
            let err = hangar_set_affinity(tid, list, Int32(list.count))
            // A thread that ended meanwhile (ESRCH) needs nothing.
            if err != 0, err != ESRCH { throw CPUListError("cannot run on CPUs \(format(cpus)): errno \(err)") }
        }
    }

    /// A CPU list as Linux writes it: `0-3,6`. Also takes one number, or several separated by
    /// commas; ranges are inclusive. Every CPU must be one this process may use.
    public static func parse(_ text: String) throws(CPUListError) -> [Int] {
        var cpus = Set<Int>()
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw CPUListError("an empty CPU list") }
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), low >= 0 else {
                throw CPUListError("'\(text)' is not a CPU list such as 0-3,6")
            }
            let high = bounds.count == 2 ? Int(bounds[1]) : low
            guard let high, high >= low else { throw CPUListError("'\(text)' is not a CPU list such as 0-3,6 (a range goes up)") }
            guard high < maxCPUs else { throw notUsable(high) }
            cpus.formUnion(low...high)
        }
        let sorted = cpus.sorted()
        let usable = Set(available)
        if !usable.isEmpty, let missing = sorted.first(where: { !usable.contains($0) }) { throw notUsable(missing) }
        return sorted
    }

    private static func notUsable(_ cpu: Int) -> CPUListError {
        CPUListError("CPU \(cpu) is not one this process may use (\(format(available)))")
    }

    /// `cpus` (ascending) as Linux writes a list: `0-3,6`.
    public static func format(_ cpus: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count, cpus[j + 1] == cpus[j] + 1 { j += 1 }
            parts.append(i == j ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

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

/// A CPU list that cannot be used; the message says why.
public struct CPUListError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
