import CHangarSystem
import Foundation
import HangarTransport

/// Waits for processes that are not our children to exit, through pidfds (no polling).
public enum ProcessExitWatch {
    /// Returns the pids still running after `timeout` (empty: all of them exited).
    public static func waitForExit(of pids: [pid_t], timeout: Duration) async -> [pid_t] {
        await OwnThread.run {
            var watched: [(pid_t, Int32)] = []
            for pid in pids {
                let fd = hangar_pidfd_open(pid)
                if fd >= 0 { watched.append((pid, fd)) } // ESRCH: already gone
            }
            defer { for (_, fd) in watched { close(fd) } }
            let clock = ContinuousClock(), deadline = clock.now + timeout
            var running = watched
            while !running.isEmpty {
                let left = clock.now.duration(to: deadline)
                if left <= .zero { break }
                var fds = running.map { pollfd(fd: $0.1, events: Int16(POLLIN), revents: 0) }
                let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                let ready = poll(&fds, nfds_t(fds.count), ms)
                if ready < 0, errno != EINTR { break }
                running = zip(running, fds).filter { $0.1.revents == 0 }.map(\.0)
            }
            return running.map(\.0)
        }
    }
}
