// PolicyBenchmark: figures for the policy plane. Run with `swift run -c release PolicyBenchmark`.
// Each section is one function; add new sections below.
import Foundation

try SchemaBench.run()
