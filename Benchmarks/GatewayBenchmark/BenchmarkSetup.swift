import Foundation
import HangarCore
import HangarTransport

/// How many calls each scenario makes: the full run, or a quick one (`--quick`).
struct BenchmarkPlan: Sendable {
    var quick = false
    /// `--hosting`: only the hosting scenarios.
    var hosting = false
    /// `--memory`: only the idle-memory scenario.
    var memoryOnly = false
    var clients = 16
    var fastCalls = 5_000, fastWarmup = 500, fastCallsPerClient = 1_500
    /// mcp-server-time: per round, per path (`timeRounds` rounds, the paths taking turns).
    var timeCalls = 300, timeWarmup = 100, timeCallsPerClient = 50, timeRounds = 15
    var concurrentWarmup = 20
    var listCalls = 100, listWarmup = 10
    /// Fast upstreams behind the tools/list and idle-memory scenarios, and tools each adds.
    var listUpstreams = 10, toolsPerUpstream = 1_000

    static func parse(_ arguments: some Sequence<String>) -> BenchmarkPlan {
        var plan = BenchmarkPlan()
        for argument in arguments {
            switch argument {
            case "--quick":
                plan.quick = true
                (plan.fastCalls, plan.fastWarmup, plan.fastCallsPerClient) = (1_000, 200, 250)
                (plan.timeCalls, plan.timeWarmup, plan.timeCallsPerClient, plan.timeRounds) = (100, 20, 20, 2)
                (plan.concurrentWarmup, plan.listCalls, plan.listWarmup) = (5, 20, 3)
            case "--hosting":
                plan.hosting = true
            case "--memory":
                plan.memoryOnly = true
            case "-h", "--help":
                print("usage: GatewayBenchmark [--quick] [--hosting | --memory]   (build hangar and hangar-fast-upstream in release first)")
                exit(0)
            default:
                print("GatewayBenchmark: unknown argument \(argument) (try --help)")
                exit(2)
            }
        }
        return plan
    }
}

/// One MCP server whose tools/call is measured, directly and through Hangar.
struct UpstreamUnderTest: Sendable {
    /// Its name in the report.
    let label: String
    /// Its name in Hangar's config, so its tools are exposed as `NAME__TOOL`.
    let serverName: String
    let command: String
    let arguments: [String]
    let tool: String
    let toolArguments: JSONValue

    var directCall: MCPRequest { .toolsCall(tool, toolArguments) }
    var gatewayCall: MCPRequest { .toolsCall("\(serverName)__\(tool)", toolArguments) }
}

/// Where the binaries and peers are, and a scratch folder for configs and Hangar's data.
struct Workspace: Sendable {
    let hangar: String
    let fastUpstream: String
    /// `mcp-minimal-relay`: the least an HTTP front can do, measured beside `hangar serve`.
    let relay: String
    let timeServer: String?
    let timeServerProblem: String?
    let directory: String
    let environment: [String: String]

    /// Finds hangar, hangar-fast-upstream and mcp-minimal-relay next to this executable, and mcp-server-time in
    /// the repository's peers (made by scripts/setup-peers.sh when missing).
    static func prepare() async throws -> Workspace {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let binDirectory = (executable as NSString).deletingLastPathComponent
        let hangar = binDirectory + "/hangar", fast = binDirectory + "/hangar-fast-upstream", relay = binDirectory + "/mcp-minimal-relay"
        for path in [hangar, fast, relay] where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchmarkError("\(path) is missing: build each with `scripts/build-release.sh --product NAME` first")
        }
        let directory = NSTemporaryDirectory() + "hangar-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["HANGAR_DATA_DIR"] = directory + "/data"
        environment.removeValue(forKey: "HANGAR_CONFIG")
        environment.removeValue(forKey: "HANGAR_LOG_LEVEL")

        var timeServer: String?, problem: String?
        if let root = repositoryRoot(from: binDirectory) {
            let peers = environment["HANGAR_PEERS_DIR"] ?? root + "/.peers"
            let candidate = peers + "/main/bin/mcp-server-time"
            if !FileManager.default.isExecutableFile(atPath: candidate) {
                print("mcp-server-time is missing: running scripts/setup-peers.sh (20-30 s)…")
                let setup = try await ChildProcess.spawn(ProcessSpec(command: "/bin/bash", arguments: [root + "/scripts/setup-peers.sh"],
                                                                     environment: environment))
                let output = OutputDrain(fd: setup.stderrFD), stdout = OutputDrain(fd: setup.stdoutFD)
                close(setup.stdinFD)
                if await setup.waitForExit() != 0 { problem = "setup-peers.sh failed: \(output.tail)" }
                _ = stdout
            }
            if FileManager.default.isExecutableFile(atPath: candidate) { timeServer = candidate } else if problem == nil { problem = "\(candidate) missing" }
        } else {
            problem = "repository root not found from \(binDirectory)"
        }
        return Workspace(hangar: hangar, fastUpstream: fast, relay: relay, timeServer: timeServer, timeServerProblem: problem,
                         directory: directory, environment: environment)
    }

    private static func repositoryRoot(from start: String) -> String? {
        var directory = start
        while directory != "/" && !directory.isEmpty {
            if FileManager.default.fileExists(atPath: directory + "/Package.swift") { return directory }
            directory = (directory as NSString).deletingLastPathComponent
        }
        let cwd = FileManager.default.currentDirectoryPath
        return FileManager.default.fileExists(atPath: cwd + "/Package.swift") ? cwd : nil
    }

    var fast: UpstreamUnderTest {
        UpstreamUnderTest(label: "fast upstream", serverName: "fast", command: fastUpstream, arguments: [],
                          tool: "echo", toolArguments: ["text": "hello"])
    }

    var time: UpstreamUnderTest? {
        timeServer.map {
            UpstreamUnderTest(label: "mcp-server-time", serverName: "time", command: $0, arguments: ["--local-timezone", "UTC"],
                              tool: "convert_time",
                              toolArguments: ["time": "12:00", "source_timezone": "UTC", "target_timezone": "Asia/Tokyo"])
        }
    }

    func spec(_ command: String, _ arguments: [String]) -> ProcessSpec {
        ProcessSpec(command: command, arguments: arguments, environment: environment)
    }

    /// Writes a Hangar config with these servers (no paging) and returns its path.
    func writeConfig(_ name: String, servers: [(name: String, command: String, arguments: [String])]) throws -> String {
        var entries = JSONObject()
        for server in servers {
            entries[server.name] = ["command": .string(server.command), "args": .array(server.arguments.map { .string($0) })]
        }
        let config: JSONValue = ["mcpServers": .object(entries), "gateway": ["pageSize": 0]]
        let path = "\(directory)/\(name).json"
        try Data(JSONWriter.bytes(config)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
