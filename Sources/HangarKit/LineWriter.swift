import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole lines to a file descriptor, one `write(2)` per line, one line at a time.
final class LineWriter: Sendable {
    private let fd: Int32
    /// Held while a line is written, so lines never interleave; `true` once the reader is gone.
    private let closed = Mutex(false)

    init(fd: Int32) {
        self.fd = fd
    }

    /// Writes `frame` and a newline. Returns `false` if the other end is gone.
    @discardableResult
    func write(_ frame: [UInt8]) -> Bool {
        var line = frame
        line.append(0x0A)
        return closed.withLock { closed -> Bool in
            guard !closed else { return false }
            let ok = line.withUnsafeBytes { bytes -> Bool in
                var offset = 0
                while offset < bytes.count {
                    let n = posixWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += n
                }
                return true
            }
            if !ok { closed = true }
            return ok
        }
    }
}

/// `write(2)`, named apart from `LineWriter.write`.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
