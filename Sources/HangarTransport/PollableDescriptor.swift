import CHangarSystem
import Foundation
import Synchronization

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
    public static func isPollable(_ fd: Int32) -> Bool {
        hangar_is_pollable(fd) != 0  // cannot tell: let the event loop try
    }

    /// `fd` itself when epoll accepts it; otherwise our end of a pipe whose other end a thread
    /// copies to or from `fd` until end of input (the thread then closes both of its descriptors),
    /// with the ``Pump`` to wait for: output is only all written once the pump has finished.
    public static func make(_ fd: Int32, _ direction: Direction) throws -> (fd: Int32, pump: Pump?) {
        if isPollable(fd) { return (fd, nil) }
        var ends: [Int32] = [0, 0]
        guard hangar_pipe(&ends) == 0 else {
            throw DescriptorError(description: "cannot make a pipe for descriptor \(fd): \(String(cString: strerror(errno)))")
        }
        let (from, to, ours) = direction == .input ? (fd, ends[1], ends[0]) : (ends[0], fd, ends[1])
        let pump = Pump()
        let thread = Thread {
            copy(from: from, to: to)
            close(direction == .input ? to : from)
            pump.finish()
        }
        thread.name = "hangar-fd-\(fd)"
        thread.start()
        return (ours, pump)
    }

    /// The thread copying between a descriptor and its pipe.
    public final class Pump: Sendable {
        private let state = Mutex<(finished: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        fileprivate func finish() {
            let waiters = state.withLock { s in
                s.finished = true
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        /// Returns once the thread has copied everything and closed its descriptors.
        public func finished() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { s -> Bool in
                    if s.finished { return true }
                    s.waiters.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        }
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
