// hangar-fast-upstream: a minimal, fast MCP server on HangarKit, over stdio, for tests and
// benchmarks. Flags: --tools N, --legacy-only, --modern-only, --name NAME, --page-size N, --self-bench N.
import HangarCore
import HangarKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let flags: FastUpstreamFlags
do {
    flags = try FastUpstreamFlags.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FastUpstreamFlags.printToStderr("hangar-fast-upstream: \(error)\n\(FastUpstreamFlags.usage)\n")
    exit(2)
}

let server = MCPServer(
    name: flags.name, version: "1.0.0",
    instructions: "A fast test server: echo, add, sleep, crash, add_tool, env and generated tools.",
    options: flags.serverOptions)
FastUpstreamTools.register(on: server, generatedTools: flags.generatedTools)
if let calls = flags.selfBenchCalls {
    await SelfBenchmark.run(server, calls: calls)
    exit(0)
}
FastUpstreamFlags.printToStderr("hangar-fast-upstream ready\n")
await server.runStdio()
