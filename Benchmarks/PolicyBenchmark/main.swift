// PolicyBenchmark: figures for the policy plane. Run with `scripts/build-release.sh --product PolicyBenchmark && .build/release/PolicyBenchmark`
// (build `hangar-fast-upstream` in release first for the through-the-gateway figures).
// Each section is one function; add new sections below.
import Foundation

try SchemaBench.run()

let executableDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let fastUpstream = executableDirectory + "/hangar-fast-upstream"
try await PipelineBench.run(fastUpstream: FileManager.default.isExecutableFile(atPath: fastUpstream) ? fastUpstream : nil)
