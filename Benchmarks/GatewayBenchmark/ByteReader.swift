#if canImport(Glibc)
import Glibc
#endif

/// Buffered reads from a blocking descriptor, used by one thread at a time. It does not own
/// the descriptor. Every read waits at most `timeoutMilliseconds`, so a silent peer fails the
/// scenario instead of hanging the benchmark.
final class ByteReader {
    let fd: Int32
    let timeoutMilliseconds: Int32
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    init(fd: Int32, capacity: Int = 1 << 16, timeoutMilliseconds: Int32 = 30_000) {
        self.fd = fd
        self.timeoutMilliseconds = timeoutMilliseconds
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    /// Reads up to the next `\n` and hands `body` the line without it (nor a trailing `\r`);
    /// the bytes are valid only during `body`.
    func withLine<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        var scanned = 0
        while true {
            let from = start + scanned
            if end > from, let hit = memchr(storage.baseAddress! + from, Int32(UInt8(ascii: "\n")), end - from) {
                let newline = storage.baseAddress!.distance(to: hit)
                var length = newline - start
                if length > 0, storage[newline - 1] == UInt8(ascii: "\r") { length -= 1 }
                let line = UnsafeRawBufferPointer(start: storage.baseAddress! + start, count: length)
                start = newline + 1
                return try body(line)
            }
            scanned = end - start
            try fill(atLeast: 1)
        }
    }

    /// Reads exactly `count` bytes and hands them to `body`; valid only during `body`.
    func withBytes<R>(count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        while end - start < count { try fill(atLeast: count - (end - start)) }
        let bytes = UnsafeRawBufferPointer(start: storage.baseAddress! + start, count: count)
        start += count
        return try body(bytes)
    }

    /// Makes room for `more` bytes after those buffered, then reads once.
    private func fill(atLeast more: Int) throws {
        if start == end {
            start = 0
            end = 0
        }
        if storage.count - end < more || end == storage.count {
            let buffered = end - start
            if buffered + more > storage.count || buffered == storage.count {
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(storage.count * 2, buffered + more), alignment: 16)
                grown.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: buffered)
                storage.deallocate()
                storage = grown
            } else {
                memmove(storage.baseAddress!, storage.baseAddress! + start, buffered)
            }
            start = 0
            end = buffered
        }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&poller, 1, timeoutMilliseconds)
            if ready > 0 { break }
            if ready == 0 { throw BenchmarkError("no answer within \(timeoutMilliseconds / 1000) s") }
            if errno != EINTR { throw BenchmarkError("poll failed: errno \(errno)") }
        }
        while true {
            let n = read(fd, storage.baseAddress! + end, storage.count - end)
            if n > 0 {
                end += n
                return
            }
            if n == 0 { throw BenchmarkError("the peer closed its output") }
            if errno != EINTR { throw BenchmarkError("read failed: errno \(errno)") }
        }
    }
}

/// Writes all of `bytes` to a blocking descriptor.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0, errno == EINTR {
                continue
            } else {
                throw BenchmarkError("write failed: errno \(errno)")
            }
        }
    }
}
