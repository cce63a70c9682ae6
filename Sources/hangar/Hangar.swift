import ArgumentParser

@main
struct Hangar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hangar",
        abstract: "A self-hosted home for MCP servers: one endpoint for all of them.",
        subcommands: [Serve.self, Stdio.self, Tools.self, Call.self, Keys.self, Secrets.self, Audit.self]
    )
}
