import ArgumentParser
import Foundation
import HangarCore

struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Host an MCP server in the sandbox: hangar add NAME [options] -- CMD ARGS..., or hangar add NAME --pypi PACKAGE[==VERSION] [-- ARGS...]",
        discussion: "The server joins the daemon's endpoint as NAME__tool. Env values may refer to ${secret:NAME}.")

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The server's name.") var name: String
    @Option(name: .customLong("env"), help: "KEY=VALUE, repeatable.") var env: [String] = []
    @Option(help: "Working directory (mounted read-only).") var cwd: String?
    @Option(help: "Memory limit, swap included: bytes or 256M / 1G.") var memory: String?
    @Option(help: "CPU limit in cores, e.g. 0.5.") var cpus: Double?
    @Option(help: "auto (default): one CPU if it runs on Python and --cpus is at most 1; one-cpu: the server's threads on one CPU; any: anywhere.") var placement: String?
    @Option(help: "Most processes the server may run.") var pids: Int?
    @Option(help: "Most open files.") var files: Int?
    @Option(help: "none (default) or a comma-separated list of domains reachable through the egress proxy.") var network: String?
    @Option(help: "Time to live, e.g. 90s, 30m, 2h: the instance stops (expired) after it; `hangar restore` brings it back.") var ttl: String?
    @Option(help: "Install this PyPI package (PACKAGE or PACKAGE==VERSION) into a venv of the server's own and run its console script; the arguments after -- go to it.") var pypi: String?
    @Option(help: "With --pypi: the console script to run when the package has several.") var entryPoint: String?
    @Option(help: "The server speaks Streamable HTTP at this path (e.g. /mcp) on the port Hangar gives it in PORT.") var http: String?
    @Flag(help: "Add it stopped.") var noStart = false
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func run() async throws {
        guard !command.isEmpty || pypi != nil else {
            throw ValidationError("give the command after --, e.g. hangar add time -- mcp-server-time, or a package: hangar add time --pypi mcp-server-time")
        }
        var body: JSONObject = ["name": .string(name), "command": .array(command.map { .string($0) }), "start": .bool(!noStart)]
        if let pypi {
            body["pypi"] = .string(pypi)
            if let entryPoint { body["entryPoint"] = .string(entryPoint) }
            if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("installing \(pypi) from PyPI into a venv for \(name) (the first install of a version takes a while)...\n".utf8)) }
        }
        var envObject = JSONObject()
        for pair in env {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { throw ValidationError("--env takes KEY=VALUE, not '\(pair)'") }
            envObject[String(pair[..<eq])] = .string(String(pair[pair.index(after: eq)...]))
        }
        if !envObject.isEmpty { body["env"] = .object(envObject) }
        if let cwd { body["cwd"] = .string(cwd) }
        if let memory { body["memoryBytes"] = .int(try Self.bytes(memory)) }
        if let cpus { body["cpus"] = .double(cpus) }
        if let placement { body["placement"] = .string(placement) }
        if let pids { body["maxProcesses"] = .int(Int64(pids)) }
        if let files { body["maxOpenFiles"] = .int(Int64(files)) }
        if let network, network != "none" {
            body["network"] = .array(network.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        }
        if let ttl { body["ttlSeconds"] = .double(try Self.seconds(ttl)) }
        if let http { body["http"] = .string(http) }
        let reply = try await daemon.client.call(.POST, "servers", body: .object(body), timeout: .seconds(pypi == nil ? 60 : 900))
        if daemon.json { print(JSONWriter.string(reply)); return }
        print("added \(name): \(reply["state"]?.stringValue ?? "?")\(noStart ? "" : "; its tools appear as \(name)__TOOL once it runs")")
        if let path = reply["instance"]?["path"]?.stringValue, let token = reply["instance"]?["token"]?.stringValue {
            print("instance endpoint: \(daemon.client.base)\(path)")
            print("instance token (shown only now; it opens only that endpoint): \(token)")
        }
    }

    static func bytes(_ text: String) throws -> Int64 {
        var text = text.uppercased()
        if text.hasSuffix("B") { text.removeLast() }
        guard let n = scaled(text, units: ["K": 1024, "M": 1_048_576, "G": 1_073_741_824]) else {
            throw ValidationError("--memory takes bytes or a size like 256M or 1G")
        }
        return Int64(n)
    }

    static func seconds(_ text: String) throws -> Double {
        guard let n = scaled(text.lowercased(), units: ["s": 1, "m": 60, "h": 3600, "d": 86400]) else {
            throw ValidationError("--ttl takes a duration like 90s, 30m or 2h")
        }
        return n
    }

    /// A positive number with an optional one-letter unit suffix, times that unit.
    static func scaled(_ text: String, units: [Character: Double]) -> Double? {
        var digits = text
        var multiplier = 1.0
        if let last = digits.last, let m = units[last] { multiplier = m; digits.removeLast() }
        guard let n = Double(digits), n > 0 else { return nil }
        return n * multiplier
    }
}

struct PS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "Hosted servers: state, pid, uptime, restarts, CPU, memory, the CPUs each runs on, isolation.")
    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        let reply = try await daemon.client.call(.GET, "servers")
        if daemon.json { print(JSONWriter.string(reply)); return }
        let rows: [[String]] = (reply["servers"]?.arrayValue ?? []).map { s in
            let uptime = s["uptime"]?.doubleValue.map { Self.duration($0) } ?? "-"
            let cpu = s["cpuPercent"]?.doubleValue.map { String(format: "%.1f%%", $0) } ?? "-"
            let mem = s["memoryBytes"]?.intValue.map { String(format: "%.1fM", Double($0) / 1_048_576) } ?? "-"
            return [s["name"]?.stringValue ?? "", s["state"]?.stringValue ?? "", s["pid"]?.intValue.map(String.init) ?? "-", uptime,
                    String(s["restarts"]?.intValue ?? 0), cpu, mem, s["cpus"]?.stringValue ?? "-", s["isolation"]?.stringValue ?? "-"]
        }
        printTable(["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "CPU", "MEMORY", "ON CPUS", "ISOLATION"], rows)
    }

    static func duration(_ s: Double) -> String {
        s < 60 ? String(format: "%.0fs", s) : s < 3600 ? String(format: "%.0fm", s / 60) : String(format: "%.1fh", s / 3600)
    }
}

/// What start | stop | restart | restore | rm NAME share.
enum Lifecycle {
    static func action(_ verb: String, _ daemon: DaemonOptions, _ name: String) async throws {
        let reply: JSONValue
        if verb == "rm" {
            reply = try await daemon.client.call(.DELETE, "servers/\(name)")
            if daemon.json { print(#"{"removed":true}"#) } else { print("removed \(name)") }
            return
        }
        reply = try await daemon.client.call(.POST, "servers/\(name)/\(verb)")
        if daemon.json { print(JSONWriter.string(reply)); return }
        print("\(name): \(reply["state"]?.stringValue ?? "?")")
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a hosted server (also after it failed its crash-loop guard).")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    func run() async throws { try await Lifecycle.action("start", daemon, name) }
}

struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop a hosted server (SIGTERM, then SIGKILL after its grace).")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    func run() async throws { try await Lifecycle.action("stop", daemon, name) }
}

struct Restart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restart a hosted server.")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    func run() async throws { try await Lifecycle.action("restart", daemon, name) }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring back an expired or stopped instance (a new process, a fresh time to live).")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    func run() async throws { try await Lifecycle.action("restore", daemon, name) }
}

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Stop and remove a hosted server (its log files stay).")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    func run() async throws { try await Lifecycle.action("rm", daemon, name) }
}
