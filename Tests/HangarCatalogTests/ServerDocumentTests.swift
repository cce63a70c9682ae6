import HangarCatalog
import HangarCore
import HangarStore
import Testing

@Suite struct ServerDocumentTests {
    static let sample = #"""
    {"$schema":"https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json","name":"io.github.acme/weather",
     "title":"Weather","description":"Forecasts for any city","version":"1.2.0","websiteUrl":"https://acme.example",
     "x-vendor-field":{"kept":[1,2,3]},
     "packages":[{"registryType":"pypi","identifier":"acme-weather","version":"1.2.0","transport":{"type":"stdio"},"futureField":true,
       "environmentVariables":[{"name":"WEATHER_KEY","description":"API key","isRequired":true,"isSecret":true},
                               {"name":"UNITS","description":"metric or imperial","default":"metric"}]}],
     "_meta":{"io.hangar/catalog":{"categories":["Weather"],"tags":["forecast"],"featured":true,
       "permissions":{"network":["api.acme.example"],"folders":[]},"tools":[{"name":"get_forecast","description":"Forecast for a city"}]},
       "com.other/thing":{"x":1}}}
    """#

    @Test func importKeepsUnknownFieldsAndExportsTheSameDocument() throws {
        let value = try JSONParser.parse(Self.sample)
        let doc = try ServerDocument(value)
        #expect(doc.name == "io.github.acme/weather" && doc.title == "Weather" && doc.transport == "stdio")
        #expect(doc.hangar.categories == ["weather"] && doc.hangar.featured && doc.hangar.network == ["api.acme.example"])
        #expect(doc.hangar.tools.map(\.name) == ["get_forecast"])
        #expect(doc.exported == value)
        // Through the store's text form and back: still the same document, field order included.
        let record = doc.record(source: "import", nowMs: 1)
        #expect(JSONWriter.string(try JSONParser.parse(record.document)) == JSONWriter.string(value))
        #expect(record.toolText.contains("get_forecast") && record.toolText.contains("get forecast"))
    }

    @Test(arguments: [
        (#"[1]"#, "must be a JSON object"),
        (#"{"name":"weather","description":"d","version":"1"}"#, "\"name\" must be"),
        (#"{"name":"io.acme/w","version":"1"}"#, "\"description\""),
        (#"{"name":"io.acme/w","description":"d"}"#, "\"version\""),
        (#"{"name":"io.acme/w","description":"d","version":"1","packages":[{"identifier":"x"}]}"#, "registryType"),
        (#"{"name":"io.acme/w","description":"d","version":"1","remotes":[{"type":"streamable-http","url":"ftp://x"}]}"#, "http(s)"),
        (#"{"name":"io.acme/w","description":"d","version":"1","_meta":{"io.hangar/catalog":{"featured":"yes"}}}"#, "featured must be"),
        (#"{"name":"io.acme/w","description":"d","version":"1","_meta":{"io.hangar/catalog":{"tags":[1]}}}"#, "tags must be"),
    ])
    func malformedDocumentsAreRefusedWithAMessage(json: String, expected: String) throws {
        let value = try JSONParser.parse(json)
        #expect {
            try ServerDocument(value)
        } throws: { error in
            guard let e = error as? CatalogError else { return false }
            return e.code == .invalid && e.message.contains(expected)
        }
    }

    @Test func theOfficialRegistryMetadataIsNotExported() throws {
        var value = try JSONParser.parse(Self.sample)
        value["_meta"]?[ServerDocument.officialMetaKey] = ["status": "active"]
        let doc = try ServerDocument(value)
        #expect(doc.exported["_meta"]?[ServerDocument.officialMetaKey] == nil)
        #expect(doc.exported["_meta"]?["com.other/thing"] != nil)
    }
}

@Suite struct InstallPlanTests {
    @Test func aPyPIEntryRunsItsPackageWithSecretsAsVaultReferences() throws {
        let doc = try ServerDocument(try JSONParser.parse(ServerDocumentTests.sample))
        let inputs = try InstallPlan.inputs(for: doc)
        #expect(inputs.map(\.key) == ["WEATHER_KEY", "UNITS"] && inputs[0].isSecret && !inputs[1].isSecret)
        let plan = try InstallPlan.make(doc, server: "weather", values: ["WEATHER_KEY": "s3cret"])
        #expect(plan.runtime == .pypi(package: "acme-weather", version: "1.2.0", arguments: [],
                                      environment: ["WEATHER_KEY": "${secret:catalog.weather.WEATHER_KEY}", "UNITS": "metric"]))
        #expect(plan.secrets == ["catalog.weather.WEATHER_KEY": "s3cret"])
        #expect(plan.domains == ["api.acme.example"])
    }

    @Test func aMissingSecretIsNamedAndNeverEchoed() throws {
        let doc = try ServerDocument(try JSONParser.parse(ServerDocumentTests.sample))
        #expect {
            try InstallPlan.make(doc, server: "weather", values: [:])
        } throws: { error in
            (error as? CatalogError)?.message.contains("WEATHER_KEY (API key)") == true
        }
    }

    @Test func builtInEntriesPlanAsPackagesOrRemotes() throws {
        let builtin = try BuiltinCatalog.load()
        func doc(_ name: String) throws -> ServerDocument { try #require(builtin.servers.first { $0.name == name }) }
        let time = try InstallPlan.make(try doc("io.github.modelcontextprotocol/time"), server: "time", values: [:])
        #expect(time.runtime == .pypi(package: "mcp-server-time", version: "2026.10.19", arguments: [], environment: [:]))
        let sqlite = try InstallPlan.make(try doc("io.github.modelcontextprotocol/sqlite"), server: "sqlite", values: [:])
        guard case .pypi(_, _, let args, _) = sqlite.runtime else { Issue.record("sqlite is a package"); return }
        #expect(args == ["--db-path", "/srv/hangar.sqlite"])
        let github = try InstallPlan.make(try doc("io.github.github/github-mcp-server"), server: "github", values: ["github_token": "ghp_x"])
        #expect(github.runtime == .remote(url: "https://api.githubcopilot.com/mcp/",
                                          headers: ["Authorization": "Bearer ${secret:catalog.github.github_token}"]))
        #expect(github.secrets == ["catalog.github.github_token": "ghp_x"])
        #expect(throws: CatalogError.self) { try InstallPlan.make(try doc("io.github.modelcontextprotocol/slack"), server: "slack", values: [:]) }
        #expect(InstallPlan.defaultServerName(for: "io.github.github/github-mcp-server") == "github-mcp-server")
    }
}
