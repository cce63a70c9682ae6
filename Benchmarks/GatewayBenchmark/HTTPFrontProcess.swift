import Foundation
import HangarTransport

/// An HTTP front to MCP servers on a port of its choosing (`hangar serve`, or the minimal relay),
/// started for one phase and stopped after it.
final class HTTPFrontProcess: Sendable {
    let child: ChildProcess
    let endpoint: HTTPEndpoint
    private let stdout: OutputDrain
    private let stderr: OutputDrain

    private init(child: ChildProcess, port: Int, stdout: OutputDrain, stderr: OutputDrain) {
        self.child = child
        endpoint = HTTPEndpoint(port: port)
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Starts it and waits (at most a minute) for `hangar listening on http://HOST:PORT/mcp`.
    static func start(hangar: String, config: String, environment: [String: String],
                      extraArguments: [String] = []) async throws -> HTTPFrontProcess {
        try await start(ProcessSpec(command: hangar, arguments: ["serve", "--config", config, "--port", "0", "--host", "127.0.0.1"] + extraArguments,
                                    environment: environment), announcing: "hangar listening on http://")
    }

    /// `mcp-minimal-relay` in front of `upstream`, the benchmark's yardstick for an HTTP front.
    static func startRelay(_ relay: String, upstream: ProcessSpec) async throws -> HTTPFrontProcess {
        try await start(ProcessSpec(command: relay, arguments: [upstream.command] + upstream.arguments, environment: upstream.environment),
                        announcing: "minimal relay listening on http://")
    }

    private static func start(_ spec: ProcessSpec, announcing announcement: String) async throws -> HTTPFrontProcess {
        let child = try await ChildProcess.spawn(spec)
        let stderr = OutputDrain(fd: child.stderrFD)
        let port: Int
        do {
            port = try await onThread("bench-ready") {
                let reader = ByteReader(fd: child.stdoutFD, timeoutMilliseconds: 60_000)
                while true {
                    let line = try reader.withLine { String(decoding: $0, as: UTF8.self) }
                    guard let range = line.range(of: announcement) else { continue }
                    let address = line[range.upperBound...].split(separator: "/")[0]
                    guard let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
                        throw BenchmarkError("cannot read the port in '\(line)'")
                    }
                    return port
                }
            }
        } catch {
            await child.terminate(grace: .seconds(2))
            close(child.stdinFD)
            close(child.stdoutFD)
            throw BenchmarkError("\((spec.command as NSString).lastPathComponent) did not start: \(error); stderr: \(stderr.tail)")
        }
        return HTTPFrontProcess(child: child, port: port, stdout: OutputDrain(fd: child.stdoutFD), stderr: stderr)
    }

    /// VmRSS of the hangar process alone (its upstreams are other processes), in bytes.
    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }

    /// SIGTERM (a graceful stop that ends the upstreams), then SIGKILL to the group.
    func stop() async {
        await child.terminate(grace: .seconds(5))
        close(child.stdinFD)
    }
}
