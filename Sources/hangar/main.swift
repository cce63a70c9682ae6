import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

// The daemon's work is network and pipe I/O on NIO's event loops. Running Swift
// Concurrency's jobs on those same loops saves a thread hop (and a wake-up) each time a
// task awaits I/O or I/O resumes a task: about one per step of every proxied call.
// Only for the long-running commands; HANGAR_NIO_EXECUTOR=0 keeps the default pool.
let command = CommandLine.arguments.dropFirst().first
// Event loops: a call whose client connection and upstream pipe sit on different loops
// wakes the other thread twice, and the upstream processes need cores of their own. So
// `hangar stdio` (one client) runs one loop, and `serve` one per two cores (one on a 2-core
// machine: HTTP to the fast upstream, sequential 4,484 -> 4,665/s, 16 clients 8,600 ->
// 9,600/s). Both commands take HANGAR_EVENT_LOOPS=N.
let environment = ProcessInfo.processInfo.environment
let askedLoops = environment["HANGAR_EVENT_LOOPS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
if command == "serve" || command == "stdio" {
    NIOSingletons.groupLoopCountSuggestion = askedLoops ?? (command == "stdio" ? 1 : max(1, System.coreCount / 2))
    if environment["HANGAR_NIO_EXECUTOR"] != "0" {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
} else if let askedLoops {
    NIOSingletons.groupLoopCountSuggestion = askedLoops
}
await Hangar.start()

extension Hangar {
    /// `AsyncParsableCommand.main()`; a bare `Hangar.main()` at top level resolves to the
    /// synchronous one, which runs no async command.
    static func start() async {
        await (main as ([String]?) async -> Void)(nil)
    }
}
