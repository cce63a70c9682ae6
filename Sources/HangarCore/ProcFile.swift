#if canImport(Glibc)
import Glibc
#endif

/// Kernel pseudo-files (/proc, cgroupfs) read whole. They report a size of 0 and come in
/// chunks of about a page, and Foundation's `String(contentsOfFile:)` stops after the first
/// chunk: a long /proc/self/smaps, mountinfo or cgroup.procs comes back cut at about 4 KiB.
public enum ProcFile {
    /// The file's text, read until end of file; nil when it cannot be opened.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
