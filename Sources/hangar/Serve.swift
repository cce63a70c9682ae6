import ArgumentParser
import Foundation
import HangarGateway
import HangarServer
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

    func run() async throws {
        var config = try options.loadConfig()
        if let host { config.host = host }
        if let port { config.port = port }
        if let dataDir { config.dataDirectory = dataDir }
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let logger = options.makeLogger()
        let gateway = Gateway(config: config, logger: logger)
        let server = HangarHTTPServer(gateway: gateway, logger: logger)
        let startupWait = config.startupWait
        let (host, port) = (config.host, config.port)
        try await withGateway(gateway) {
            await gateway.waitUntilReady(timeout: startupWait)
            let app = server.application(host: host, port: port) { bound in
                let shown = host.contains(":") ? "[\(host)]" : host
                FileHandle.standardOutput.write(Data("hangar listening on http://\(shown):\(bound)/mcp\n".utf8))
            }
            try await app.runService()
        }
    }
}
