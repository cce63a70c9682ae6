import CHangarSystem
import Foundation

/// Event loops wait on descriptors with epoll, which refuses regular files and devices such
/// as /dev/null (`hangar stdio < requests.jsonl`, `> /dev/null`). Such a descriptor is put
/// behind a pipe, with a thread copying between the two.
public enum PollableDescriptor {
    public enum Direction: Sendable {
        /// We read from the descriptor (stdin).
        case input
        /// We write to the descriptor (stdout).
        case output
    }

    /// Whether epoll accepts `fd`.
    static func isPollable(_ fd: Int32) -> Bool {
        hangar_is_pollable(fd) != 0  // cannot tell: let the event loop try
    }

    /// `fd` itself when epoll accepts it; otherwise our end of a pipe whose other end a thread
    /// copies to or from `fd` until end of input, then closes both of its descriptors. The
    /// pump's task ends with that thread: output is all written only once it has.
    public static func make(_ fd: Int32, _ direction: Direction) throws -> (fd: Int32, pump: Task<Void, Never>?) {
        if isPollable(fd) { return (fd, nil) }
        var ends: [Int32] = [0, 0]
        guard hangar_pipe(&ends) == 0 else {
            throw DescriptorError(description: "cannot make a pipe for descriptor \(fd): \(String(cString: strerror(errno)))")
        }
        let (from, to, ours) = direction == .input ? (fd, ends[1], ends[0]) : (ends[0], fd, ends[1])
        let pump = Task {
            await OwnThread.run(stackSize: 512 << 10) {
                copy(from: from, to: to)
                close(direction == .input ? to : from)
            }
        }
        return (ours, pump)
    }

    private static func copy(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { write(to, $0.baseAddress! + done, n - done) }
                if w < 0, errno == EINTR { continue }
                guard w > 0 else { return }
                done += w
            }
        }
    }
}

public struct DescriptorError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
