import HangarCore

/// What installing a catalog entry means, worked out before anything changes: how the
/// server runs, which values the user must give (secrets go to the vault and appear only
/// as `${secret:NAME}`), and what it asks for (network domains, folders) to consent to.
public struct InstallPlan: Sendable, Hashable {
    public enum Runtime: Sendable, Hashable {
        /// A PyPI package run in the sandbox; `arguments` go after its entry point.
        case pypi(package: String, version: String?, arguments: [String], environment: [String: String])
        /// A remote MCP server over HTTP; header values may hold `${secret:NAME}`.
        case remote(url: String, headers: [String: String])
    }

    /// A value the user gives at install time.
    public struct Input: Sendable, Hashable {
        /// What the user names it by (`--secret KEY=VALUE`, `"secrets": {KEY: VALUE}`).
        public var key: String
        public var description: String
        public var isSecret: Bool
        public var isRequired: Bool
        public var defaultValue: String?
    }

    public var entry: String
    public var version: String
    public var server: String
    public var runtime: Runtime
    /// Vault secrets to store before the server starts: vault name -> value.
    public var secrets: [String: String]
    public var domains: [String]
    public var folders: [String]

    /// The values an entry asks for at install time.
    public static func inputs(for document: ServerDocument) throws(CatalogError) -> [Input] {
        var builder = Builder(server: "x", values: [:], collectOnly: true)
        _ = try builder.runtime(for: document)
        return builder.inputs
    }

    /// The plan for installing `document` as `server` with the user's values.
    public static func make(_ document: ServerDocument, server: String, values: [String: String]) throws(CatalogError) -> InstallPlan {
        var builder = Builder(server: server, values: values, collectOnly: false)
        let runtime = try builder.runtime(for: document)
        let missing = builder.inputs.filter { $0.isRequired && $0.defaultValue == nil && values[$0.key] == nil }
        if !missing.isEmpty {
            let list = missing.map { "\($0.key) (\($0.description.isEmpty ? ($0.isSecret ? "secret" : "value") : $0.description))" }
            throw CatalogError(.invalid, "\(document.name) needs \(list.joined(separator: ", ")); give each in \"secrets\" (CLI: --secret KEY=VALUE)")
        }
        return InstallPlan(entry: document.name, version: document.version, server: server, runtime: runtime, secrets: builder.secrets,
                           domains: document.hangar.network, folders: document.hangar.folders)
    }

    /// The vault name of one secret of one installed server.
    public static func vaultName(server: String, key: String) -> String {
        let safe = key.map { c -> Character in c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == ".") ? c : "_" }
        return String(("catalog.\(server)." + String(safe)).prefix(128))
    }

    /// 1-64 characters from `A-Z a-z 0-9 . _ -`, not starting with a dot (as hosted servers).
    public static func isValidServerName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), !name.hasPrefix(".") else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }

    /// A server name from an entry name: the part after the slash, in the characters a
    /// workload name allows.
    public static func defaultServerName(for entry: String) -> String {
        let last = entry.split(separator: "/").last.map(String.init) ?? entry
        let cleaned = String(last.map { c -> Character in c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == ".") ? c : "-" })
        return String(cleaned.drop { $0 == "." }.prefix(64))
    }

    private struct Builder {
        let server: String
        let values: [String: String]
        let collectOnly: Bool
        var inputs: [Input] = []
        var secrets: [String: String] = [:]

        mutating func runtime(for document: ServerDocument) throws(CatalogError) -> Runtime {
            if let package = document.packages.first(where: { $0["registryType"]?.stringValue == "pypi" }) {
                var environment: [String: String] = [:]
                for v in package["environmentVariables"]?.arrayValue ?? [] {
                    guard let name = v["name"]?.stringValue else { continue }
                    if let value = try resolve(v, key: name) { environment[name] = value }
                }
                var arguments: [String] = []
                for a in package["packageArguments"]?.arrayValue ?? [] {
                    let key = String((a["name"]?.stringValue ?? a["valueHint"]?.stringValue ?? "argument").trimmingPrefix("--"))
                    guard let value = try resolve(a, key: key) else { continue }
                    if a["type"]?.stringValue == "named", let flag = a["name"]?.stringValue { arguments.append(flag) }
                    arguments.append(value)
                }
                return .pypi(package: package["identifier"]?.stringValue ?? "", version: package["version"]?.stringValue,
                             arguments: arguments, environment: environment)
            }
            if let remote = document.remotes.first(where: { ["streamable-http", "sse"].contains($0["type"]?.stringValue ?? "") }),
               let url = remote["url"]?.stringValue {
                var headers: [String: String] = [:]
                for h in remote["headers"]?.arrayValue ?? [] {
                    guard let name = h["name"]?.stringValue else { continue }
                    if let value = try resolve(h, key: name) { headers[name] = value }
                }
                return .remote(url: url, headers: headers)
            }
            let kinds = document.packages.compactMap { $0["registryType"]?.stringValue }
            throw CatalogError(.invalid, "\(document.name) runs as \(kinds.isEmpty ? "nothing Hangar knows" : kinds.joined(separator: "/") + " package"); Hangar installs PyPI packages and remote (streamable-http) servers from the catalog. Host it by hand with `hangar add NAME -- COMMAND` instead")
        }

        /// One input field (env var, header, argument): its final value, with secrets as
        /// vault references; nil when it is optional and not given.
        mutating func resolve(_ field: JSONValue, key: String) throws(CatalogError) -> String? {
            if let template = field["value"]?.stringValue {
                var out = template
                for (name, variable) in field["variables"]?.objectValue ?? [:] {
                    let value = try take(variable, key: name) ?? ""
                    out = out.replacingOccurrences(of: "{\(name)}", with: value)
                }
                return out
            }
            return try take(field, key: key)
        }

        mutating func take(_ field: JSONValue, key: String) throws(CatalogError) -> String? {
            let input = Input(key: key, description: field["description"]?.stringValue ?? "", isSecret: field["isSecret"]?.boolValue ?? false,
                              isRequired: field["isRequired"]?.boolValue ?? false, defaultValue: field["default"]?.stringValue)
            if !inputs.contains(where: { $0.key == key }) { inputs.append(input) }
            guard !collectOnly, let given = values[key] ?? input.defaultValue else { return nil }
            if input.isSecret {
                let vault = InstallPlan.vaultName(server: server, key: key)
                secrets[vault] = given
                return "${secret:\(vault)}"
            }
            guard !given.contains("${") else { throw CatalogError(.invalid, "\(key) may not contain \"${\"") }
            return given
        }
    }
}
