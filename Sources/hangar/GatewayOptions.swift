import ArgumentParser
import Foundation
import HangarGateway
import HangarTransport
import Logging
import UnixSignals

/// Options every command that runs the gateway shares.
struct GatewayOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (JSON or YAML; Claude Desktop's mcpServers shape works as is).")
    var config: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default: info, or HANGAR_LOG_LEVEL).")
    var logLevel: String?

    @Option(name: .customLong("cpus"), help: "CPUs Hangar's own threads run on, e.g. 0 or 0-1 (gateway.cpus; default: any).")
    var cpus: String?

    @Option(name: .customLong("upstream-cpus"), help: "CPUs of the servers Hangar starts, e.g. 1-3 (gateway.upstreamCPUs; default: any).")
    var upstreamCPUs: String?

    @Option(name: .customLong("placement"), help: "auto: servers that run on Python get one CPU each, the least used, others any; one-cpu: every server; any: none (gateway.placement; default: auto).")
    var placement: String?

    /// The config (with `--cpus`, `--upstream-cpus` and `--placement` applied), with Hangar's threads and the
    /// processes it will start already on the CPUs it names: every command that starts
    /// servers loads it this way, before anything is started.
    func loadConfig() throws -> GatewayConfig {
        let config = try readConfig()
        try placeOnCPUs(config)
        return config
    }

    private func readConfig() throws -> GatewayConfig {
        var loaded = GatewayConfig()
        if let path = config ?? ProcessInfo.processInfo.environment["HANGAR_CONFIG"] {
            do {
                loaded = try GatewayConfig.load(path: path)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        do {
            if let cpus { loaded.cpus = try CPUAffinity.parse(cpus) }
            if let upstreamCPUs { loaded.upstreamCPUs = try CPUAffinity.parse(upstreamCPUs) }
            if let placement { loaded.placement = try CPUPlacement(parsing: placement) }
        } catch {
            throw ValidationError("\(error)")
        }
        return loaded
    }

    /// Puts Hangar's threads and the processes it starts on the CPUs the config names (opt-in),
    /// and sets how each server is placed within its CPUs (auto: one CPU for a Python server):
    /// see ``CPUAffinity`` and ``CPUPlacement``.
    private func placeOnCPUs(_ config: GatewayConfig) throws {
        if let upstream = config.upstreamCPUs { CPUAffinity.childCPUs = upstream }
        if let placement = config.placement { CPUAffinity.serverPlacement = placement }
        guard let own = config.cpus else { return }
        do { try CPUAffinity.pinProcess(to: own) } catch { throw ValidationError("\(error)") }
    }

    func makeLogger(default level: Logger.Level = .info) -> Logger {
        let raw = logLevel ?? ProcessInfo.processInfo.environment["HANGAR_LOG_LEVEL"]
        var logger = Logger(label: "hangar") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = raw.flatMap(Logger.Level.init(rawValue:)) ?? level
        return logger
    }
}

/// Runs `body` while the gateway (and its upstreams) run; stops everything when `body` returns.
func withGateway<T: Sendable>(_ gateway: Gateway, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await gateway.run()
            return nil
        }
        group.addTask { try await body() }
        defer { group.cancelAll() }
        while let next = try await group.next() {
            if let value = next {
                group.cancelAll()
                return value
            }
        }
        throw CancellationError()
    }
}

/// Runs `body` until it returns or the process gets SIGTERM or SIGINT. A signal cancels
/// `body` and waits for it, so what it started ends in order instead of dying with the process.
func untilTerminated(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask { for await _ in signals { return } }
        try await group.next()
        group.cancelAll()
        try await group.waitForAll()
    }
}
