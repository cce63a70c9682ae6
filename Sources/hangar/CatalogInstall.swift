import ArgumentParser
import Foundation
import HangarCore

struct CatalogInstall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install an entry: a PyPI package hosted in the sandbox, or a remote server (operator).",
        discussion: "Asks for the secrets the entry needs (or take them from --secret KEY=VALUE) and shows the network domains and folders it asks for before you consent.")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    @Option(name: .customLong("as"), help: "The server's name here (default: the part of the entry name after '/').") var server: String?
    @Option(name: .customLong("secret"), help: "KEY=VALUE for a value the entry asks for, repeatable (prefer the prompt: command lines end up in shell history).")
    var secrets: [String] = []
    @Flag(help: "Consent to the network domains and folders the entry asks for without asking.") var yes = false

    func run() async throws {
        let client = daemon.client
        let entry = try await client.call(.GET, catalogPath(name))
        var values: [String: String] = [:]
        for pair in secrets {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { throw ValidationError("--secret takes KEY=VALUE, not '\(pair.prefix(while: { $0 != "=" }))…'") }
            values[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        let interactive = isatty(0) != 0
        for input in entry["inputs"]?.arrayValue ?? [] {
            guard let key = input["key"]?.stringValue, values[key] == nil, input["isRequired"]?.boolValue == true, input["default"] == nil else { continue }
            guard interactive else { throw CLIError("\(name) needs \(key) (\(input["description"]?.stringValue ?? "")): give --secret \(key)=VALUE") }
            FileHandleOut.err("\(key) — \(input["description"]?.stringValue ?? ""):")
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIError("no value for \(key)") }
            values[key] = line
        }
        let network = (entry["permissions"]?["network"]?.arrayValue ?? []).compactMap(\.stringValue)
        let folders = (entry["permissions"]?["folders"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !(network.isEmpty && folders.isEmpty) {
            let asks = "\(name) asks for network: \(network.isEmpty ? "none" : network.joined(separator: ", ")); folders: \(folders.isEmpty ? "none" : folders.joined(separator: ", "))"
            if !yes {
                guard interactive else { throw CLIError("\(asks). Consent with --yes") }
                FileHandleOut.err("\(asks). Allow? [y/N]")
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { throw CLIError("not installed: consent refused") }
            } else if !daemon.json {
                print(asks)
            }
        }
        var body: JSONObject = ["secrets": .object(JSONObject(uniqueKeysWithValues: values.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
                                "acceptPermissions": .bool(true)]
        if let server { body["server"] = .string(server) }
        let reply = try await client.call(.POST, catalogPath(name, "install"), body: .object(body))
        if daemon.json { print(JSONWriter.string(reply)); return }
        let as_ = reply["server"]?.stringValue ?? ""
        print("installed \(name) as \(as_) (\(reply["kind"]?.stringValue ?? "")); its tools appear as \(as_)__TOOL once it runs")
        if let path = reply["instance"]?["path"]?.stringValue, let token = reply["instance"]?["token"]?.stringValue {
            print("instance endpoint: \(client.base)\(path)")
            print("instance token (shown only now; it opens only that endpoint): \(token)")
        }
    }
}

struct CatalogUninstall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Remove a server installed from the catalog, with its secrets (operator).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The server's name here.") var server: String

    func run() async throws {
        try await daemon.client.call(.DELETE, "catalog/installs/\(server)")
        if daemon.json { print(#"{"uninstalled":true}"#) } else { print("uninstalled \(server)") }
    }
}

struct CatalogInstalled: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "installed", abstract: "Servers installed from the catalog and the consent given (operator).")
    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        let reply = try await daemon.client.call(.GET, "catalog/installs")
        if daemon.json { print(JSONWriter.string(reply)); return }
        let rows = (reply["installs"]?.arrayValue ?? []).map { i -> [String] in
            let c = i["consent"]
            let asks = ((c?["network"]?.arrayValue ?? []) + (c?["folders"]?.arrayValue ?? [])).compactMap(\.stringValue)
            return [i["server"]?.stringValue ?? "", i["entry"]?.stringValue ?? "", i["kind"]?.stringValue ?? "",
                    c?["identity"]?.stringValue ?? "", formatTime(c?["atMs"]), asks.joined(separator: ",")]
        }
        printTable(["SERVER", "ENTRY", "KIND", "CONSENT BY", "AT", "PERMISSIONS"], rows)
    }
}

struct CatalogSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Pull entries from a registry speaking the official v0 API (operator).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The registry's base URL, e.g. https://registry.modelcontextprotocol.io or another Hangar.") var registry: String
    @Option(name: .customLong("registry-key"), help: "An API key for the registry (another Hangar under --auth required).") var registryKey: String?
    @Flag(help: "Ask for every entry, not only those changed since the last sync.") var full = false

    func run() async throws {
        var body: JSONObject = ["url": .string(registry)]
        if let registryKey { body["key"] = .string(registryKey) }
        if full { body["full"] = true }
        let reply = try await daemon.client.call(.POST, "catalog/sync", body: .object(body))
        if daemon.json { print(JSONWriter.string(reply)); return }
        let count = { (key: String) in reply[key]?.intValue ?? 0 }
        let since = reply["since"]?.stringValue.map { " changed since \($0)" } ?? ""
        print("synced \(count("synced")) entries\(since) from \(reply["registry"]?.stringValue ?? registry): "
              + "\(count("removed")) removed, \(count("unchanged")) unchanged, \(count("skipped")) skipped")
    }
}

struct CatalogRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove an entry from the catalog; servers installed from it keep running (operator).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The entry's name, e.g. io.github.acme/weather.") var name: String

    func run() async throws {
        let reply = try await daemon.client.call(.DELETE, catalogPath(name))
        if daemon.json { print(JSONWriter.string(reply)); return }
        print("removed \(name) from the catalog")
    }
}

struct CatalogImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Add entries from a server.json file (or {\"servers\": [...]}) (operator).")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The file; - for stdin.") var file: String

    func run() async throws {
        let data: Data
        if file == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
            guard let d = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            data = d
        }
        let value: JSONValue
        do { value = try JSONParser.parse(Array(data), limits: .upstream) } catch { throw CLIError("\(file) is not valid JSON: \(error)") }
        let reply = try await daemon.client.call(.POST, "catalog/import", body: value)
        if daemon.json { print(JSONWriter.string(reply)); return }
        print("imported \(reply["imported"]?.intValue ?? 0): " + (reply["names"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))
    }
}

struct CatalogExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Print one entry's server.json, or every entry as {\"servers\": [...]}.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "An entry's name (none: all).") var name: String?

    func run() async throws {
        print(JSONWriter.string(try await daemon.client.call(.GET, "catalog/export" + queryString([("name", name)]))))
    }
}
