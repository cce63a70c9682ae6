import Foundation
import Synchronization

/// Host uids for sandboxed workloads: each running sandbox gets one of its own (gid = uid), so
/// no two workloads can touch each other's files or signal each other's processes.
///
/// The default range is 61000..<65000: above Debian's dynamic user range (up to 59999) and
/// below nobody (65534). Nothing on the host should own files with these ids.
public final class WorkloadUIDPool: Sendable {
    public static let defaultRange: Range<uid_t> = 61000..<65000
    /// The pool `Sandbox.launch` draws from when a spec names no uid.
    public static let shared = WorkloadUIDPool(range: defaultRange)

    public let range: Range<uid_t>
    private let inUse = Mutex(Set<uid_t>())

    public init(range: Range<uid_t>) {
        self.range = range
    }

    /// The lowest free uid; throws `uidsExhausted` when every one is taken.
    public func allocate() throws -> uid_t {
        let uid = inUse.withLock { used -> uid_t? in
            guard let free = range.first(where: { !used.contains($0) }) else { return nil }
            used.insert(free)
            return free
        }
        guard let uid else { throw SandboxError(.uidsExhausted, "no free workload uid", detail: "\(range)") }
        return uid
    }

    /// Marks a uid chosen by the caller as taken (false if it already was).
    @discardableResult
    public func reserve(_ uid: uid_t) -> Bool {
        inUse.withLock { $0.insert(uid).inserted }
    }

    public func release(_ uid: uid_t) {
        _ = inUse.withLock { $0.remove(uid) }
    }
}
