// GatewayBenchmark: what Hangar adds to MCP calls. Runs a fast Swift upstream and
// mcp-server-time directly over stdio, behind `hangar stdio`, and behind `hangar serve` over
// HTTP (and mcp-server-time behind a minimal C relay, as a yardstick for any HTTP front); then
// tools/list over 10,000 tools and the idle memory of `hangar serve`. With
// `--hosting`: start-to-ready bare vs hosted in the sandbox, and 100 hosted servers; with
// `--memory`: only the idle memory. Prints figures, ratios and targets (met or missed);
// always exits 0 once it has run.
//
//   for p in hangar hangar-fast-upstream mcp-minimal-relay; do scripts/build-release.sh --product $p; done
//   scripts/build-release.sh --product GatewayBenchmark && .build/release/GatewayBenchmark [--quick]
import Foundation

signal(SIGPIPE, SIG_IGN)  // a peer that dies must fail its scenario, not the benchmark
let plan = BenchmarkPlan.parse(CommandLine.arguments.dropFirst())

let workspace: Workspace
do {
    workspace = try await Workspace.prepare()
} catch {
    print("GatewayBenchmark: \(error)")
    exit(1)
}

if plan.hosting {
    await HostingScenarios(workspace: workspace, runs: plan.quick ? 5 : 20, hosted: 100).run()
    workspace.remove()
    exit(0)
}
let scenarios = Scenarios(plan: plan, workspace: workspace)
var report = Report(plan: plan, timeServerProblem: workspace.timeServerProblem)
if !plan.memoryOnly {
    let fast = workspace.fast
    report.rows.append(await scenarios.stdio(fast, through: .direct))
    report.rows.append(await scenarios.stdio(fast, through: .hangarStdio))
    report.rows += await scenarios.http(fast)
    if let time = workspace.time {
        let (rows, rounds) = await scenarios.interleaved(time)
        report.rows += rows
        report.timeRounds = rounds
    }
    report.list = await scenarios.toolsList()
}
report.idleRSS = await scenarios.idleResidentBytes()
workspace.remove()
report.print()
exit(0)
