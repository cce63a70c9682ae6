import Foundation
import HangarCore
import HangarPackages
import HangarSupervisor

/// Uploaded packages: an archive (zip, tar, tar.gz) with a `hangar.json` (or server.json) is
/// checked completely before anything is written, scanned for dangerous patterns, extracted to
/// `<dataDir>/uploads/NAME` and hosted like any server, its folder mounted read-only.
extension HostedServers {
    /// What an upload produced: the hosted server's status and token, and the scan report.
    public struct UploadResult: Sendable {
        public var token: String
        public var manifest: PackageManifest
        public var report: ScanReport
    }

    /// Refused by the scan policy: the report says why.
    public struct UploadBlocked: Error, Sendable {
        public let report: ScanReport
    }

    /// Scan policy by name: `block` (refuse critical findings, the default), `strict` (refuse
    /// warnings too) or `warn` (report only).
    public static func scanPolicy(named name: String?) throws -> ScanPolicy {
        switch name ?? "block" {
        case "block": return .block(minimumSeverity: .critical)
        case "strict": return .block(minimumSeverity: .warning)
        case "warn": return .warn
        default: throw AdminAPI.BadRequest("scan policy must be block (default), strict or warn")
        }
    }

    public func upload(name: String, archive: [UInt8], scanPolicy: ScanPolicy, start: Bool) async throws -> UploadResult {
        if gateway.pool.upstream(named: name) != nil {
            throw SupervisorError(.duplicateWorkload, "a server named \(name) already exists (in the config file or hosted)", name: name)
        }
        let package = try PackageArchive.inspect(bytes: archive)
        if package.scanReport.blocks(scanPolicy) { throw UploadBlocked(report: package.scanReport) }
        let folder = uploadsDirectory + "/" + name
        var spec = try Self.spec(name: name, manifest: package.manifest, folder: folder)
        try spec.validate()
        try? FileManager.default.removeItem(atPath: folder)  // a leftover of a removed server of this name
        try package.extract(to: folder)
        chmod(folder, 0o755)
        do {
            spec.workingDirectory = folder
            let token = try await add(spec, start: start)
            return UploadResult(token: token, manifest: package.manifest, report: package.scanReport)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    /// The spec a manifest asks for; a command naming a file of the package gets its full path.
    static func spec(name: String, manifest: PackageManifest, folder: String) throws -> WorkloadSpec {
        var command = manifest.command
        if let first = command.first, first.contains("/"), !first.hasPrefix("/") {
            command[0] = folder + "/" + (first.hasPrefix("./") ? String(first.dropFirst(2)) : first)
        }
        var spec = WorkloadSpec(name: name, command: command, environment: manifest.environment, workingDirectory: folder)
        spec.limits = WorkloadLimits(memoryBytes: manifest.memoryBytes, cpus: manifest.cpus, maxProcesses: manifest.maxProcesses)
        switch manifest.network {
        case .none: spec.network = .none
        case .allowlist(let domains): spec.network = .allowlist(domains)
        }
        spec.timeToLive = manifest.timeToLive
        spec.needsPort = manifest.needsPort
        return spec
    }

    /// The scan report as the API shows it.
    static func json(_ report: ScanReport) -> JSONValue {
        ["summary": .string(report.summary),
         "findings": .array(report.findings.map { f in
             ["rule": .string(f.rule), "severity": .string(f.severity.description), "summary": .string(f.summary), "path": .string(f.path),
              "line": f.line.map { .int(Int64($0)) } ?? .null, "excerpt": .string(f.excerpt)]
         })]
    }
}
