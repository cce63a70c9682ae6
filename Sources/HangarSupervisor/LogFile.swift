import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A log file that rotates by size: `NAME.log` is written; when the next line would take it past
/// `maxBytes` it becomes `NAME.log.1`, the old `.1` becomes `.2`, and so on up to `keptFiles`;
/// the oldest is deleted. Not thread-safe: `WorkloadLog` only calls it under its lock.
final class LogFile {
    let path: String
    let maxBytes: Int
    let keptFiles: Int
    private var fd: Int32 = -1
    private var size = 0
    /// The last write or rotation error, reported in the workload's status.
    private(set) var lastError: String?

    init(path: String, maxBytes: Int, keptFiles: Int) {
        self.path = path
        self.maxBytes = max(maxBytes, 1)
        self.keptFiles = max(keptFiles, 0)
        reopen()
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        if size > 0, size + bytes.count > maxBytes { rotate() }
        guard fd >= 0 else { return }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            lastError = "cannot write \(path): \(String(cString: strerror(errno)))"
        } else {
            size += written
        }
    }

    private func rotate() {
        if fd >= 0 { close(fd) }
        fd = -1
        if keptFiles == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(keptFiles)")
            for n in stride(from: keptFiles - 1, through: 1, by: -1) {
                rename("\(path).\(n)", "\(path).\(n + 1)")
            }
            rename(path, "\(path).1")
        }
        reopen()
    }

    private func reopen() {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        if fd < 0 {
            lastError = "cannot open \(path): \(String(cString: strerror(errno)))"
            size = 0
            return
        }
        var info = stat()
        size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }
}
