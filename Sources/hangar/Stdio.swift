import ArgumentParser
import HangarGateway
import HangarServer

struct Stdio: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the aggregated MCP endpoint on stdin/stdout (for a client's config).")

    @OptionGroup var options: GatewayOptions

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(default: .warning)
        let policy = try await openPolicy(config)
        let gateway = Gateway(config: config, policy: policy, logger: logger)
        let downstream = StdioDownstream(gateway: gateway, logger: logger)
        try await withGateway(gateway) {
            await gateway.waitUntilReady(timeout: config.startupWait)
            PageRelease.now(logger, "start-up is over")
            // A client that stops its server with SIGTERM (or a Ctrl-C) gets the same orderly
            // end as one that closes stdin: queued audit records are written, upstreams stopped.
            try await untilTerminated { try await downstream.run() }
        }
    }
}
