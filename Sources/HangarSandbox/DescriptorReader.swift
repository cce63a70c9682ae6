import Foundation
import HangarTransport

/// Blocking descriptor reads done on a thread of their own, so no Swift concurrency thread waits.
enum DescriptorReader {
    /// Everything up to end of file (at most `limit` bytes kept), then closes `fd`.
    static func readAll(_ fd: Int32, limit: Int) async -> [UInt8] {
        await OwnThread.run {
            var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                if out.count < limit { out += buffer[..<min(n, limit - out.count)] }
            }
            close(fd)
            return out
        }
    }

    /// Reads until `complete` holds, end of file, or `timeout` passes; nil on timeout.
    static func read(_ fd: Int32, timeout: Duration, until complete: @escaping @Sendable ([UInt8]) -> Bool) async -> [UInt8]? {
        await OwnThread.run {
            let clock = ContinuousClock(), deadline = clock.now + timeout
            var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 1024)
            while !complete(out) {
                let left = clock.now.duration(to: deadline)
                if left <= .zero { return nil }
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                let ready = poll(&pfd, 1, ms)
                if ready < 0, errno == EINTR { continue }
                if ready <= 0 { continue }
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR || errno == EAGAIN { continue }
                if n <= 0 { break }
                out += buffer[..<n]
            }
            return out
        }
    }

}
