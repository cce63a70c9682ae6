import HangarCore

extension PackageManifest {
    /// A manifest from a registry `server.json` (either key style: `registryType`/`runtimeHint` or
    /// `registry_name`/`runtime_hint`). The command comes from the first package whose runtime
    /// hint and arguments point at a file of this archive; registry packages to download are
    /// not runnable from an upload, so without one the upload is refused.
    init(serverJSON object: JSONObject, files: [String: PackageEntry]) throws(PackageError) {
        var fields = ManifestFields(object, source: .serverJSON)
        let fullName = try fields.string("name", required: true) ?? ""
        let description = try fields.string("description")
        var version = try fields.string("version")
        if version == nil, let detail = object["version_detail"]?["version"]?.stringValue { version = detail }
        var derived: (command: [String], environment: [String: String])?
        for package in object["packages"]?.arrayValue ?? [] {
            if let found = Self.command(from: package, files: files) {
                derived = found
                break
            }
        }
        guard let derived else {
            throw Self.invalid(.serverJSON, "cannot derive a command from its packages (none has a runtime hint and arguments naming a file in this archive); add a hangar.json with \"command\", e.g. [\"python3\", \"server.py\"]")
        }
        self.init(source: .serverJSON, name: Self.workloadName(fromRegistryName: fullName), command: derived.command)
        self.description = description
        self.version = version
        environment = derived.environment
        otherKeys = fields.unread
        try checkCommand(files: files)
    }

    /// The last component of a registry name (`io.github.me/weather` -> `weather`), with
    /// characters a workload name cannot hold replaced by `-`.
    static func workloadName(fromRegistryName name: String) -> String {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        var cleaned = String(last.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)) ? Character(scalar) : "-"
        })
        while cleaned.hasPrefix(".") { cleaned.removeFirst() }
        return cleaned.isEmpty ? "server" : String(cleaned.prefix(64))
    }

    private static func command(from package: JSONValue, files: [String: PackageEntry]) -> (command: [String], environment: [String: String])? {
        guard let hint = (package["runtimeHint"] ?? package["runtime_hint"])?.stringValue, !hint.isEmpty else { return nil }
        var command = [hint]
        command += arguments(package["runtimeArguments"] ?? package["runtime_arguments"])
        command += arguments(package["packageArguments"] ?? package["package_arguments"])
        let namesAFile = command.contains { argument in packagePath(argument).map { files[$0] != nil } ?? false }
        guard namesAFile else { return nil }
        var environment: [String: String] = [:]
        for variable in (package["environmentVariables"] ?? package["environment_variables"])?.arrayValue ?? [] {
            if let name = variable["name"]?.stringValue, let value = (variable["value"] ?? variable["default"])?.stringValue {
                environment[name] = value
            }
        }
        return (command, environment)
    }

    /// Command-line words of registry arguments: a positional's value (or default), a named
    /// argument's name and value.
    private static func arguments(_ list: JSONValue?) -> [String] {
        var words: [String] = []
        for argument in list?.arrayValue ?? [] {
            let value = (argument["value"] ?? argument["default"])?.stringValue
            if argument["type"]?.stringValue == "named", let name = argument["name"]?.stringValue {
                words.append(name)
            }
            if let value { words.append(value) }
        }
        return words
    }
}
