#if canImport(Glibc)
import Glibc
#endif

/// Gives back pages the daemon no longer uses.
///
/// Start-up runs code that a serving daemon never runs again: argument and config parsing,
/// store migrations, the built-in catalog's import, the sandbox probe, the upstream
/// handshakes. The kernel keeps every page of the binary and of the libraries that this
/// code touched mapped for the life of the process, about 25 MB of a 45 MB idle RSS with
/// 10 upstreams; a burst of traffic does the same for the pages of its code path.
/// `release()` asks the kernel (`MADV_PAGEOUT`) to unmap the read-only file-backed pages;
/// those still in use come back from the page cache on their next touch (a minor fault),
/// so what stays resident is the working set. Writable mappings are left alone (their pages
/// may be dirty and would go to swap), and so are pages that another process maps too (the
/// kernel skips them). Freed heap is returned with `malloc_trim`.
public enum ResidentPages {
    /// What one call released, for the log.
    public struct Released: Sendable {
        /// Bytes of read-only file-backed mappings advised (mapped size, not only resident).
        public var advisedBytes: Int
        /// Resident set before and after, from /proc/self/statm (0 where unreadable).
        public var residentBefore: Int
        public var residentAfter: Int
    }

    /// Pages out the read-only file-backed mappings and trims the heap. Linux only; a no-op
    /// elsewhere or when the kernel lacks `MADV_PAGEOUT` (before 5.4).
    @discardableResult
    public static func release() -> Released {
        let before = residentBytes()
        var advised = 0
        #if os(Linux)
        for mapping in readOnlyFileMappings() {
            if madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), mapping.end - mapping.start, madvPageout) == 0 {
                advised += mapping.end - mapping.start
            }
        }
        _ = mallocTrim(0)
        #endif
        return Released(advisedBytes: advised, residentBefore: before, residentAfter: residentBytes())
    }

    #if os(Linux)
    /// glibc's `malloc_trim` (declared in malloc.h, which Glibc's module does not export).
    @_silgen_name("malloc_trim")
    private static func mallocTrim(_ pad: Int) -> Int32
    #endif

    /// `MADV_PAGEOUT` from linux/mman.h (not exported by Glibc's module map).
    static let madvPageout: Int32 = 21

    struct Mapping: Equatable {
        var start: Int
        var end: Int
    }

    /// The mappings in /proc/self/maps that are backed by a file and neither writable nor
    /// special (`[vdso]`, `[vvar]`, anonymous memory and stacks have inode 0).
    static func readOnlyFileMappings() -> [Mapping] {
        guard let text = ProcFile.read("/proc/self/maps") else { return [] }
        return text.split(separator: "\n").compactMap { parse(mapsLine: $0) }
    }

    /// One line of /proc/PID/maps: `start-end perms offset dev inode path`.
    static func parse(mapsLine line: Substring) -> Mapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5, let dash = fields[0].firstIndex(of: "-"),
              let start = Int(fields[0][..<dash], radix: 16),
              let end = Int(fields[0][fields[0].index(after: dash)...], radix: 16), end > start,
              fields[1].count >= 2, !fields[1].dropFirst().hasPrefix("w"),
              let inode = Int(fields[4]), inode != 0
        else { return nil }
        return Mapping(start: start, end: end)
    }

    /// CPU time this process used so far (user + system), in microseconds.
    public static func cpuMicroseconds() -> Int {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        func micros(_ t: timeval) -> Int { Int(t.tv_sec) * 1_000_000 + Int(t.tv_usec) }
        return micros(usage.ru_utime) + micros(usage.ru_stime)
    }

    /// The resident set in bytes (second field of /proc/self/statm, in pages).
    public static func residentBytes() -> Int {
        guard let text = ProcFile.read("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
