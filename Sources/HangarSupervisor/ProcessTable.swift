import Foundation
import HangarCore
#if canImport(Glibc)
import Glibc
#endif

/// One reading of /proc: every process's parent, CPU time and resident memory, so a workload is
/// measured with all its descendants (a sandbox's server runs below its launcher).
public struct ProcessTable: Sendable {
    struct Entry: Sendable, Hashable {
        var parent: Int32
        /// utime + stime of the process plus those of its reaped children, in clock ticks.
        var cpuTicks: Int
        var rssPages: Int
    }

    /// What a process and its descendants use.
    struct Usage: Sendable, Hashable {
        var cpuTime: Duration
        var rssBytes: Int
        var openFiles: Int
        var processes: Int
    }

    static let ticksPerSecond = max(Int(sysconf(Int32(_SC_CLK_TCK))), 1)
    static let pageSize = max(Int(sysconf(Int32(_SC_PAGESIZE))), 1)

    let entries: [Int32: Entry]
    /// Children of each process, built once per reading.
    private let children: [Int32: [Int32]]

    init(entries: [Int32: Entry]) {
        self.entries = entries
        var children: [Int32: [Int32]] = [:]
        for (pid, entry) in entries { children[entry.parent, default: []].append(pid) }
        self.children = children
    }

    /// Reads /proc/[pid]/stat for every process.
    static func read(procRoot: String = "/proc") -> ProcessTable {
        var entries: [Int32: Entry] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? [] {
            guard let pid = Int32(name), let text = ProcFile.read("\(procRoot)/\(name)/stat"),
                  let entry = parseStat(text) else { continue }
            entries[pid] = entry
        }
        return ProcessTable(entries: entries)
    }

    /// Parses one /proc/[pid]/stat line; the command name may contain spaces and parentheses,
    /// so fields are counted from the last ')'.
    static func parseStat(_ text: String) -> Entry? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state): field N is fields[N - 3].
        guard fields.count > 21, let parent = Int32(fields[1]), let utime = Int(fields[11]), let stime = Int(fields[12]),
              let cutime = Int(fields[13]), let cstime = Int(fields[14]), let rss = Int(fields[21]) else { return nil }
        return Entry(parent: parent, cpuTicks: utime + stime + cutime + cstime, rssPages: max(rss, 0))
    }

    /// Every process below `pid` (children, their children, ...), from one reading of /proc.
    public static func processes(below pid: Int32, procRoot: String = "/proc") -> [Int32] {
        Array(read(procRoot: procRoot).descendants(of: pid).dropFirst())
    }

    /// CPU time of one process (every thread, and children it has reaped); nil if it is gone.
    /// Reads only that process's stat file.
    public static func cpuTime(of pid: Int32, procRoot: String = "/proc") -> Duration? {
        guard let text = ProcFile.read("\(procRoot)/\(pid)/stat"), let entry = parseStat(text) else { return nil }
        return duration(ticks: entry.cpuTicks)
    }

    static func duration(ticks: Int) -> Duration {
        .nanoseconds(Int64(ticks) * 1_000_000_000 / Int64(ticksPerSecond))
    }

    /// `root` and every process below it, or empty if `root` is gone.
    func descendants(of root: Int32) -> [Int32] {
        guard entries[root] != nil else { return [] }
        var result: [Int32] = []
        var queue = [root]
        var seen: Set<Int32> = []
        while let pid = queue.popLast() {
            guard seen.insert(pid).inserted else { continue }
            result.append(pid)
            queue += children[pid] ?? []
        }
        return result
    }

    /// CPU time, memory and open descriptors of `root` and its descendants; nil if `root` is gone.
    func usage(of root: Int32, procRoot: String = "/proc") -> Usage? {
        let members = descendants(of: root)
        guard !members.isEmpty else { return nil }
        var ticks = 0, pages = 0, files = 0
        for pid in members {
            guard let entry = entries[pid] else { continue }
            ticks += entry.cpuTicks
            pages += entry.rssPages
            files += ((try? FileManager.default.contentsOfDirectory(atPath: "\(procRoot)/\(pid)/fd")) ?? []).count
        }
        return Usage(cpuTime: Self.duration(ticks: ticks), rssBytes: pages * Self.pageSize, openFiles: files, processes: members.count)
    }
}
