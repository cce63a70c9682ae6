import ArgumentParser

struct Hangar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hangar",
        abstract: "A self-hosted home for MCP servers: one endpoint for all of them.",
        subcommands: [Serve.self, Stdio.self, Tools.self, Call.self, Add.self, PS.self, Start.self, Stop.self, Restart.self,
                      Restore.self, Remove.self, Upload.self, Logs.self, Stats.self, Doctor.self, Keys.self, Secrets.self, Audit.self,
                      CatalogCommand.self]
    )
}
