import Foundation
import HangarCatalog
import HangarCore
import HangarGateway
import HangarPolicy
import HangarStore
import HangarSupervisor
import HangarUpstream

/// Installing from the catalog: the hosted server (a PyPI package in the sandbox) or the
/// remote upstream, its secrets in the vault, and the recorded consent to what it asks for.
extension CatalogService {
    /// Installs entry `name` as server `server` (default: the part of the name after '/').
    /// `values` holds the inputs the entry asks for (secrets among them); an entry that asks
    /// for network domains or folders needs `acceptPermissions`.
    public func install(_ name: String, as server: String? = nil, values: [String: String] = [:], acceptPermissions: Bool,
                        by identity: Identity) async throws -> JSONValue {
        let hit = try await requireEntry(name)
        let document = try ServerDocument(try JSONParser.parse(hit.entry.document, limits: .upstream))
        let server = server ?? InstallPlan.defaultServerName(for: name)
        guard InstallPlan.isValidServerName(server) else {
            throw CatalogError(.invalid, "server name must be 1-64 characters of A-Z a-z 0-9 . _ - and not start with '.'; choose one with \"server\" (CLI: --as NAME)")
        }
        guard gateway.pool.upstream(named: server) == nil else {
            throw CatalogError(.conflict, "a server named \(server) exists already; choose another name with \"server\" (CLI: --as NAME)")
        }
        let plan = try InstallPlan.make(document, server: server, values: values)
        if !(plan.domains.isEmpty && plan.folders.isEmpty), !acceptPermissions {
            throw CatalogError(.invalid, "\(name) asks for \(Self.describe(plan)); consent with \"acceptPermissions\": true (CLI: --yes)")
        }
        if case .pypi = plan.runtime, hosted == nil {
            throw CatalogError(.invalid, "\(name) is a package to host, and this daemon does not host servers")
        }
        for (vaultName, value) in plan.secrets.sorted(by: { $0.key < $1.key }) {
            try await policy.setSecret(vaultName, value: value, by: identity)
        }
        let now = WallClock.milliseconds()
        var reply: JSONObject = ["server": .string(server), "entry": .string(name), "version": .string(plan.version)]
        var record = CatalogInstallRecord(server: server, entry: name, version: plan.version, kind: "hosted", consentIdentity: identity.name,
                                          consentMs: now, domains: plan.domains, folders: plan.folders)
        do {
            switch plan.runtime {
            case .pypi(let package, let version, let arguments, let environment):
                let spec = WorkloadSpec(name: server, command: arguments, environment: environment, network: Self.network(plan.domains),
                                        package: .pypi(name: package, version: version, entryPoint: nil))
                let token = try await hosted!.add(spec, start: true)
                reply["kind"] = "hosted"
                reply["instance"] = ["path": .string("/i/\(server)/mcp"), "token": .string(token)]
            case .remote(let url, let headers):
                record.kind = "remote"
                record.config = JSONWriter.string(["url": .string(url), "headers": .object(JSONObject(uniqueKeysWithValues: headers.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))])
                guard gateway.addServer(Self.upstream(server, url: url, headers: headers)) != nil else {
                    throw CatalogError(.conflict, "a server named \(server) exists already; choose another name with \"server\" (CLI: --as NAME)")
                }
                reply["kind"] = "remote"
            }
            try await store.putCatalogInstall(record)
            try await store.recordCatalogInstallEvent(entry: name, identity: identity.name, atMs: now)
        } catch {
            for vaultName in plan.secrets.keys { _ = try? await policy.removeSecret(vaultName, by: identity) }
            if record.kind == "remote" { gateway.removeServer(server) }
            throw error
        }
        policy.record(AuditEntry(identity: identity.name, action: "catalog.install", target: server, outcome: "ok",
                                 detail: "\(name) \(plan.version); consented to \(Self.describe(plan))"))
        reply["consent"] = CatalogDocuments.install(record)["consent"]
        reply["secrets"] = .array(plan.secrets.keys.sorted().map { .string($0) })
        return .object(reply)
    }

    /// Removes a server installed from the catalog, its secrets and its install record.
    public func uninstall(_ server: String, by identity: Identity) async throws {
        guard let record = try await store.catalogInstalls().first(where: { $0.server == server }) else {
            throw CatalogError(.notFound, "no server named \(server) was installed from the catalog; see `hangar catalog installed`")
        }
        if record.kind == "hosted", let hosted {
            do { try await hosted.remove(server) } catch let e as SupervisorError where e.code == .unknownWorkload {}
        } else {
            gateway.removeServer(server)
        }
        if let vault = policy.vault {
            for secret in try await vault.list() where secret.name.hasPrefix("catalog.\(server).") {
                _ = try await policy.removeSecret(secret.name, by: identity)
            }
        }
        _ = try await store.deleteCatalogInstall(server: server)
        policy.record(AuditEntry(identity: identity.name, action: "catalog.uninstall", target: server, outcome: "ok", detail: record.entry))
    }

    /// `{"installs": [...]}`: servers installed from the catalog with their consent.
    public func installs() async throws -> JSONValue {
        ["installs": .array(try await store.catalogInstalls().map(CatalogDocuments.install))]
    }

    func restoreRemoteInstalls() async throws {
        for record in try await store.catalogInstalls() where record.kind == "remote" {
            guard let config = try? JSONParser.parse(record.config, limits: .default), let url = config["url"]?.stringValue else {
                logger.error("a catalog install could not be restored", metadata: ["hangar.server": "\(record.server)"])
                continue
            }
            var headers: [String: String] = [:]
            for (k, v) in config["headers"]?.objectValue ?? [:] { headers[k] = v.stringValue }
            if gateway.addServer(Self.upstream(record.server, url: url, headers: headers)) == nil {
                logger.error("a catalog install's name is taken by another server", metadata: ["hangar.server": "\(record.server)"])
            }
        }
    }

    static func upstream(_ name: String, url: String, headers: [String: String]) -> UpstreamConfig {
        UpstreamConfig(name: name, transport: .http(url: url, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    /// `*` in the declared domains means the whole network.
    static func network(_ domains: [String]) -> NetworkPolicy {
        if domains.isEmpty { return .none }
        return domains.contains("*") ? .full : .allowlist(domains)
    }

    static func describe(_ plan: InstallPlan) -> String {
        var parts: [String] = []
        if !plan.domains.isEmpty { parts.append("network access to \(plan.domains.joined(separator: ", "))") }
        if !plan.folders.isEmpty { parts.append("the folders \(plan.folders.joined(separator: ", "))") }
        return parts.isEmpty ? "no network and no folders" : parts.joined(separator: " and ")
    }
}
