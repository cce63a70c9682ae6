import ArgumentParser
import Foundation
import HangarCore

struct Secrets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage secrets; servers refer to them as ${secret:NAME} in env and headers (admin).",
        subcommands: [Set.self, List.self, Remove.self, RotateKey.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store a secret (value from --value, else one line of stdin).")
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: "Letters, digits, '_', '-', '.'.") var name: String
        @Option(help: "The value (prefer stdin: command lines end up in shell history).") var value: String?

        func run() async throws {
            let secret: String
            if let value {
                secret = value
            } else {
                if isatty(0) != 0 { FileHandleOut.err("value for \(name) (input hidden is not supported; type and press enter):") }
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw CLIError("no value: give --value or pipe the value on stdin")
                }
                secret = line
            }
            try await daemon.client.call(.PUT, "secrets/\(name)", body: ["value": .string(secret)])
            if daemon.json { print(#"{"stored":true}"#) } else { print("stored \(name)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List secret names (never values).")
        @OptionGroup var daemon: DaemonOptions

        func run() async throws {
            let reply = try await daemon.client.call(.GET, "secrets")
            if daemon.json { print(JSONWriter.string(reply)); return }
            let rows = (reply["secrets"]?.arrayValue ?? []).map { [$0["name"]?.stringValue ?? "", formatTime($0["updatedMs"])] }
            printTable(["NAME", "UPDATED"], rows)
            print("master key hint: …\(reply["keyHint"]?.stringValue ?? "?")")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a secret.")
        @OptionGroup var daemon: DaemonOptions
        @Argument var name: String

        func run() async throws {
            try await daemon.client.call(.DELETE, "secrets/\(name)")
            if daemon.json { print(#"{"removed":true}"#) } else { print("removed \(name)") }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rotate-key", abstract: "New master key; every secret is re-encrypted.")
        @OptionGroup var daemon: DaemonOptions

        func run() async throws {
            let reply = try await daemon.client.call(.POST, "secrets/rotate-key")
            if daemon.json { print(JSONWriter.string(reply)); return }
            print("rotated: \(reply["secrets"]?.intValue ?? 0) secrets re-encrypted; new key hint …\(reply["keyHint"]?.stringValue ?? "?")")
        }
    }
}

enum FileHandleOut {
    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
