import Foundation
import HangarCore
import HangarTransport
import Testing

extension Interop {
    /// The catalog as a user meets it: `hangar catalog ...` against a real daemon, installs
    /// that join the one endpoint, and one Hangar syncing from another over the v0 API.
    @Suite(.serialized)
    struct CatalogTests {
        static let time = "io.github.modelcontextprotocol/time"

        static func cli(_ daemon: Daemon, _ arguments: [String]) async throws -> (status: Int32?, json: JSONValue, err: String) {
            let r = try await PolicyTests.cli(daemon, arguments, key: daemon.adminKey)
            let json = r.out.last { $0.hasPrefix("{") }.flatMap { try? JSONParser.parse($0, limits: .upstream) } ?? .null
            return (r.status, json, r.err.joined(separator: "\n"))
        }

        static func names(_ reply: JSONValue) -> [String] {
            (reply["results"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }

        static func get(_ url: String) async throws -> (Int, JSONValue) {
            let reply = try await StreamableHTTPClient(url: url, limits: .upstream).send(.get, timeout: .seconds(30))
            guard case .json(let json) = reply.body else { return (reply.status, .null) }
            return (reply.status, json)
        }

        @Test("catalog search, show, rate and reviews from the CLI; bad input gets 404/400 with a message")
        func browseAndRate() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let git = try await Self.cli(daemon, ["catalog", "search", "git", "--json"])
            #expect(git.status == 0, "\(git.err)")
            #expect(Self.names(git.json).first == "io.github.modelcontextprotocol/git")
            let payments = try await Self.cli(daemon, ["catalog", "search", "--category", "payments", "--json"])
            #expect(Self.names(payments.json) == ["com.stripe/mcp"])
            let remote = try await Self.cli(daemon, ["catalog", "search", "--transport", "remote", "--limit", "100", "--json"])
            #expect(Set(Self.names(remote.json)).isSuperset(of: ["io.github.github/github-mcp-server", "app.linear/linear", "com.stripe/mcp"]))
            let featured = try await Self.cli(daemon, ["catalog", "search", "--featured", "--json"])
            #expect(!Self.names(featured.json).isEmpty && featured.json["results"]?.arrayValue?.allSatisfy { $0["featured"] == true } == true)

            let show = try await Self.cli(daemon, ["catalog", "show", Self.time, "--json"])
            #expect(show.json["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["get_current_time", "convert_time"])
            #expect(show.json["server"]?["packages"]?.arrayValue?.first?["identifier"] == "mcp-server-time")
            let github = try await Self.cli(daemon, ["catalog", "show", "io.github.github/github-mcp-server", "--json"])
            #expect(github.json["inputs"]?.arrayValue?.first?["key"] == "github_token" && github.json["inputs"]?.arrayValue?.first?["isSecret"] == true)
            #expect(github.json["permissions"]?["network"] == ["api.githubcopilot.com"])

            let rated = try await Self.cli(daemon, ["catalog", "rate", Self.time, "5", "--review", "exact", "--json"])
            #expect(rated.json["rating"]?["average"]?.doubleValue == 5)
            let edited = try await Self.cli(daemon, ["catalog", "rate", Self.time, "3", "--review", "fine", "--json"])
            #expect(edited.json["rating"]?["average"]?.doubleValue == 3 && edited.json["rating"]?["count"] == 1)
            let reviews = try await Self.cli(daemon, ["catalog", "reviews", Self.time, "--json"])
            #expect(reviews.json["reviews"]?.arrayValue?.first?["review"] == "fine" && reviews.json["reviews"]?.arrayValue?.first?["identity"] == "local")
            let text = try await PolicyTests.cli(daemon, ["catalog", "show", Self.time], key: nil)
            #expect(text.out.contains { $0.contains("convert_time") } && text.out.contains { $0.contains("fine") })

            let unknown = try await Self.cli(daemon, ["catalog", "show", "io.nope/none"])
            #expect(unknown.status != 0 && unknown.err.contains("HTTP 404") && unknown.err.contains("no catalog entry"))
            for stars in ["0", "6"] {
                let bad = try await Self.cli(daemon, ["catalog", "rate", Self.time, stars])
                #expect(bad.status != 0 && bad.err.contains("HTTP 400") && bad.err.contains("stars must be an integer from 1 to 5"), "\(bad.err)")
            }
            let file = try TestEnvironment.temporaryDirectory() + "/bad.json"
            try TestEnvironment.write(["name": "no-namespace", "description": "x", "version": "1"], to: file)
            let malformed = try await Self.cli(daemon, ["catalog", "import", file])
            #expect(malformed.status != 0 && malformed.err.contains("HTTP 400") && malformed.err.contains("\"name\" must be"), "\(malformed.err)")
            let search = try await Self.cli(daemon, ["catalog", "search", "--sort", "best"])
            #expect(search.status != 0 && search.err.contains("HTTP 400") && search.err.contains("sort must be one of"))
        }

        @Test("Import keeps unknown fields through export; a remote entry installs with its secret in the vault, survives a restart, uninstalls",
              .pythonPeers)
        func importInstallRemoteUninstall() async throws {
            let (fastmcp, fastmcpURL) = try await SDKClientTests.startFastMCP()
            defer { Task { await fastmcp.stop() } }
            let daemon = try await Daemon.start(servers: [:])
            let entry: JSONValue = [
                "name": "io.hangar.test/fastmcp", "description": "A FastMCP test server", "version": "1.0.0", "x-unknown": ["kept": true],
                "remotes": [["type": "streamable-http", "url": .string(fastmcpURL),
                             "headers": [["name": "X-Test-Token", "value": "{token}", "isSecret": true,
                                          "variables": ["token": ["isSecret": true, "isRequired": true, "description": "test token"]]]]]],
                "_meta": ["io.hangar/catalog": ["categories": ["testing"], "permissions": ["network": ["127.0.0.1"]],
                                                "tools": [["name": "echo", "description": "Return the text unchanged"]]]],
            ]
            let file = try TestEnvironment.temporaryDirectory() + "/server.json"
            try TestEnvironment.write(entry, to: file)
            #expect(try await Self.cli(daemon, ["catalog", "import", file, "--json"]).json["imported"] == 1)
            let exported = try await Self.cli(daemon, ["catalog", "export", "io.hangar.test/fastmcp"])
            #expect(exported.json == entry, "export gave \(exported.json)")

            let noConsent = try await Self.cli(daemon, ["catalog", "install", "io.hangar.test/fastmcp", "--secret", "token=t0ken-value"])
            #expect(noConsent.status != 0 && noConsent.err.contains("--yes"))
            let noSecret = try await Self.cli(daemon, ["catalog", "install", "io.hangar.test/fastmcp", "--yes"])
            #expect(noSecret.status != 0 && noSecret.err.contains("token"))
            let installed = try await Self.cli(daemon, ["catalog", "install", "io.hangar.test/fastmcp", "--secret", "token=t0ken-value", "--yes", "--json"])
            #expect(installed.status == 0, "\(installed.err)")
            #expect(installed.json["server"] == "fastmcp" && installed.json["kind"] == "remote")
            #expect(!JSONWriter.string(installed.json).contains("t0ken-value") && !installed.err.contains("t0ken-value"))
            try await Self.waitForTool(daemon, "fastmcp__echo")
            #expect(HostingTests.text(try await PolicyTests.call(daemon, "fastmcp__echo", ["text": "from the catalog"], key: nil)) == "from the catalog")
            let consent = try await Self.cli(daemon, ["catalog", "installed", "--json"])
            #expect(consent.json["installs"]?.arrayValue?.first?["consent"]?["identity"] == "local")
            #expect(consent.json["installs"]?.arrayValue?.first?["consent"]?["network"] == ["127.0.0.1"])
            let secrets = try await PolicyTests.cli(daemon, ["secrets", "ls"], key: nil)
            #expect(secrets.out.contains { $0.contains("catalog.fastmcp.token") })
            let listed = try await Self.cli(daemon, ["catalog", "search", "--installed", "--json"])
            #expect(Self.names(listed.json) == ["io.hangar.test/fastmcp"] && listed.json["results"]?.arrayValue?.first?["installs"] == 1)
            let trending = try await Self.cli(daemon, ["catalog", "search", "--trending", "--json"])
            #expect(Self.names(trending.json) == ["io.hangar.test/fastmcp"])

            await daemon.process.stop()
            let again = try await Daemon.start(reusing: daemon)
            defer { Task { await again.stop() } }
            try await Self.waitForTool(again, "fastmcp__echo")
            #expect(try await Self.cli(again, ["catalog", "uninstall", "fastmcp"]).status == 0)
            try await Self.waitForTool(again, "fastmcp__echo", present: false)
            #expect(!(try await PolicyTests.cli(again, ["secrets", "ls"], key: nil).out.contains { $0.contains("catalog.fastmcp") }))
            let gone = try await Self.cli(again, ["catalog", "uninstall", "fastmcp"])
            #expect(gone.status != 0 && gone.err.contains("HTTP 404"), "\(gone.err)")
        }

        @Test("catalog install of a PyPI entry hosts the package in the sandbox; its tools answer; uninstall removes it")
        func installPyPIEntry() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let installed = try await Self.cli(daemon, ["catalog", "install", Self.time, "--json"])
            #expect(installed.status == 0, "\(installed.err)")
            #expect(installed.json["server"] == "time" && installed.json["kind"] == "hosted")
            #expect(installed.json["instance"]?["path"] == "/i/time/mcp")
            _ = try await HostingTests.waitFor(daemon, "time", state: "running", timeout: .seconds(60))
            let reply = try await PolicyTests.call(daemon, "time__get_current_time", ["timezone": "Europe/Paris"], key: nil)
            #expect((HostingTests.text(reply) ?? "\(reply.1)").contains("Europe/Paris"))
            let (_, status) = try await PolicyTests.admin(daemon, "servers/time", key: daemon.adminKey)
            #expect(status["name"] == "time")
            let shown = try await Self.cli(daemon, ["catalog", "show", Self.time, "--json"])
            #expect(shown.json["installed"] == true && shown.json["installs"] == 1)
            #expect(try await Self.cli(daemon, ["catalog", "uninstall", "time"]).status == 0)
            #expect(try await HostingTests.ps(daemon)["time"] == nil)
            try await Self.waitForTool(daemon, "time__get_current_time", present: false)
        }

