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

/// A CPU list that cannot be used; the message says why.
public struct CPUListError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
