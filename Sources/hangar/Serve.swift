import ArgumentParser
import Foundation
import HangarGateway
import HangarPolicy
import HangarSandbox
import HangarServer
import HangarUpstream
import Hummingbird

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon: one MCP endpoint at http://HOST:PORT/mcp.")

    @OptionGroup var options: GatewayOptions

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8700; 0 picks a free one).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Where Hangar keeps its state (default ~/.hangar or HANGAR_DATA_DIR).")
    var dataDir: String?

    @Option(help: "local: loopback clients without credentials act as the local admin (loopback addresses only); required: every request needs an API key or token.")
    var auth: PolicyConfig.AuthMode?

    func run() async throws {
        var config = try options.loadConfig()
        if let host { config.host = host }
        if let port { config.port = port }
        if let dataDir { config.dataDirectory = dataDir }
        if let auth { config.policy.auth = auth }
        if config.policy.auth == .local, !HangarRequestContext.isLoopback(config.host) {
            throw ValidationError("--auth local lets unauthenticated clients in as admin, so it only works on a loopback address; \(config.host) is not one. Use --auth required (and create keys with `hangar keys create`), or listen on 127.0.0.1")
        }
        let logger = options.makeLogger()
        config.policy.permissions.rules += ManagementTools.defaultRules(userTools: ManagementTools.userTools)
        let policy = try await openPolicy(config)
        if config.policy.auth == .required, let keyring = policy.keyring,
           try await !keyring.list().contains(where: { $0.role == "admin" && $0.revokedMs == nil }) {
            // Under --auth required nobody could create the first key: make it, and show it once.
            let (record, key) = try await keyring.create(name: "first admin", role: .admin)
            policy.record(AuditEntry(identity: "hangar", action: "admin.keys.create", target: record.id, outcome: "ok", detail: "first admin key"))
            FileHandle.standardOutput.write(Data("hangar: created the first admin key (shown only now; keep it, e.g. export HANGAR_KEY=...): \(key)\n".utf8))
        }
        let gateway = Gateway(config: config, policy: policy, logger: logger)
        let probe = await SandboxProbe.run()
        let hosted = HostedServers(gateway: gateway, store: policy.store!, dataDirectory: config.dataDirectory, probe: probe, logger: logger)
        let catalog = CatalogService(store: policy.store!, gateway: gateway, hosted: hosted, logger: logger)
        let management = ManagementTools(hosted: hosted, policy: policy, extra: ManagementTools.catalogTools(catalog))
        if config.managementTools, gateway.addServer(UpstreamConfig(name: ManagementTools.serverName, transport: .inProcess(management))) == nil {
            logger.warning("a configured server is named '\(ManagementTools.serverName)'; Hangar's management tools are not offered on the endpoint")
        }
        let server = HangarHTTPServer(gateway: gateway, hosted: hosted, catalog: catalog, logger: logger)
        let startupWait = config.startupWait
        let (host, port) = (config.host, config.port)
        let hostedEntries = config.hosted
        try await withGateway(gateway) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await hosted.run() }
                try await hosted.restore()
                await hosted.addFromConfig(hostedEntries)
                try await catalog.restore()
                await gateway.waitUntilReady(timeout: startupWait)
                let app = server.application(host: host, port: port) { bound in
                    let shown = host.contains(":") ? "[\(host)]" : host
                    FileHandle.standardOutput.write(Data("hangar listening on http://\(shown):\(bound)/mcp\n".utf8))
                    PageRelease.now(logger, "start-up is over")
                }
                group.addTask { await PageRelease.whileIdle(logger) }
                try await app.runService()
                group.cancelAll()
            }
        }
    }

}

extension PolicyConfig.AuthMode: ExpressibleByArgument {}
