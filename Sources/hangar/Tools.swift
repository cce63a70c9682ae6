import ArgumentParser
import HangarCore
import HangarGateway

struct Tools: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the exposed tools, their upstream server and original name.")

    @OptionGroup var options: GatewayOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() async throws {
        let config = try options.loadConfig()
        let gateway = Gateway(config: config, logger: options.makeLogger(default: .error))
        let (catalog, statuses) = try await withGateway(gateway) {
            await gateway.waitUntilReady(timeout: config.startupWait)
            return (gateway.catalog, gateway.pool.upstreams.map { ($0.name, $0.status) })
        }
        if json {
            let tools: [JSONValue] = catalog.tools.map {
                ["name": .string($0.exposedName), "server": .string($0.server), "originalName": .string($0.originalName),
                 "description": $0.definition["description"] ?? .null]
            }
            var servers = JSONObject()
            for (name, s) in statuses {
                servers[name] = ["state": .string(s.state.rawValue), "error": s.lastError.map(JSONValue.string) ?? .null]
            }
            print(JSONWriter.string(["tools": .array(tools), "collisions": .array(catalog.collisions.map { .string($0) }), "servers": .object(servers)]))
            return
        }
        let width = max(4, catalog.tools.map(\.exposedName.count).max() ?? 0)
        let serverWidth = max(6, catalog.tools.map(\.server.count).max() ?? 0)
        print("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  " + "SERVER".padding(toLength: serverWidth, withPad: " ", startingAt: 0) + "  ORIGINAL")
        for t in catalog.tools {
            print(t.exposedName.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + t.server.padding(toLength: serverWidth, withPad: " ", startingAt: 0) + "  " + t.originalName)
        }
        for c in catalog.collisions { print("collision: \(c)") }
        for (name, s) in statuses where s.state != .ready {
            print("server \(name) is \(s.state.rawValue)\(s.lastError.map { ": \($0)" } ?? "")")
        }
    }
}
