import Foundation
import HangarCore
import HangarTransport
import HangarUpstream
import Yams

extension GatewayConfig {
    /// Reads a config file: JSON or YAML, Claude Desktop's `{"mcpServers": {...}}` shape or Hangar's own.
    public static func load(path: String) throws -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("cannot read config file '\(path)'")
        }
        let root: JSONValue
        let text = String(decoding: data, as: UTF8.self)
        if text.drop(while: \.isWhitespace).first == "{" {
            do { root = try JSONParser.parse(Array(data), limits: .upstream) } catch {
                throw ConfigError("config file '\(path)' is not valid JSON: \(error)")
            }
        } else {
            do {
                guard let node = try Yams.compose(yaml: text) else { throw ConfigError("config file '\(path)' is empty") }
                root = JSONValue(yaml: node)
            } catch let e as ConfigError { throw e } catch {
                throw ConfigError("config file '\(path)' is not valid YAML: \(error)")
            }
        }
        return try parse(root)
    }

    /// Builds a config from its JSON form (see README.md for every key).
    public static func parse(_ root: JSONValue) throws -> GatewayConfig {
        guard case .object(let top) = root else { throw ConfigError("the config must be an object with \"mcpServers\"") }
        var config = GatewayConfig()
        if let gateway = top["gateway"] {
            guard case .object(let g) = gateway else { throw ConfigError("\"gateway\" must be an object") }
            try config.applyGateway(g)
        }
        if let policy = top["policy"] { config.policy = try PolicyConfig.parse(policy) }
        if let hosted = top["hosted"] {
            guard case .object(let entries) = hosted else { throw ConfigError("\"hosted\" must be an object of NAME: server to host in the sandbox") }
            config.hosted = entries
        }
        let serversValue = top["mcpServers"] ?? top["servers"] ?? [:]
        guard case .object(let servers) = serversValue else { throw ConfigError("\"mcpServers\" must be an object of NAME: server") }
        let defaultTimeout = config.requestTimeout
        for (name, value) in servers {
            config.servers.append(try parseServer(name: name, value, defaultTimeout: defaultTimeout))
        }
        return config
    }

    private mutating func applyGateway(_ g: JSONObject) throws {
        for (key, value) in g {
            switch key {
            case "host": host = try string(value, key)
            case "port": port = Int(try int(value, key))
            case "dataDir", "dataDirectory": dataDirectory = try string(value, key)
            case "separator":
                naming.separator = try string(value, key)
                if naming.separator.isEmpty { throw ConfigError("gateway.separator must not be empty") }
            case "prefixTools", "prefix": naming.prefix = try bool(value, key)
            case "pageSize": pageSize = Int(try int(value, key))
            case "managementTools": managementTools = try bool(value, key)
            case "listTTLms": listTTLMilliseconds = Int(try int(value, key))
            case "requestTimeoutSeconds": requestTimeout = .milliseconds(Int64(try number(value, key) * 1000))
            case "startupWaitSeconds": startupWait = .milliseconds(Int64(try number(value, key) * 1000))
            case "allowedOrigins":
                guard let list = value.arrayValue?.compactMap(\.stringValue) else { throw ConfigError("gateway.allowedOrigins must be a list of strings") }
                allowedOrigins = list
            case "maxMessageBytes": limits.maxMessageBytes = Int(try int(value, key))
            case "maxDepth": limits.maxDepth = Int(try int(value, key))
            case "maxBatch": limits.maxBatchCount = Int(try int(value, key))
            case "cpus": cpus = try cpuList(value, "gateway.\(key)")
            case "upstreamCPUs": upstreamCPUs = try cpuList(value, "gateway.\(key)")
            case "placement": placement = try placementValue(value, "gateway.\(key)")
            default: throw ConfigError("unknown key gateway.\(key)")
            }
        }
    }

    private static func parseServer(name: String, _ value: JSONValue, defaultTimeout: Duration) throws -> UpstreamConfig {
        guard !name.isEmpty else { throw ConfigError("a server name must not be empty") }
        guard case .object(let s) = value else { throw ConfigError("mcpServers.\(name) must be an object") }
        var timeout = defaultTimeout
        if let t = s["timeoutSeconds"] {
            guard let seconds = t.doubleValue, seconds > 0 else { throw ConfigError("mcpServers.\(name).timeoutSeconds must be a positive number") }
            timeout = .milliseconds(Int64(seconds * 1000))
        }
        let type = s["type"]?.stringValue ?? s["transport"]?.stringValue
        if type == "sse" {
            throw ConfigError("mcpServers.\(name): the deprecated HTTP+SSE transport is not supported; use Streamable HTTP (\"url\")")
        }
        if let url = s["url"] {
            guard let url = url.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigError("mcpServers.\(name).url must be an http:// or https:// URL")
            }
            var headers: [(String, String)] = []
            for (k, v) in s["headers"]?.objectValue ?? [:] {
                guard let v = v.stringValue else { throw ConfigError("mcpServers.\(name).headers.\(k) must be a string") }
                headers.append((k, v))
            }
            return UpstreamConfig(name: name, transport: .http(url: url, headers: headers), requestTimeout: timeout)
        }
        guard let command = s["command"]?.stringValue, !command.isEmpty else {
            throw ConfigError("mcpServers.\(name) needs \"command\" (a stdio server) or \"url\" (an HTTP server)")
        }
        var args: [String] = []
        if let a = s["args"] {
            guard let list = a.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw ConfigError("mcpServers.\(name).args must be a list of strings")
            }
            args = list.compactMap(\.stringValue)
        }
        var env = inheritedEnvironment()
        for (k, v) in s["env"]?.objectValue ?? [:] {
            switch v {
            case .string(let str): env[k] = str
            case .int, .double, .bool: env[k] = JSONWriter.string(v)
            default: throw ConfigError("mcpServers.\(name).env.\(k) must be a string")
            }
        }
        let cwd = s["cwd"]?.stringValue
        var spec = ProcessSpec(command: command, arguments: args, environment: env, workingDirectory: cwd)
        if let cpus = s["cpus"] {
            spec.cpus = try cpuList(cpus, "mcpServers.\(name).cpus")
            spec.placement = .any  // the CPUs it names, all of them, unless it also asks for one
        }
        if let placement = s["placement"] { spec.placement = try placementValue(placement, "mcpServers.\(name).placement") }
        return UpstreamConfig(name: name, transport: .stdio(spec), requestTimeout: timeout)
    }

    /// The part of the daemon's environment a child sees (as Claude Desktop does): enough to run,
    /// never the daemon's own secrets.
    static func inheritedEnvironment() -> [String: String] {
        let keep = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SHELL", "TERM"]
        let env = ProcessInfo.processInfo.environment
        var out: [String: String] = [:]
        for key in keep { if let v = env[key] { out[key] = v } }
        if out["PATH"] == nil { out["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return out
    }
}

/// A CPU list: Linux's text form (`"0-3,6"`), one number, or a list of numbers.
func cpuList(_ v: JSONValue, _ key: String) throws -> [Int] {
    let text: String
    switch v {
    case .string(let s): text = s
    case .int(let i): text = String(i)
    case .array(let items) where !items.isEmpty && items.allSatisfy({ $0.intValue != nil }):
        text = items.compactMap(\.intValue).map(String.init).joined(separator: ",")
    default: throw ConfigError("\(key) must be a CPU list such as \"0-3,6\", a number or a list of numbers")
    }
    do { return try CPUAffinity.parse(text) } catch { throw ConfigError("\(key): \(error)") }
}

func placementValue(_ v: JSONValue, _ key: String) throws -> CPUPlacement {
    guard let text = v.stringValue else { throw ConfigError("\(key) must be \"auto\", \"one-cpu\" or \"any\"") }
    do { return try CPUPlacement(parsing: text) } catch { throw ConfigError("\(key): \(error)") }
}

private func string(_ v: JSONValue, _ key: String) throws -> String {
    guard let s = v.stringValue else { throw ConfigError("gateway.\(key) must be a string") }
    return s
}
private func int(_ v: JSONValue, _ key: String) throws -> Int64 {
    guard let i = v.intValue else { throw ConfigError("gateway.\(key) must be an integer") }
    return i
}
private func number(_ v: JSONValue, _ key: String) throws -> Double {
    guard let d = v.doubleValue else { throw ConfigError("gateway.\(key) must be a number") }
    return d
}
private func bool(_ v: JSONValue, _ key: String) throws -> Bool {
    guard let b = v.boolValue else { throw ConfigError("gateway.\(key) must be true or false") }
    return b
}

extension JSONValue {
    /// A YAML node as JSON, keeping mapping order; plain scalars are resolved by YAML's core schema.
    init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if let b = node.bool { self = .bool(b); return }
                if let i = node.int { self = .int(Int64(i)); return }
                if let d = node.float { self = .double(d); return }
                if node.null != nil { self = .null; return }
            }
            self = .string(scalar.string)
        case .mapping(let mapping):
            var o = JSONObject()
            for (k, v) in mapping { o[k.string ?? "\(k)"] = JSONValue(yaml: v) }
            self = .object(o)
        case .sequence(let seq):
            self = .array(seq.map { JSONValue(yaml: $0) })
        case .alias:
            self = .null
        }
    }
}
