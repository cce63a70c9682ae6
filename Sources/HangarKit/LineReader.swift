#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads newline-delimited frames from a file descriptor with plain blocking `read(2)` on a
/// thread of its own, so a blocked read never holds a Swift concurrency thread.
enum LineReader {
    /// Calls `onLine` on the reading thread for each line of `fd` (without the newline;
    /// empty lines skipped), then `onEnd` at EOF or a read error. A line longer than
    /// `maxLineBytes` is cut to `maxLineBytes + 1` bytes, so the parser rejects it as too
    /// large and the rest of the stream still reads. The thread lives until EOF.
    static func start(
        fd: Int32, maxLineBytes: Int,
        onLine: @escaping @Sendable ([UInt8]) -> Void, onEnd: @escaping @Sendable () -> Void
    ) {
        let job = Job(fd: fd, maxLineBytes: maxLineBytes, onLine: onLine, onEnd: onEnd)
        let context = Unmanaged.passRetained(job).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            job.run()
            return nil
        }, context)
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Job>.fromOpaque(context).release()
            onEnd()
        }
    }

    /// The lines of `fd` as a stream, for consumers that want to `await` them.
    static func lines(fd: Int32, maxLineBytes: Int) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        start(fd: fd, maxLineBytes: maxLineBytes,
              onLine: { continuation.yield($0) }, onEnd: { continuation.finish() })
        return stream
    }

    /// The state of one reading thread. Touched only by that thread after it starts.
    private final class Job {
        let fd: Int32
        let maxLineBytes: Int
        let onLine: @Sendable ([UInt8]) -> Void
        let onEnd: @Sendable () -> Void

        init(fd: Int32, maxLineBytes: Int, onLine: @escaping @Sendable ([UInt8]) -> Void, onEnd: @escaping @Sendable () -> Void) {
            self.fd = fd
            self.maxLineBytes = maxLineBytes
            self.onLine = onLine
            self.onEnd = onEnd
        }

        func run() {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var partial: [UInt8] = []
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                var start = 0
                while start < count {
                    guard let newline = buffer[start..<count].firstIndex(of: 0x0A) else {
                        append(buffer[start..<count], to: &partial)
                        break
                    }
                    if partial.isEmpty {
                        emit(Array(buffer[start..<newline]))
                    } else {
                        append(buffer[start..<newline], to: &partial)
                        emit(partial)
                        partial = []
                    }
                    start = newline + 1
                }
            }
            if !partial.isEmpty { emit(partial) }
            onEnd()
        }

        private func append(_ bytes: ArraySlice<UInt8>, to partial: inout [UInt8]) {
            let room = maxLineBytes + 1 - partial.count
            guard room > 0 else { return }
            partial.append(contentsOf: bytes.prefix(room))
        }

        private func emit(_ line: [UInt8]) {
            var line = line
            if line.last == 0x0D { line.removeLast() }
            guard !line.isEmpty else { return }
            onLine(line)
        }
    }
}
