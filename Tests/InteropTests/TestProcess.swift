import Foundation
import HangarCore
import HangarTransport
import NIOCore
import Synchronization
import Testing

/// A process started by a test: its stdout and stderr lines are collected so a test can wait
/// for a line with a deadline (never sleep), and it is killed when the test is done.
final class TestProcess: Sendable {
    let child: ChildProcess
    let stdin: LineChannel
    private let lines: LineCollector

    private init(child: ChildProcess, stdin: LineChannel, lines: LineCollector) {
        self.child = child
        self.stdin = stdin
        self.lines = lines
    }

    static func start(_ command: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) async throws -> TestProcess {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let child = try await ChildProcess.spawn(ProcessSpec(command: command, arguments: arguments, environment: env, workingDirectory: directory))
        // The collector exists before the pipes are read, so no early line is lost.
        let lines = LineCollector()
        let stdin = try await LineChannel.open(readFD: child.stdoutFD, writeFD: child.stdinFD, maxLineBytes: 64 << 20,
                                               onEvent: { event in if case .line(let b) = event { lines.received(String(buffer: b), stderr: false) } },
                                               onClose: { lines.received(LineCollector.endOfOutput, stderr: false) })
        _ = try await LineChannel.open(readFD: child.stderrFD, writeFD: nil, maxLineBytes: 1 << 20,
                                       onEvent: { event in if case .line(let b) = event { lines.received(String(buffer: b), stderr: true) } },
                                       onClose: { lines.received(LineCollector.endOfErrors, stderr: true) })
        return TestProcess(child: child, stdin: stdin, lines: lines)
    }

    var stdoutLines: [String] { lines.state.withLock { $0.out } }
    var stderrLines: [String] { lines.state.withLock { $0.err } }

    /// The first line (stdout or stderr) matching `predicate`, waiting up to `timeout`.
    func waitForLine(timeout: Duration = .seconds(30), _ predicate: @escaping @Sendable (String) -> Bool) async -> String? {
        await lines.waitForLine(timeout: timeout, predicate)
    }

    /// Waits until stdout and stderr have ended (every line of both has been collected);
    /// false on timeout.
    func waitForEndOfOutput(timeout: Duration = .seconds(10)) async -> Bool {
        guard await lines.waitForLine(timeout: timeout, { $0 == LineCollector.endOfOutput }) != nil else { return false }
        return await lines.waitForLine(timeout: timeout) { $0 == LineCollector.endOfErrors } != nil
    }

    /// Waits for exit up to `timeout`; kills the process if it is still running then.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(60)) async -> Int32? {
        let status = await child.waitForExit(timeout: timeout)
        if status == nil { await child.terminate(grace: .milliseconds(200)) }
        return status
    }

    func stop() async {
        stdin.close()
        await child.terminate(grace: .seconds(3))
    }
}

/// Lines a process printed, and tests waiting for one.
final class LineCollector: Sendable {
    struct State {
        var out: [String] = []
        var err: [String] = []
        var ended = false
        var errorsEnded = false
        var waiters: [(UUID, @Sendable (String) -> Bool, CheckedContinuation<String?, Never>)] = []
    }
    let state = Mutex(State())

    /// Stands for the end of stdout in waits; never stored as a line.
    static let endOfOutput = "\u{4}end of output"
    /// Stands for the end of stderr in waits; never stored as a line.
    static let endOfErrors = "\u{4}end of errors"

    func received(_ line: String, stderr: Bool) {
        let ready = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            if line == Self.endOfOutput { state.ended = true } else if line == Self.endOfErrors { state.errorsEnded = true } else if stderr { state.err.append(line) } else { state.out.append(line) }
            var ready: [CheckedContinuation<String?, Never>] = []
            state.waiters.removeAll { _, matches, continuation in
                guard matches(line) else { return false }
                ready.append(continuation)
                return true
            }
            return ready
        }
        for c in ready { c.resume(returning: line) }
    }

    func waitForLine(timeout: Duration, _ predicate: @escaping @Sendable (String) -> Bool) async -> String? {
        let id = UUID()
        return await withTimeout(timeout) { () async -> String? in
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let existing = self.state.withLock { state -> String? in
                        if let hit = (state.out + state.err).first(where: predicate) { return hit }
                        if state.ended, predicate(LineCollector.endOfOutput) { return LineCollector.endOfOutput }
                        if state.errorsEnded, predicate(LineCollector.endOfErrors) { return LineCollector.endOfErrors }
                        state.waiters.append((id, predicate, continuation))
                        return nil
                    }
                    if let existing { continuation.resume(returning: existing) }
                }
            } onCancel: {
                let waiter = self.state.withLock { state -> CheckedContinuation<String?, Never>? in
                    guard let i = state.waiters.firstIndex(where: { $0.0 == id }) else { return nil }
                    return state.waiters.remove(at: i).2
                }
                waiter?.resume(returning: nil)
            }
        }
    }
}

/// Where the built products and the Python peers are.
enum TestEnvironment {
    static let buildDirectory: String = {
        // The test bundle lives in the build folder, next to the executables.
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("hangar").path) { return dir.path }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot + "/.build/debug"
    }()

    static let packageRoot: String = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
            dir = dir.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()

    static var hangar: String { buildDirectory + "/hangar" }
    static var fastUpstream: String { buildDirectory + "/hangar-fast-upstream" }
    static var peers: String { ProcessInfo.processInfo.environment["HANGAR_PEERS_DIR"] ?? packageRoot + "/.peers" }
    static var python: String { peers + "/main/bin/python" }
    static func peer(_ venv: String, _ tool: String) -> String { "\(peers)/\(venv)/bin/\(tool)" }
    static func script(_ name: String) -> String { packageRoot + "/Tests/Peers/" + name }

    /// Makes sure the Python peers exist (the set-up script is idempotent and fast when done).
    static let peersReady: Bool = {
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: "/bin/bash")
        setup.arguments = [packageRoot + "/scripts/setup-peers.sh"]
        setup.environment = ProcessInfo.processInfo.environment.merging(["HANGAR_PEERS_DIR": peers]) { $1 }
        do {
            try setup.run()
            setup.waitUntilExit()
        } catch {
            print("cannot run scripts/setup-peers.sh: \(error)")
            return false
        }
        if setup.terminationStatus != 0 { print("scripts/setup-peers.sh failed with status \(setup.terminationStatus)") }
        return setup.terminationStatus == 0
    }()

    /// A fresh temporary folder for one test.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "hangar-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ json: JSONValue, to path: String) throws {
        try Data(JSONWriter.bytes(json)).write(to: URL(fileURLWithPath: path))
    }
}

extension Trait where Self == ConditionTrait {
    /// Needs the Python peers (installed on demand by scripts/setup-peers.sh).
    static var pythonPeers: Self {
        .enabled("needs the Python MCP peers (scripts/setup-peers.sh)") { TestEnvironment.peersReady }
    }
}
