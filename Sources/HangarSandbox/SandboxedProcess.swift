import Foundation
import HangarCore
import HangarTransport
import Synchronization

/// A hosted server running in its sandbox. Its pipes are the `ChildProcess`'s; `cleanup()`
/// must be called once it is no longer wanted (it stops it if needed).
public final class SandboxedProcess: Sendable {
    /// The outer process (setpriv, then bubblewrap): its pipes are the server's stdio.
    public let process: ChildProcess
    public let workloadID: String
    /// The host uid the server runs as, if the uid layer is active.
    public let uid: uid_t?
    public let cgroup: WorkloadCgroup?
    /// The egress proxy when the network is `.allowDomains` (its `stats` count denials).
    public let egress: EgressProxy?
    /// The sandbox's first process as the host sees it (from bubblewrap's --info-fd), when known.
    public let sandboxPID: pid_t?
    public let activeLayers: Set<SandboxLayer>
    /// Layers this machine could not provide, with the reason (to log as a warning and show).
    public let inactiveLayers: [SandboxLayer: String]
    private let uidPool: WorkloadUIDPool
    private let cleaned = Mutex(false)

    init(process: ChildProcess, workloadID: String, uid: uid_t?, uidPool: WorkloadUIDPool, cgroup: WorkloadCgroup?,
         egress: EgressProxy?, sandboxPID: pid_t?, activeLayers: Set<SandboxLayer>, inactiveLayers: [SandboxLayer: String]) {
        self.process = process
        self.workloadID = workloadID
        self.uid = uid
        self.uidPool = uidPool
        self.cgroup = cgroup
        self.egress = egress
        self.sandboxPID = sandboxPID
        self.activeLayers = activeLayers
        self.inactiveLayers = inactiveLayers
    }

    public var pid: pid_t { process.pid }
    public var stdinFD: Int32 { process.stdinFD }
    public var stdoutFD: Int32 { process.stdoutFD }
    public var stderrFD: Int32 { process.stderrFD }

    /// What the cgroup reports (empty without cgroups).
    public func usage() -> ResourceUsage { cgroup?.usage() ?? ResourceUsage() }

    public func waitForExit() async -> Int32 { await process.waitForExit() }
    public func waitForExit(timeout: Duration) async -> Int32? { await process.waitForExit(timeout: timeout) }

    /// SIGTERM to the server's processes, SIGKILL to everything in the sandbox after `grace`.
    /// bubblewrap itself is not sent SIGTERM: it would die at once and take the server down
    /// without its grace period.
    public func stop(grace: Duration = .seconds(2)) async {
        if let cgroup {
            if process.exitCode == nil {
                for pid in cgroup.processes() where pid != process.pid && pid != sandboxPID { kill(pid, SIGTERM) }
                if await process.waitForExit(timeout: grace) == nil {
                    cgroup.killAll()
                    process.signalGroup(SIGKILL)
                }
            }
            cgroup.killAll()
            process.signalGroup(SIGKILL)
            _ = await process.waitForExit(timeout: .seconds(5))
        } else {
            await process.terminate(grace: grace)
        }
    }

    /// Stops the sandbox if it runs, closes the proxy, removes the cgroup folders and frees
    /// the uid. Safe to call more than once; throws when a cgroup folder would not go away.
    public func cleanup(grace: Duration = .seconds(2)) async throws {
        let first = cleaned.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        await stop(grace: grace)
        await egress?.close()
        defer { if let uid { uidPool.release(uid) } }
        try await cgroup?.remove()
    }

    /// For `hangar ps --json`: layers, uid, usage and egress counters.
    public var json: JSONValue {
        var o: JSONObject = [
            "workload": .string(workloadID),
            "pid": .int(Int64(process.pid)),
            "activeLayers": .array(activeLayers.sorted().map { .string($0.rawValue) }),
        ]
        var missing = JSONObject()
        for (layer, reason) in inactiveLayers.sorted(by: { $0.key < $1.key }) { missing[layer.rawValue] = .string(reason) }
        o["inactiveLayers"] = .object(missing)
        if let uid { o["uid"] = .int(Int64(uid)) }
        o["usage"] = usage().json
        if let stats = egress?.stats {
            o["egress"] = ["allowed": .int(Int64(stats.allowed)), "denied": .int(Int64(stats.denied)),
                           "failed": .int(Int64(stats.failed)), "malformed": .int(Int64(stats.malformed))]
        }
        return .object(o)
    }
}
