import Foundation
import HangarCore
import HangarTransport
import Logging
import Synchronization

/// Installs PyPI servers: each `NAME==VERSION` is installed once into a template venv (Debian's
/// `/usr/bin/python3`, so the interpreter the venv points at is inside the sandbox's read-only
/// system), and each server gets a venv of its own, a hard-linked copy of that template, which
/// the sandbox mounts read-only. Copies are cheap, so installing a cached package takes
/// milliseconds; the first install runs pip.
public final class PythonPackages: Sendable {
    /// Per-server venvs: `<venvsDirectory>/<server>`; must be searchable by the servers' uids.
    public let venvsDirectory: String
    /// Template venvs by requirement: `<cacheDirectory>/pypi/<name>==<version>`.
    public let cacheDirectory: String
    public let python: String
    let logger: Logger
    /// How long an unpinned requirement keeps resolving to the version installed last.
    static let latestLifetime: TimeInterval = 86400
    /// One install at a time per requirement.
    private let installing = Mutex<[String: Task<InstalledPackage, any Error>]>([:])

    public init(venvsDirectory: String, cacheDirectory: String, python: String = "/usr/bin/python3", logger: Logger) {
        self.venvsDirectory = venvsDirectory
        self.cacheDirectory = cacheDirectory
        self.python = python
        self.logger = logger
    }

    /// What one template venv holds.
    public struct InstalledPackage: Sendable, Hashable, Codable {
        public var name: String
        public var version: String
        /// The console scripts the distribution declares.
        public var scripts: [String]
        public var template: String
    }

    /// Installs (or finds in the cache) the package and gives the spec with its pinned version
    /// and entry point; the server's own venv is made by `prepare`.
    public func install(_ spec: WorkloadSpec) async throws -> WorkloadSpec {
        guard case .pypi(let name, let version, let entryPoint) = spec.package else { return spec }
        let installed = try await template(name: name, version: version)
        let script = try Self.choose(entryPoint, from: installed, server: spec.name)
        var pinned = spec
        pinned.package = .pypi(name: name, version: installed.version, entryPoint: script)
        return pinned
    }

    /// The spec as it runs: the server's venv exists and `command` starts its entry point.
    public func prepare(_ spec: WorkloadSpec) async throws -> WorkloadSpec {
        guard case .pypi = spec.package else { return spec }
        let pinned = try await install(spec)
        guard case .pypi(let name, let version?, let script?) = pinned.package else { return pinned }
        let installed = try await template(name: name, version: version)
        let venv = venvsDirectory + "/" + spec.name
        let marker = venv + "/.hangar-package"
        let wanted = "\(name)==\(version)"
        if (try? String(contentsOfFile: marker, encoding: .utf8)) != wanted {
            try? FileManager.default.removeItem(atPath: venv)
            try await run(["/bin/cp", "-al", installed.template, venv], what: "copy the venv of \(wanted)", fallback: ["/bin/cp", "-a", installed.template, venv])
            try Data(wanted.utf8).write(to: URL(fileURLWithPath: marker))
            chmod(marker, 0o644)
        }
        var running = pinned
        running.command = [venv + "/bin/python", venv + "/bin/" + script] + spec.command
        return running
    }

    /// Removes the server's own venv (the template stays cached).
    public func remove(server: String) {
        try? FileManager.default.removeItem(atPath: venvsDirectory + "/" + server)
    }

    func template(name: String, version: String?) async throws -> InstalledPackage {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-") + "==" + (version ?? "latest")
        let task = installing.withLock { tasks in
            if let running = tasks[key] { return running }
            let task = Task { try await self.installTemplate(key: key, name: name, version: version) }
            tasks[key] = task
            return task
        }
        defer { installing.withLock { _ = $0.removeValue(forKey: key) } }
        return try await task.value
    }

