import HangarCore
import HangarPolicy

extension Gateway {
    /// Checks a server's tools against their pins: drift is logged and audited, and under the
    /// strict policy a drifted tool is left out until an operator approves it.
    func pinned(_ tools: [JSONValue], server: String) async -> [JSONValue] {
        guard let pinning = policy.pinning else { return tools }
        let report: ToolPinning.Report
        do {
            report = try await pinning.check(server: server, tools: tools)
        } catch {
            logger.error("tool pinning failed; serving the tools unchecked", metadata: ["hangar.server": "\(server)", "error": "\(error)"])
            return tools
        }
        for name in report.newlyDrifted {
            let held = report.withheld.contains(name)
            logger.warning("tool definition drifted from its pin\(held ? "; withheld until approved" : "")",
                           metadata: ["hangar.server": "\(server)", "hangar.tool": "\(name)"])
            policy.record(AuditEntry(identity: "hangar", action: "policy.drift", target: "\(server)/\(name)",
                                     outcome: held ? "withheld" : "warned"))
        }
        guard !report.withheld.isEmpty else { return tools }
        return tools.filter { tool in !report.withheld.contains(tool["name"]?.stringValue ?? "") }
    }

    /// Approves a drifted tool's new definition and re-lists its server so it reappears.
    public func approveDrift(server: String, tool: String, by identity: Identity) async throws -> Bool {
        guard let pinning = policy.pinning else { return false }
        let approved = try await pinning.approve(server: server, tool: tool)
        policy.record(AuditEntry(identity: identity.name, action: "admin.tools.approve", target: "\(server)/\(tool)",
                                 outcome: approved ? "ok" : "not_found"))
        if approved, let upstream = pool.upstream(named: server) {
            await refreshNow(upstream)
        }
        return approved
    }
}
