import ArgumentParser
import HangarCore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Query the audit log, or verify its hash chain (admin).",
        subcommands: [Query.self, Verify.self], defaultSubcommand: Query.self)

    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "query", abstract: "Records, newest first.")
        @OptionGroup var daemon: DaemonOptions
        @Option(help: "key:ID, jwt:SUBJECT or local.") var identity: String?
        @Option(help: "An exposed tool name (or another target).") var tool: String?
        @Option(help: "tools/call, auth, admin.keys.create, secret.use, policy.drift, ...") var action: String?
        @Option(help: "ok, error, denied, limited, invalid.") var outcome: String?
        @Option(help: "From this time (ISO 8601 or ms since 1970).") var since: String?
        @Option(help: "Before this time (ISO 8601 or ms since 1970).") var until: String?
        @Option(help: "At most this many records (default 100).") var limit: Int?

        func run() async throws {
            var query: [String] = []
            func add(_ k: String, _ v: String?) {
                if let v { query.append("\(k)=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? v)") }
            }
            add("identity", identity); add("tool", tool); add("action", action); add("outcome", outcome)
            add("since", since); add("until", until); add("limit", limit.map(String.init))
            let reply = try await daemon.client.call(.GET, "audit" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
            if daemon.json { print(JSONWriter.string(reply)); return }
            let rows = (reply["records"]?.arrayValue ?? []).map { r in
                [String(r["seq"]?.intValue ?? 0), formatTime(r["atMs"]), r["identity"]?.stringValue ?? "", r["action"]?.stringValue ?? "",
                 r["target"]?.stringValue ?? "", r["outcome"]?.stringValue ?? "", "\(r["latencyMicros"]?.intValue ?? 0)µs",
                 r["detail"]?.stringValue ?? ""]
            }
            printTable(["SEQ", "TIME", "IDENTITY", "ACTION", "TARGET", "OUTCOME", "LATENCY", "DETAIL"], rows)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every record's hash and link; exit 1 when the chain is broken.")
        @OptionGroup var daemon: DaemonOptions

        func run() async throws {
            let reply = try await daemon.client.call(.GET, "audit/verify")
            let intact = reply["intact"]?.boolValue == true
            if daemon.json {
                print(JSONWriter.string(reply))
            } else if intact {
                print("audit log intact: \(reply["checked"]?.intValue ?? 0) records checked")
            } else {
                print("audit log BROKEN at record \(reply["brokenAt"]?.intValue ?? 0): \(reply["problem"]?.stringValue ?? "")")
            }
            if !intact { throw ExitCode(1) }
        }
    }
}

import Foundation