        @Test("Roles: a user key searches, reads and rates; installing needs an operator; the v0 API needs a credential")
        func roles() async throws {
            let daemon = try await Daemon.start(servers: [:], policy: ["auth": "required"])
            defer { Task { await daemon.stop() } }
            let admin = try #require(daemon.adminKey)
            let created = try await PolicyTests.cli(daemon, ["keys", "create", "--role", "user", "--name", "reader", "--json"], key: admin)
            let userKey = try #require(try JSONParser.parse(created.out.joined(), limits: .upstream)["key"]?.stringValue)
            let search = try await PolicyTests.cli(daemon, ["catalog", "search", "stripe", "--json"], key: userKey)
            #expect(search.status == 0, "\(search.err)")
            let rated = try await PolicyTests.cli(daemon, ["catalog", "rate", "com.stripe/mcp", "4", "--json"], key: userKey)
            #expect(rated.status == 0, "\(rated.err)")
            let reviews = try await Self.cli(daemon, ["catalog", "reviews", "com.stripe/mcp", "--json"])
            #expect(reviews.json["reviews"]?.arrayValue?.first?["identity"]?.stringValue?.hasPrefix("key:") == true)
            let install = try await PolicyTests.cli(daemon, ["catalog", "install", Self.time], key: userKey)
            #expect(install.status != 0 && install.err.joined().contains("HTTP 403") && install.err.joined().contains("operator"))
            #expect(try await Self.get(daemon.baseURL + "/v0/servers").0 == 401)
        }

