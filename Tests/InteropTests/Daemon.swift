import Foundation
import HangarCore
import HangarTransport
import Testing

/// `hangar serve` started as a user starts it, on a free port, with a given config.
struct Daemon {
    let process: TestProcess
    let url: String
    let directory: String
    /// The first admin key, printed once when the daemon starts under `--auth required`.
    var adminKey: String?

    /// Starts a second daemon on the first one's config and data (the first has exited).
    static func start(reusing previous: Daemon) async throws -> Daemon {
        try await start(in: previous.directory)
    }

    /// Starts a daemon on the config (`hangar.json`) and data (`data/`) in `directory`.
    static func start(in directory: String) async throws -> Daemon {
        try await launch(directory: directory, extraArguments: [])
    }

    static func start(servers: JSONValue, gateway: JSONValue = [:], policy: JSONValue? = nil, hosted: JSONValue? = nil,
                      extraArguments: [String] = []) async throws -> Daemon {
        let dir = try TestEnvironment.temporaryDirectory()
        let configPath = dir + "/hangar.json"
        var config: JSONObject = ["mcpServers": servers, "gateway": gateway]
        if let policy { config["policy"] = policy }
        if let hosted { config["hosted"] = hosted }
        try TestEnvironment.write(.object(config), to: configPath)
        return try await launch(directory: dir, extraArguments: extraArguments)
    }

    private static func launch(directory dir: String, extraArguments: [String]) async throws -> Daemon {
        let configPath = dir + "/hangar.json"
        // PyPI servers' template venvs are shared by the tests' daemons: pip runs once per version.
        let process = try await TestProcess.start(TestEnvironment.hangar,
                                                  ["serve", "--config", configPath, "--port", "0", "--data-dir", dir + "/data"] + extraArguments,
                                                  environment: ["HANGAR_PACKAGE_CACHE": NSTemporaryDirectory() + "hangar-test-packages"])
        guard let line = await process.waitForLine(timeout: .seconds(60), { $0.hasPrefix("hangar listening on ") }) else {
            let err = process.stderrLines.suffix(20).joined(separator: "\n")
            await process.stop()
            throw DaemonError(message: "hangar serve did not start; stderr:\n\(err)")
        }
        let marker = "created the first admin key"
        let keyLine = process.stdoutLines.first { $0.contains(marker) }
        let adminKey = keyLine.flatMap { $0.split(separator: " ").last.map(String.init) }
        return Daemon(process: process, url: String(line.dropFirst("hangar listening on ".count)), directory: dir, adminKey: adminKey)
    }

    func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var client: StreamableHTTPClient { StreamableHTTPClient(url: url, limits: .upstream) }

    /// A modern request with the headers and `_meta` the spec requires.
    static func modernRequest(id: Int64 = 1, _ method: String, _ params: JSONObject = [:]) -> (body: [UInt8], headers: [(String, String)]) {
        var params = params
        // A test may give its own client capabilities in `_meta`; the protocol version is always set.
        var meta = params["_meta"]?.objectValue ?? [MetaKey.clientCapabilities: [:]]
        meta[MetaKey.protocolVersion] = .string(ProtocolVersion.modern)
        params["_meta"] = .object(meta)
        var headers = [("MCP-Protocol-Version", ProtocolVersion.modern), ("Mcp-Method", method)]
        if let name = params["name"]?.stringValue ?? params["uri"]?.stringValue { headers.append(("Mcp-Name", name)) }
        let body = JSONRPCMessage.request(.init(id: .int(id), method: method, params: .object(params))).serialized()
        return (body, headers)
    }

    /// Sends a modern request and returns (HTTP status, response JSON).
    func modern(_ method: String, _ params: JSONObject = [:], id: Int64 = 1, timeout: Duration = .seconds(30)) async throws -> (Int, JSONValue) {
        let (body, headers) = Self.modernRequest(id: id, method, params)
        return try await post(body, headers: headers, timeout: timeout)
    }

    /// The daemon's base URL (without /mcp), for the admin API and the CLI's --url.
    var baseURL: String { String(url.dropLast(4)) }

    func post(_ body: [UInt8], headers: [(String, String)] = [], timeout: Duration = .seconds(30)) async throws -> (Int, JSONValue) {
        let reply = try await client.send(.post, body: body, extraHeaders: headers, timeout: timeout)
        switch reply.body {
        case .json(let json): return (reply.status, json)
        case .jsonText(let bytes): return (reply.status, try JSONParser.parse(bytes, limits: .upstream))
        case .empty: return (reply.status, .null)
        case .text(let t): return (reply.status, .string(t))
        case .events(let events):
            var last: JSONValue = .null
            for try await e in events { last = e }
            return (reply.status, last)
        }
    }

    /// Opens a legacy session; returns its id.
    func initializeLegacy(version: String = ProtocolVersion.latestLegacy) async throws -> String {
        let body = JSONRPCMessage.request(.init(id: .int(1), method: MCPMethod.initialize, params: [
            "protocolVersion": .string(version), "capabilities": [:], "clientInfo": ["name": "test", "version": "1"],
        ])).serialized()
        let reply = try await client.send(.post, body: body, timeout: .seconds(30))
        guard reply.status == 200, let sid = reply.header("mcp-session-id") else {
            throw DaemonError(message: "initialize answered \(reply.status)")
        }
        let initialized = JSONRPCMessage.notification(.init(method: MCPMethod.initialized)).serialized()
        _ = try await client.send(.post, body: initialized, extraHeaders: [("Mcp-Session-Id", sid), ("MCP-Protocol-Version", version)], timeout: .seconds(10))
        return sid
    }

    func legacy(session: String, _ method: String, _ params: JSONValue = [:], id: Int64 = 2, version: String = ProtocolVersion.latestLegacy) async throws -> (Int, JSONValue) {
        let body = JSONRPCMessage.request(.init(id: .int(id), method: method, params: params)).serialized()
        return try await post(body, headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", version)])
    }

    /// A config entry for the fast Swift upstream.
    static func fastServer(_ arguments: [String] = [], timeoutSeconds: Double? = nil) -> JSONValue {
        var o: JSONObject = ["command": .string(TestEnvironment.fastUpstream), "args": .array(arguments.map { .string($0) })]
        if let timeoutSeconds { o["timeoutSeconds"] = .double(timeoutSeconds) }
        return .object(o)
    }
}

struct DaemonError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs the official Python SDK client script and returns its JSON output.
func runSDKClient(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> JSONValue {
    let process = try await TestProcess.start(TestEnvironment.python, [TestEnvironment.script("sdk_client.py")] + arguments)
    let status = await process.waitForExit(timeout: timeout)
    _ = await process.waitForEndOfOutput()
    let line = process.stdoutLines.last { $0.hasPrefix("{") }
    guard let line else {
        throw DaemonError(message: "sdk_client exited \(status.map(String.init) ?? "by timeout") without output; stderr: \(process.stderrLines.suffix(10).joined(separator: "\n"))")
    }
    return try JSONParser.parse(line, limits: .upstream)
}
