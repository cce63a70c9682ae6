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
            try await downstream.run()
        }
    }
}