    private func installTemplate(key: String, name: String, version: String?) async throws -> InstalledPackage {
        let root = cacheDirectory + "/pypi"
        let template = root + "/" + key
        let metadata = template + "/.hangar-package.json"
        // "latest" points at the version pip chose; it is asked again once the pointer is a day old.
        let latest = root + "/" + key + ".latest"
        if version == nil, let attributes = try? FileManager.default.attributesOfItem(atPath: latest),
           let modified = attributes[.modificationDate] as? Date, -modified.timeIntervalSinceNow < Self.latestLifetime,
           let pinned = try? String(contentsOfFile: latest, encoding: .utf8),
           let data = FileManager.default.contents(atPath: root + "/" + pinned + "/.hangar-package.json"),
           let installed = try? JSONDecoder().decode(InstalledPackage.self, from: data) {
            return installed
        }
        if version != nil, let data = FileManager.default.contents(atPath: metadata),
           let installed = try? JSONDecoder().decode(InstalledPackage.self, from: data) {
            return installed
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let staging = root + "/.staging-" + key + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        logger.info("installing a PyPI package", metadata: ["hangar.package": "\(name)", "hangar.version": "\(version ?? "latest")"])
        try await run([python, "-m", "venv", staging], what: "create a venv with \(python) (is python3-venv installed?)")
        let requirement = version.map { "\(name)==\($0)" } ?? name
        try await run([staging + "/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", requirement],
                      what: "pip install \(requirement)", timeout: .seconds(600))
        let probe = """
            import importlib.metadata as m, json, sys
            d = m.distribution(sys.argv[1])
            print(json.dumps({"version": d.version, "scripts": sorted(e.name for e in d.entry_points if e.group == "console_scripts")}))
            """
        let output = try await run([staging + "/bin/python", "-c", probe, name], what: "read the metadata of \(name)")
        guard let info = try? JSONParser.parse(Array(output.utf8), limits: .upstream), let installedVersion = info["version"]?.stringValue else {
            throw SupervisorError(.invalidSpec, "pip installed \(requirement) but its metadata could not be read", name: name)
        }
        let scripts = info["scripts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let finalKey = name.lowercased().replacingOccurrences(of: "_", with: "-") + "==" + installedVersion
        let final = root + "/" + finalKey
        let installed = InstalledPackage(name: name, version: installedVersion, scripts: scripts, template: final)
        defer { if version == nil { try? Data(finalKey.utf8).write(to: URL(fileURLWithPath: latest)) } }
        if FileManager.default.fileExists(atPath: final + "/.hangar-package.json") {
            return installed  // the same version was cached under its pin
        }
        try JSONEncoder().encode(installed).write(to: URL(fileURLWithPath: staging + "/.hangar-package.json"))
        chmod(staging + "/.hangar-package.json", 0o644)
        try? FileManager.default.removeItem(atPath: final)
        guard rename(staging, final) == 0 else {
            throw SupervisorError(.invalidSpec, "could not move the venv of \(requirement) into \(final): \(String(cString: strerror(errno)))", name: name)
        }
        logger.info("installed a PyPI package", metadata: ["hangar.package": "\(name)", "hangar.version": "\(installedVersion)"])
        return installed
    }

    static func choose(_ entryPoint: String?, from installed: InstalledPackage, server: String) throws(SupervisorError) -> String {
        if let entryPoint {
            guard installed.scripts.contains(entryPoint) else {
                throw SupervisorError(.invalidSpec, "\(installed.name) has no console script '\(entryPoint)'; it has: \(installed.scripts.joined(separator: ", "))", name: server)
            }
            return entryPoint
        }
        let normalized = installed.name.lowercased().replacingOccurrences(of: "_", with: "-")
        if installed.scripts.count == 1 { return installed.scripts[0] }
        if let same = installed.scripts.first(where: { $0.lowercased() == normalized }) { return same }
        if installed.scripts.isEmpty {
            throw SupervisorError(.invalidSpec, "\(installed.name) \(installed.version) declares no console script to run", name: server)
        }
        throw SupervisorError(.invalidSpec, "\(installed.name) has several console scripts (\(installed.scripts.joined(separator: ", "))); name one with --entry-point", name: server)
    }

    /// Runs a command to completion with umask 022 (the sandboxed servers' uids must read what
    /// it writes); returns its stdout. A failure names the step and ends with pip's last lines.
    @discardableResult
    func run(_ command: [String], what: String, timeout: Duration = .seconds(120), fallback: [String]? = nil) async throws -> String {
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS",
                                                                         "PIP_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_CONFIG_FILE", "HTTPS_PROXY", "HTTP_PROXY",
                                                                         "NO_PROXY", "SSL_CERT_FILE"].contains($0.key) }
        environment["PATH"] = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let spec = ProcessSpec(command: "/bin/sh", arguments: ["-c", "umask 022; exec \"$@\"", "sh"] + command, environment: environment)
        let child = try await ChildProcess.spawn(spec)
        close(child.stdinFD)
        async let out = Self.drain(child.stdoutFD)
        async let err = Self.drain(child.stderrFD)
        guard let code = await child.waitForExit(timeout: timeout) else {
            await child.terminate(grace: .seconds(1))
            _ = await (out, err)
            throw SupervisorError(.invalidSpec, "could not \(what): it took longer than \(timeout)", name: command.first ?? "")
        }
        let (stdout, stderr) = await (out, err)
        if code != 0 {
            if let fallback { return try await run(fallback, what: what, timeout: timeout) }
            let tail = stderr.split(separator: "\n").suffix(4).joined(separator: " | ")
            throw SupervisorError(.invalidSpec, "could not \(what) (exit \(code)): \(tail)", name: command.first ?? "")
        }
        return stdout
    }

    /// Reads a pipe to its end on a thread of its own (the reads block).
    static func drain(_ fd: Int32) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var data = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
                    if n < 0 && errno == EINTR { continue }
                    break
                }
                close(fd)
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
    }
}
