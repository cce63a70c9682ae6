import HangarCore
import HangarGateway
import HangarSupervisor
import HangarUpstream
import Synchronization

// The seams between the supervisor and the gateway for hosted servers: how a workload is
// launched (secrets resolved), when it is ready (MCP handshake), whether it is healthy (MCP ping).

/// Resolves `${secret:NAME}` in a workload's command and environment at each launch; the
/// stored spec keeps the references.
struct ResolvingLauncher: WorkloadLauncher {
    let inner: any WorkloadLauncher
    /// Installs what the spec's package needs and gives the command that runs it.
    let prepare: @Sendable (WorkloadSpec) async throws -> WorkloadSpec
    let resolve: @Sendable (String, String) throws -> String

    func launch(_ spec: WorkloadSpec) async throws -> any LaunchedWorkload {
        let spec = try await prepare(spec)
        var resolved = spec
        resolved.command = try spec.command.map { try resolve($0, spec.name) }
        for (key, value) in spec.environment where value.contains("${") {
            resolved.environment[key] = try resolve(value, spec.name)
        }
        return try await inner.launch(resolved)
    }
}

/// Readiness is a completed MCP handshake: the gateway takes the workload's pipes.
struct GatewayConnector: WorkloadConnector {
    let gateway: Gateway

    func connect(_ target: WorkloadTarget) async throws {
        guard let upstream = gateway.pool.upstream(named: target.name) else {
            throw SupervisorError(.unknownWorkload, "no gateway entry for \(target.name)", name: target.name)
        }
        if let port = target.port {
            // An HTTP server: connect once it accepts (the supervisor's start timeout bounds the wait).
            let url = "http://127.0.0.1:\(target.process.reachablePort ?? port)\(target.spec.httpPath)"
            while true {
                do {
                    try await upstream.attach(url: url)
                    break
                } catch {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            await gateway.catalogAttached(target.name)
            return
        }
        guard let stdio = target.process.takeStdio() else {
            throw SupervisorError(.invalidSpec, "the workload's pipes were already taken", name: target.name)
        }
        try await upstream.attach(process: HostedProcess(target.process), stdin: stdio.stdin, stdout: stdio.stdout)
        await gateway.catalogAttached(target.name)
    }

    func disconnect(_ target: WorkloadTarget) async {
        await gateway.pool.upstream(named: target.name)?.detach()
    }
}

/// A health check that asks the server itself: an MCP ping through its live session.
struct MCPPing: HealthCheck {
    let gateway: Gateway

    func check(_ target: WorkloadTarget) async -> Bool {
        guard let upstream = gateway.pool.upstream(named: target.name) else { return false }
        do {
            _ = try await upstream.request(MCPMethod.ping, params: nil, timeout: .seconds(5))
            return true
        } catch {
            if case .remote = error.code { return true }  // it answered, even if it does not know ping
            return false
        }
    }
}

/// A hosted workload's process as the upstream session sees it: the supervisor owns it, so
/// closing the session leaves it running.
final class HostedProcess: UpstreamProcess {
    let launched: any LaunchedWorkload
    private let status = Mutex<Int32?>(nil)

    init(_ launched: any LaunchedWorkload) { self.launched = launched }

    var exitCode: Int32? { status.withLock { $0 } }

    func waitForExit() async -> Int32 {
        let exit = await launched.waitForExit()
        let code: Int32
        switch exit {
        case .exited(let c): code = c
        case .killed(let s): code = -s
        case nil: code = -1
        }
        status.withLock { $0 = code }
        return code
    }

    func waitForExit(timeout: Duration) async -> Int32? {
        await withTimeout(timeout) { await self.waitForExit() } ?? exitCode
    }

    func sessionClosed() async {}
}
