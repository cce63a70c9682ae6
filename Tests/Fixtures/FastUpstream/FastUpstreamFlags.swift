import HangarCore
import HangarKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The command line of `hangar-fast-upstream`.
struct FastUpstreamFlags: Sendable {
    var name = "hangar-fast-upstream"
    var generatedTools = 0
    var legacyOnly = false
    var modernOnly = false
    var pageSize: Int?
    /// `--self-bench N`: measure N in-memory calls and exit instead of serving.
    var selfBenchCalls: Int?

    static let usage = "usage: hangar-fast-upstream [--tools N] [--legacy-only | --modern-only] [--name NAME] [--page-size N] [--self-bench N]"

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws -> FastUpstreamFlags {
        var flags = FastUpstreamFlags()
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let v = rest.popFirst() else { throw Invalid(description: "\(flag) needs a value") }
            return v
        }
        func count(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let n = Int(text), n >= 0 else { throw Invalid(description: "\(flag) needs a whole number, got \(text)") }
            return n
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--tools": flags.generatedTools = try count(flag)
            case "--legacy-only": flags.legacyOnly = true
            case "--modern-only": flags.modernOnly = true
            case "--name": flags.name = try value(flag)
            case "--page-size": flags.pageSize = try count(flag)
            case "--self-bench": flags.selfBenchCalls = try count(flag)
            case "-h", "--help":
                printToStderr(usage + "\n")
                exit(0)
            default: throw Invalid(description: "unknown flag \(flag)")
            }
        }
        if flags.legacyOnly && flags.modernOnly {
            throw Invalid(description: "--legacy-only and --modern-only exclude each other")
        }
        return flags
    }

    var serverOptions: ServerOptions {
        var options = legacyOnly ? ServerOptions.legacyOnly : modernOnly ? .modernOnly : ServerOptions()
        options.pageSize = pageSize
        return options
    }

    static func printToStderr(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
