import Foundation
import HangarSandbox
import Synchronization
import Testing

/// Thrown when a wait runs past its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with `DeadlineExceeded` after `seconds`; `onTimeout` must make `body` finish.
func withDeadline<T: Sendable>(
    _ seconds: Double, _ what: String, onTimeout: @escaping @Sendable () -> Void = {},
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            onTimeout()
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(what: what) }
        return value
    }
}

/// Reads a pipe on a thread of its own and lets tests wait for a condition on what arrived.
final class PipeReader: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var eof = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    init(fd: Int32) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                let waiters = state.withLock { s in
                    if n > 0 { s.bytes += buffer[..<n] } else { s.eof = true }
                    defer { s.waiters = [] }
                    return s.waiters
                }
                for w in waiters { w.resume() }
                if n <= 0 { break }
            }
            close(fd)
        }
        thread.start()
    }

    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }

    /// Waits until `done(text)` holds or the pipe ends; throws at the deadline.
    func wait(seconds: Double = 20, onTimeout: @escaping @Sendable () -> Void = {},
              until done: @escaping @Sendable (String) -> Bool = { _ in false }) async throws -> String {
        try await withDeadline(seconds, "process output", onTimeout: onTimeout) {
            while true {
                let (text, eof) = self.state.withLock { (String(decoding: $0.bytes, as: UTF8.self), $0.eof) }
                if eof || done(text) { return text }
                try Task.checkCancellation()
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { s -> Bool in
                        if s.eof || s.bytes.count != text.utf8.count { return true }
                        s.waiters.append(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }
}

/// What the machine offers; tests that need the real sandbox are skipped (with this reason) elsewhere.
enum Machine {
    static let canSandbox = geteuid() == 0 && access("/usr/bin/bwrap", X_OK) == 0 && access("/usr/bin/setpriv", X_OK) == 0
        && access("/usr/bin/python3", X_OK) == 0
    static let reason: Comment = "needs root, /usr/bin/bwrap, /usr/bin/setpriv and /usr/bin/python3"

    private static let cached = Mutex<SandboxProbe?>(nil)
    static func probe() async -> SandboxProbe {
        if let probe = cached.withLock({ $0 }) { return probe }
        let probe = await SandboxProbe.run()
        cached.withLock { $0 = probe }
        return probe
    }
}

/// A fresh, world-searchable folder under /tmp, removed by `remove()`.
struct TempFolder {
    let path: String
    init(_ prefix: String = "hangar-sandbox-test") throws {
        path = "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// One finished sandbox run: what it printed and what its cgroup and proxy counted.
struct SandboxRun {
    let stdout: String
    let stderr: String
    let exitCode: Int32
    let usage: ResourceUsage
    let egress: EgressProxy.Statistics?
    let activeLayers: Set<SandboxLayer>
    let uid: uid_t?
    let cgroupDirectories: [String]
}

/// Runs `command` in a sandbox for `spec`'s server folder (a fresh one unless given), waits
/// (bounded) for it to end, cleans up, and checks the cgroup folders are gone.
func runSandboxed(
    _ command: [String], folder: TempFolder? = nil, seconds: Double = 20,
    configure: (inout SandboxSpec) -> Void = { _ in }
) async throws -> SandboxRun {
    let own = folder == nil ? try TempFolder() : nil
    defer { own?.remove() }
    let dir = folder ?? own!
    var spec = SandboxSpec(workloadID: "test-\(UUID().uuidString.prefix(6))", command: command, serverDirectory: dir.path)
    configure(&spec)
    let sandboxed = try await Sandbox.launch(spec, probe: await Machine.probe())
    close(sandboxed.stdinFD)
    let out = PipeReader(fd: sandboxed.stdoutFD), err = PipeReader(fd: sandboxed.stderrFD)
    let kill: @Sendable () -> Void = { sandboxed.cgroup?.killAll(); sandboxed.process.signalGroup(SIGKILL) }
    let code: Int32
    do {
        _ = try await out.wait(seconds: seconds, onTimeout: kill)
        _ = try await err.wait(seconds: seconds, onTimeout: kill)
        code = try await withDeadline(seconds, "sandbox exit", onTimeout: kill) { await sandboxed.waitForExit() }
    } catch {
        try? await sandboxed.cleanup(grace: .zero)
        throw error
    }
    let usage = sandboxed.usage()
    let directories = Array(Set(sandboxed.cgroup?.directories.values.map { $0 } ?? []))
    try await sandboxed.cleanup()
    for directory in directories { #expect(!FileManager.default.fileExists(atPath: directory), "cgroup left behind") }
    return SandboxRun(stdout: out.text, stderr: err.text, exitCode: code, usage: usage, egress: sandboxed.egress?.stats,
                      activeLayers: sandboxed.activeLayers, uid: sandboxed.uid, cgroupDirectories: directories)
}

/// `/usr/bin/python3 -c script`.
func python(_ script: String) -> [String] { ["/usr/bin/python3", "-c", script] }
