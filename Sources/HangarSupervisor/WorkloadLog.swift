import Foundation
import Synchronization

/// The stderr of one workload: the latest lines in memory (bounded by lines and bytes) for
/// `hangar logs`, everything in size-rotated files, and live followers for `hangar logs -f`.
final class WorkloadLog: Sendable {
    /// Bounds of the in-memory tail and of the files.
    struct Limits: Sendable, Hashable {
        var maxLines: Int
        var maxBytes: Int
        var fileBytes: Int
        var rotatedFiles: Int
    }

    private struct State {
        /// Ring of lines: `lines[start...]` are live; compacted when the dead prefix grows.
        var lines: [String] = []
        var start = 0
        var bytes = 0
        var file: LogFile?
        var followers: [Int: AsyncStream<String>.Continuation] = [:]
        var nextFollower = 0
    }

    let limits: Limits
    /// Lines a slow follower may fall behind before the oldest unread ones are dropped.
    static let followerBuffer = 4096
    let filePath: String?
    private let state: Mutex<State>

    /// `directory` nil keeps the log in memory only.
    init(name: String, directory: String?, limits: Limits) {
        self.limits = limits
        let path = directory.map { "\($0)/\(name).log" }
        self.filePath = path
        var initial = State()
        if let path { initial.file = LogFile(path: path, maxBytes: limits.fileBytes, keptFiles: limits.rotatedFiles) }
        self.state = Mutex(initial)
    }

    func append(_ line: String) {
        state.withLock { s in
            s.lines.append(line)
            s.bytes += line.utf8.count
            while s.lines.count - s.start > limits.maxLines || (s.bytes > limits.maxBytes && s.lines.count - s.start > 1) {
                s.bytes -= s.lines[s.start].utf8.count
                s.start += 1
            }
            if s.start > 1024, s.start * 2 > s.lines.count {
                s.lines.removeFirst(s.start)
                s.start = 0
            }
            s.file?.write(line)
            for follower in s.followers.values { follower.yield(line) }
        }
    }

    /// The last `count` lines kept in memory, oldest first.
    func tail(_ count: Int) -> [String] {
        state.withLock { s in
            let live = s.lines.count - s.start
            return Array(s.lines[(s.lines.count - min(max(count, 0), live))...])
        }
    }

    /// The last `count` lines, then every new line as it is written; no line is lost or repeated
    /// between the two. Ends when the consumer stops iterating or the workload is removed.
    func follow(last count: Int) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(max(limits.maxLines, Self.followerBuffer)))
        let id = state.withLock { s -> Int in
            let live = s.lines.count - s.start
            for line in s.lines[(s.lines.count - min(max(count, 0), live))...] { continuation.yield(line) }
            defer { s.nextFollower += 1 }
            s.followers[s.nextFollower] = continuation
            return s.nextFollower
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.followers.removeValue(forKey: id) }
        }
        return stream
    }

    /// The last problem writing the log file, if any.
    var fileError: String? { state.withLock { $0.file?.lastError } }

    /// Ends every follower (the workload was removed).
    func finish() {
        let followers = state.withLock { s in
            defer { s.followers = [:] }
            return Array(s.followers.values)
        }
        for follower in followers { follower.finish() }
    }
}
