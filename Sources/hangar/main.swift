import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

// The daemon's work is network and pipe I/O on NIO's event loops. Running Swift
// Concurrency's jobs on those same loops saves a thread hop (and a wake-up) each time a
// task awaits I/O or I/O resumes a task: about one per step of every proxied call.
// Only for the long-running commands; HANGAR_NIO_EXECUTOR=0 keeps the default pool.
let command = CommandLine.arguments.dropFirst().first
// `hangar stdio` serves one client: one event loop keeps each call on one thread, with no
// wake-up of a second one (sequential calls to mcp-server-time ~700 -> ~870/s). Both
// commands take HANGAR_EVENT_LOOPS=N.
let environment = ProcessInfo.processInfo.environment
if let loops = environment["HANGAR_EVENT_LOOPS"].flatMap({ Int($0) }) ?? (command == "stdio" ? 1 : nil), loops > 0 {
    NIOSingletons.groupLoopCountSuggestion = loops
}
if command == "serve" || command == "stdio", environment["HANGAR_NIO_EXECUTOR"] != "0" {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
await Hangar.start()

extension Hangar {
    /// `AsyncParsableCommand.main()`; a bare `Hangar.main()` at top level resolves to the
    /// synchronous one, which runs no async command.
    static func start() async {
        await (main as ([String]?) async -> Void)(nil)
    }
}
