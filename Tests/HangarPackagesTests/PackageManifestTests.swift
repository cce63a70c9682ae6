import HangarPackages
import Testing

@Suite("Package manifests")
struct PackageManifestTests {
    private func package(_ files: [(String, String)], executable: String? = nil) -> [UInt8] {
        var tar = TarBuilder()
        for (name, text) in files { tar.add(name, content: Array(text.utf8), mode: name == executable ? 0o755 : 0o644) }
        return tar.finished()
    }

    @Test func everyHangarJSONFieldIsRead() throws {
        let manifest = #"""
        {"name": "weather.v2", "command": ["./bin/server", "--stdio"], "env": {"UNITS": "metric"},
         "description": "Weather tools", "version": "1.2.0", "network": ["api.weather.example", "Maps.example:443"],
         "memory": "512M", "cpus": 0.5, "pids": 64, "port": true, "ttlSeconds": 3600, "x-author": "someone"}
        """#
        let inspected = try PackageArchive.inspect(bytes: package([("hangar.json", manifest), ("bin/server", "#!/bin/sh\n")], executable: "bin/server"))
        let m = inspected.manifest
        #expect(m.source == .hangarJSON)
        #expect(m.name == "weather.v2")
        #expect(m.command == ["./bin/server", "--stdio"])
        #expect(m.environment == ["UNITS": "metric"])
        #expect(m.description == "Weather tools")
        #expect(m.version == "1.2.0")
        #expect(m.network == .allowlist(["api.weather.example", "maps.example:443"]))
        #expect(m.memoryBytes == 512 << 20)
        #expect(m.cpus == 0.5)
        #expect(m.maxProcesses == 64)
        #expect(m.needsPort)
        #expect(m.timeToLive == .seconds(3600))
        #expect(m.otherKeys["x-author"] == "someone", "unknown keys are kept")
    }

    @Test func missingManifestIsRefused() {
        expectRefused(package([("server.py", "print(1)")]), .missingManifest, mentioning: "no hangar.json (or server.json) at its root")
        expectRefused(package([("sub/hangar.json", manifestJSON), ("server.py", "")]), .missingManifest, mentioning: "hangar.json")
    }

    @Test func malformedJSONIsRefused() {
        expectRefused(package([("hangar.json", #"{"name": "demo", "command": ["python3",]"#), ("server.py", "")]),
                      .invalidManifest, mentioning: "hangar.json: is not valid JSON")
    }

    @Test(arguments: [
        (#"{"name": "demo", "command": "python3 server.py"}"#, "hangar.json: command must be a non-empty list of strings"),
        (#"{"name": "demo", "command": []}"#, "hangar.json: command must be a non-empty list of strings"),
        (#"{"name": "demo", "command": ["python3", 3]}"#, "hangar.json: command must be a non-empty list of strings"),
        (#"{"command": ["python3", "server.py"]}"#, "hangar.json: name must be a string, and it is missing"),
        (#"{"name": "../etc", "command": ["python3", "server.py"]}"#, "hangar.json: name '../etc' must be 1-64 characters"),
        (#"{"name": "demo", "command": ["python3", "server.py"], "env": {"PORT": 8080}}"#, "hangar.json: env.PORT must be a string, not integer"),
        (#"{"name": "demo", "command": ["python3", "server.py"], "network": "all"}"#, "hangar.json: network must be \"none\" or a list of domains"),
        (#"{"name": "demo", "command": ["python3", "server.py"], "network": ["http://x/"]}"#, "'http://x/' is not a host or host:port"),
        (#"{"name": "demo", "command": ["python3", "server.py"], "port": "yes"}"#, "hangar.json: port must be true or false, not string"),
        (#"{"name": "demo", "command": ["python3", "server.py"], "memory": "lots"}"#, "hangar.json: memory must be a positive number of bytes"),
        (#"{"name": "demo", "command": ["python3", "server.py"], "ttlSeconds": -5}"#, "hangar.json: ttlSeconds must be a positive number"),
        (#"{"name": "demo", "command": ["./missing.py"]}"#, "hangar.json: command[0] './missing.py' is not a file in the archive"),
        (#"{"name": "demo", "command": ["/usr/bin/python3", "server.py"]}"#, "command[0] '/usr/bin/python3' is not a file in the archive"),
        (#"{"name": "demo", "command": ["./server.py"]}"#, "hangar.json: command[0] './server.py' is not executable in the archive"),
        (#"{"name": "demo", "command": ["server.py"]}"#, "command[0] 'server.py' is neither a file in the archive (write './server.py'"),
        (#"{"name": "demo", "command": ["python3", "other.py"]}"#, "hangar.json: command[1] 'other.py' is not a file in the archive"),
        (#"["name", "demo"]"#, "hangar.json: must be a JSON object, not array"),
    ])
    func wrongTypesAreRefusedPrecisely(manifest: String, message: String) {
        expectRefused(package([("hangar.json", manifest), ("server.py", "print(1)")]), .invalidManifest, mentioning: message)
    }

    @Test func serverJSONWithALocalPackageGivesACommand() throws {
        let serverJSON = #"""
        {"name": "io.github.someone/weather", "description": "Weather", "version_detail": {"version": "0.5.0"},
         "packages": [
           {"registry_name": "npm", "name": "@someone/weather", "version": "0.5.0"},
           {"registryType": "file", "identifier": "weather", "runtimeHint": "python3",
            "packageArguments": [{"type": "positional", "value": "weather/main.py"}, {"type": "named", "name": "--units", "value": "metric"}],
            "environmentVariables": [{"name": "LOG_LEVEL", "default": "info"}, {"name": "API_KEY", "isSecret": true}]}
         ]}
        """#
        let inspected = try PackageArchive.inspect(bytes: package([("server.json", serverJSON), ("weather/main.py", "print(1)")]))
        let m = inspected.manifest
        #expect(m.source == .serverJSON)
        #expect(m.name == "weather")
        #expect(m.command == ["python3", "weather/main.py", "--units", "metric"])
        #expect(m.environment == ["LOG_LEVEL": "info"])
        #expect(m.version == "0.5.0")
        #expect(m.description == "Weather")
    }

    @Test func serverJSONNamingOnlyRegistryPackagesIsRefused() {
        let serverJSON = #"{"name": "io.github.someone/brave", "packages": [{"registry_name": "npm", "name": "@x/brave", "runtime_hint": "npx"}]}"#
        expectRefused(package([("server.json", serverJSON), ("index.js", "")]), .invalidManifest,
                      mentioning: "server.json: cannot derive a command from its packages")
    }

    @Test func hangarJSONWinsOverServerJSON() throws {
        let inspected = try PackageArchive.inspect(bytes: package([("server.json", "not json"), ("hangar.json", manifestJSON), ("server.py", "")]))
        #expect(inspected.manifest.source == .hangarJSON)
    }

    @Test func oversizedManifestIsRefused() {
        var limits = PackageLimits()
        limits.maxManifestBytes = 32
        expectRefused(package([("hangar.json", manifestJSON), ("server.py", "")]), .invalidManifest,
                      mentioning: "hangar.json: is larger than 32 bytes", limits: limits)
    }
}
