import ArgumentParser
import HangarCore
import HangarGateway

struct Tools: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the exposed tools, their upstream server and original name.")

    @OptionGroup var options: GatewayOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    @Flag(help: "Ask the running daemon which tools drifted from their pinned definitions.")
    var drift = false

    @Option(help: "Approve a drifted tool's new definition on the running daemon: SERVER/TOOL (operator).")
    var approve: String?

    @Option(help: "The daemon's address for --drift/--approve (default: HANGAR_URL, else http://127.0.0.1:8700).")
    var url: String?

    @Option(help: "An API key for --drift/--approve (default: HANGAR_KEY).")
    var key: String?

    func run() async throws {
        if drift || approve != nil {
            var daemon = DaemonOptions()
            daemon.url = url
            daemon.key = key
            try await runDrift(daemon.client)
            return
        }
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

extension Tools {
    func runDrift(_ client: AdminClient) async throws {
        if let approve {
            guard let slash = approve.firstIndex(of: "/") else { throw CLIError("--approve takes SERVER/TOOL (the tool's name on its server)") }
            try await client.call(.POST, "tools/drift/approve",
                                  body: ["server": .string(String(approve[..<slash])), "tool": .string(String(approve[approve.index(after: slash)...]))])
            if json { print(#"{"approved":true}"#) } else { print("approved \(approve)") }
            return
        }
        let reply = try await client.call(.GET, "tools/drift")
        if json { print(JSONWriter.string(reply)); return }
        let drifts = reply["drift"]?.arrayValue ?? []
        print("pinning: \(reply["mode"]?.stringValue ?? "?"); \(drifts.count) drifted tool\(drifts.count == 1 ? "" : "s")")
        for d in drifts {
            let server = d["server"]?.stringValue ?? "", tool = d["tool"]?.stringValue ?? ""
            print("\(server)/\(tool) changed \(formatTime(d["changedMs"]))")
            for field in ["description", "inputSchema", "outputSchema", "annotations", "title"] {
                let before = d["pinned"]?[field], after = d["current"]?[field]
                if before != after {
                    print("  \(field): \(before.map { JSONWriter.string($0) } ?? "none") -> \(after.map { JSONWriter.string($0) } ?? "none")")
                }
            }
        }
    }
}