        /// Waits (bounded) until the endpoint lists the tool, or no longer does: the gateway's
        /// catalog follows an added or removed server asynchronously.
        static func waitForTool(_ daemon: Daemon, _ tool: String, present: Bool = true) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if try await PolicyTests.toolNames(daemon, key: nil).1.contains(tool) == present { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("\(tool) did not \(present ? "appear" : "go away")")
        }

        @Test("A second Hangar syncs the first one's catalog over the v0 registry API")
        func syncBetweenDaemons() async throws {
            let first = try await Daemon.start(servers: [:])
            defer { Task { await first.stop() } }
            let second = try await Daemon.start(servers: [:])
            defer { Task { await second.stop() } }
            let file = try TestEnvironment.temporaryDirectory() + "/server.json"
            try TestEnvironment.write(["name": "io.hangar.test/only-on-first", "description": "Exists only on the first daemon", "version": "2.0.0"], to: file)
            #expect(try await Self.cli(first, ["catalog", "import", file]).status == 0)

            let (status, page) = try await Self.get(first.baseURL + "/v0/servers?limit=2")
            #expect(status == 200 && page["servers"]?.arrayValue?.count == 2 && page["metadata"]?["count"] == 2)
            #expect(page["servers"]?.arrayValue?.first?["server"]?["name"]?.stringValue != nil)
            #expect(page["servers"]?.arrayValue?.first?["_meta"]?["io.modelcontextprotocol.registry/official"]?["isLatest"] == true)
            #expect(page["metadata"]?["nextCursor"]?.stringValue != nil)
            let (one, latest) = try await Self.get(first.baseURL + "/v0/servers/io.hangar.test%2Fonly-on-first/versions/latest")
            #expect(one == 200 && latest["server"]?["version"] == "2.0.0")
            #expect(try await Self.get(first.baseURL + "/v0/servers/io.hangar.test%2Fonly-on-first/versions/2.0.0").0 == 200)
            #expect(try await Self.get(first.baseURL + "/v0/servers/io.hangar.test%2Fonly-on-first/versions/9.9.9").0 == 404)
            #expect(try await Self.get(first.baseURL + "/v0/servers/io.nope%2Fnone/versions/latest").0 == 404)

            let synced = try await Self.cli(second, ["catalog", "sync", first.baseURL, "--json"])
            #expect(synced.status == 0, "\(synced.err)")
            let total = try await Self.cli(first, ["catalog", "search", "--json"]).json["total"]
            #expect(synced.json["synced"] == total)
            let found = try await Self.cli(second, ["catalog", "search", "only", "first", "--json"])
            #expect(Self.names(found.json) == ["io.hangar.test/only-on-first"])
            #expect(found.json["results"]?.arrayValue?.first?["source"]?.stringValue == first.baseURL)
            #expect(synced.json["incremental"] == false && synced.json["removed"] == 0)

            // The next sync asks only for what changed since: nothing yet.
            let again = try await Self.cli(second, ["catalog", "sync", first.baseURL, "--json"])
            #expect(again.status == 0 && again.json["incremental"] == true && again.json["synced"] == 0 && again.json["removed"] == 0,
                    "\(again.json) \(again.err)")
            // A new version and a removal on the first daemon travel; nothing else does.
            try TestEnvironment.write(["name": "io.hangar.test/only-on-first", "description": "Exists only on the first daemon", "version": "2.1.0"], to: file)
            #expect(try await Self.cli(first, ["catalog", "import", file]).status == 0)
            let time = "io.github.modelcontextprotocol/time"
            let removal = try await Self.cli(first, ["catalog", "remove", time])
            #expect(removal.status == 0, "\(removal.err)")
            #expect(try await Self.cli(first, ["catalog", "remove", time]).err.contains("no catalog entry named \(time)"))
            let (changesStatus, changes) = try await Self.get(first.baseURL + "/v0/servers?updated_since=2000-01-01T00:00:00Z&limit=100")
            let deleted = changes["servers"]?.arrayValue?.first { $0["server"]?["name"]?.stringValue == time }
            #expect(changesStatus == 200 && deleted?["_meta"]?["io.modelcontextprotocol.registry/official"]?["status"] == "deleted")
            let delta = try await Self.cli(second, ["catalog", "sync", first.baseURL, "--json"])
            #expect(delta.status == 0 && delta.json["synced"] == 1 && delta.json["removed"] == 1, "\(delta.json) \(delta.err)")
            #expect(try await Self.cli(second, ["catalog", "show", "io.hangar.test/only-on-first", "--json"]).json["version"] == "2.1.0")
            #expect(try await Self.cli(second, ["catalog", "show", time]).status != 0)
            // --full reads everything again and finds it all in place.
            let full = try await Self.cli(second, ["catalog", "sync", first.baseURL, "--full", "--json"])
            let remaining = try await Self.cli(first, ["catalog", "search", "--json"]).json["total"]
            #expect(full.json["incremental"] == false && full.json["synced"] == 0 && full.json["unchanged"] == remaining, "\(full.json)")
            // Not a registry: the daemon answers 404 there, and the sync says which registry failed.
            let notRegistry = try await Self.cli(second, ["catalog", "sync", first.baseURL + "/nothing"])
            #expect(notRegistry.status != 0 && notRegistry.err.contains("HTTP 502") && notRegistry.err.contains("answered HTTP 404"), "\(notRegistry.err)")
        }
    }
}
