import ArgumentParser
import HangarCore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys (admin).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; it is shown once.")
        @OptionGroup var daemon: DaemonOptions
        @Option(help: "admin, operator or user.") var role: String
        @Option(help: "A name to recognise the key by.") var name: String?

        func run() async throws {
            var body: JSONObject = ["role": .string(role)]
            if let name { body["name"] = .string(name) }
            let created = try await daemon.client.call(.POST, "keys", body: .object(body))
            if daemon.json { print(JSONWriter.string(created)); return }
            print(created["key"]?.stringValue ?? "")
            FileHandleOut.err("key \(created["id"]?.stringValue ?? "") (\(role)) created; this is the only time it is shown")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List keys (never their secrets).")
        @OptionGroup var daemon: DaemonOptions

        func run() async throws {
            let reply = try await daemon.client.call(.GET, "keys")
            if daemon.json { print(JSONWriter.string(reply)); return }
            let rows = (reply["keys"]?.arrayValue ?? []).map { k in
                [k["id"]?.stringValue ?? "", k["name"]?.stringValue ?? "", k["role"]?.stringValue ?? "", k["prefix"]?.stringValue ?? "",
                 formatTime(k["createdMs"]), formatTime(k["lastUsedMs"]), k["revokedMs"]?.intValue == nil ? "active" : "revoked"]
            }
            printTable(["ID", "NAME", "ROLE", "PREFIX", "CREATED", "LAST USED", "STATE"], rows)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id; it stops working at once.")
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: "The key's id (key_...).") var id: String

        func run() async throws {
            try await daemon.client.call(.DELETE, "keys/\(id)")
            if daemon.json { print(#"{"revoked":true}"#) } else { print("revoked \(id)") }
        }
    }
}
