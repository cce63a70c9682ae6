import HangarCore

/// What an uploaded package says about how to run it, from `hangar.json` at the archive root
/// or, when that is absent, from a registry `server.json`. Its fields map one to one onto a
/// hosted workload's spec: command, environment, network, limits, port and time to live.
public struct PackageManifest: Sendable, Hashable {
    /// Which file the manifest came from.
    public enum Source: String, Sendable, Hashable {
        case hangarJSON = "hangar.json"
        case serverJSON = "server.json"
    }

    /// What the server may reach on the network.
    public enum Network: Sendable, Hashable {
        /// No network at all (the default).
        case none
        /// Only these hosts (`host` or `host:port`).
        case allowlist([String])
    }

    public var source: Source
    /// The workload name: 1-64 characters of `A-Z a-z 0-9 . _ -`, not starting with a dot.
    public var name: String
    /// The executable (a file in the package, or an interpreter such as `python3`) and its arguments.
    public var command: [String]
    public var environment: [String: String]
    public var description: String?
    public var version: String?
    public var network: Network
    public var memoryBytes: Int?
    /// CPU share in cores (0.5 = half a core).
    public var cpus: Double?
    public var maxProcesses: Int?
    /// The server speaks HTTP and needs a port in `PORT`.
    public var needsPort: Bool
    public var timeToLive: Duration?
    /// Keys this version does not know, kept as they were.
    public var otherKeys: JSONObject

    /// Interpreters a command may start with by bare name; anything else must be a file in the package.
    public static let interpreters: Set<String> = [
        "python", "python3", "node", "deno", "bun", "npx", "sh", "bash", "uv", "uvx", "ruby", "perl", "php", "java",
    ]

    static let fileNames: Set<String> = ["hangar.json", "server.json"]

    /// Parses and validates the manifest among the archive's root files.
    init(files: [String: [UInt8]], entries: [PackageEntry], limits: PackageLimits) throws(PackageError) {
        let source: Source
        if files["hangar.json"] != nil { source = .hangarJSON } else if files["server.json"] != nil { source = .serverJSON } else {
            throw PackageError(.missingManifest, "the archive has no hangar.json (or server.json) at its root; add one such as {\"name\": \"my-server\", \"command\": [\"python3\", \"server.py\"]}")
        }
        let bytes = files[source.rawValue] ?? []
        guard bytes.count <= limits.maxManifestBytes else {
            throw Self.invalid(source, "is larger than \(limits.maxManifestBytes) bytes")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: JSONLimits(maxMessageBytes: limits.maxManifestBytes, maxDepth: 16, maxContainerCount: 1_000))
        } catch {
            throw Self.invalid(source, "is not valid JSON: \(error.description)")
        }
        guard let object = value.objectValue else { throw Self.invalid(source, "must be a JSON object, not \(value.typeName)") }
        var files: [String: PackageEntry] = [:]
        for entry in entries where entry.kind != .directory { files[entry.path] = entry }
        switch source {
        case .hangarJSON: try self.init(hangarJSON: object, files: files)
        case .serverJSON: try self.init(serverJSON: object, files: files)
        }
    }

    private init(hangarJSON object: JSONObject, files: [String: PackageEntry]) throws(PackageError) {
        var fields = ManifestFields(object, source: .hangarJSON)
        let name = try fields.string("name", required: true) ?? ""
        guard Self.isValidName(name) else {
            throw Self.invalid(.hangarJSON, "name '\(name)' must be 1-64 characters of A-Z a-z 0-9 . _ - and not start with '.'")
        }
        let command = try fields.stringList("command") ?? []
        guard !command.isEmpty, !command[0].isEmpty else {
            throw Self.invalid(.hangarJSON, "command must be a non-empty list of strings")
        }
        self.init(source: .hangarJSON, name: name, command: command)
        environment = try fields.stringMap("env") ?? [:]
        description = try fields.string("description")
        version = try fields.string("version")
        network = try fields.network("network")
        memoryBytes = try fields.byteCount("memory")
        cpus = try fields.positiveNumber("cpus")
        maxProcesses = try fields.positiveInt("pids")
        needsPort = try fields.bool("port") ?? false
        timeToLive = try fields.positiveNumber("ttlSeconds").map { Duration.seconds($0) }
        otherKeys = fields.unread
        try checkCommand(files: files)
    }

    init(source: Source, name: String, command: [String]) {
        self.source = source
        self.name = name
        self.command = command
        environment = [:]
        network = .none
        needsPort = false
        otherKeys = [:]
    }

    /// `command[0]` names a file of the package or a known interpreter; a script argument after
    /// an interpreter must be a file of the package too.
    func checkCommand(files: [String: PackageEntry]) throws(PackageError) {
        let executable = command[0]
        if executable.contains("/") {
            guard let path = Self.packagePath(executable), let entry = files[path] else {
                throw Self.invalid(source, "command[0] '\(executable)' is not a file in the archive")
            }
            if entry.kind == .file, entry.mode & 0o111 == 0 {
                throw Self.invalid(source, "command[0] '\(executable)' is not executable in the archive; set its execute bit or start it with an interpreter")
            }
        } else if !Self.interpreters.contains(executable) {
            throw Self.invalid(source, "command[0] '\(executable)' is neither a file in the archive (write './\(executable)' for one at the root) nor a known interpreter (\(Self.interpreters.sorted().joined(separator: ", ")))")
        }
        if command.count > 1, Self.interpreters.contains(executable), Self.looksLikeScript(command[1]) {
            guard let path = Self.packagePath(command[1]), files[path] != nil else {
                throw Self.invalid(source, "command[1] '\(command[1])' is not a file in the archive")
            }
        }
    }

    /// A relative command path as an archive path (`./bin/server` -> `bin/server`); nil if it leaves the package.
    static func packagePath(_ text: String) -> String? {
        guard !text.hasPrefix("/") else { return nil }
        let parts = text.split(separator: "/").filter { $0 != "." }
        guard !parts.isEmpty, !parts.contains("..") else { return nil }
        return parts.joined(separator: "/")
    }

    static func looksLikeScript(_ argument: String) -> Bool {
        guard !argument.hasPrefix("-") else { return false }
        return [".py", ".js", ".mjs", ".cjs", ".ts", ".sh", ".rb", ".pl", ".php", ".jar"].contains { argument.hasSuffix($0) }
    }

    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), !name.hasPrefix(".") else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0)) }
    }

    static func invalid(_ source: Source, _ message: String) -> PackageError {
        PackageError(.invalidManifest, "\(source.rawValue): \(message)", entry: source.rawValue)
    }
}
