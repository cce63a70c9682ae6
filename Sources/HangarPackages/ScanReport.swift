/// How serious a scanner finding is.
public enum ScanSeverity: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    case info, warning, critical

    public static func < (lhs: ScanSeverity, rhs: ScanSeverity) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .info: return "info"
        case .warning: return "warning"
        case .critical: return "critical"
        }
    }
}

/// One suspicious line (or file) in a package.
public struct ScanFinding: Sendable, Hashable {
    /// Stable rule identifier, e.g. `pipe-to-shell`.
    public let rule: String
    public let severity: ScanSeverity
    /// What the rule looks for, in words.
    public let summary: String
    public let path: String
    /// 1-based line number; nil for findings about a whole file (a native binary).
    public let line: Int?
    /// The offending line, trimmed and cut to 160 characters.
    public let excerpt: String

    public init(rule: String, severity: ScanSeverity, summary: String, path: String, line: Int?, excerpt: String) {
        self.rule = rule
        self.severity = severity
        self.summary = summary
        self.path = path
        self.line = line
        self.excerpt = excerpt
    }
}

/// What to do with scanner findings when a package is installed.
public enum ScanPolicy: Sendable, Hashable {
    /// Do not look at findings.
    case off
    /// Show findings, install anyway.
    case warn
    /// Refuse the package if any finding is at least this severe.
    case block(minimumSeverity: ScanSeverity)
}

/// Everything the scanner found in a package, most severe first.
public struct ScanReport: Sendable, Hashable {
    public let findings: [ScanFinding]
    /// Files not scanned because they are larger than the scan limits allow.
    public let skippedFiles: [String]

    public init(findings: [ScanFinding], skippedFiles: [String]) {
        self.findings = findings.sorted { ($0.severity, $1.path, $1.line ?? 0) > ($1.severity, $0.path, $0.line ?? 0) }
        self.skippedFiles = skippedFiles
    }

    /// True when `policy` refuses a package with these findings.
    public func blocks(_ policy: ScanPolicy) -> Bool {
        guard case .block(let minimum) = policy else { return false }
        return findings.contains { $0.severity >= minimum }
    }

    /// A few lines for a person: counts by severity, then each finding as `path:line rule: summary`.
    public var summary: String {
        guard !findings.isEmpty else {
            return skippedFiles.isEmpty ? "no findings" : "no findings (\(skippedFiles.count) large files not scanned)"
        }
        let counts = [ScanSeverity.critical, .warning, .info].compactMap { severity -> String? in
            let count = findings.filter { $0.severity == severity }.count
            return count == 0 ? nil : "\(count) \(severity)"
        }
        var lines = ["\(findings.count) finding\(findings.count == 1 ? "" : "s"): \(counts.joined(separator: ", "))"]
        for finding in findings.prefix(20) {
            let location = finding.line.map { "\(finding.path):\($0)" } ?? finding.path
            lines.append("  [\(finding.severity)] \(location) \(finding.rule): \(finding.summary) — \(finding.excerpt)")
        }
        if findings.count > 20 { lines.append("  ... and \(findings.count - 20) more") }
        if !skippedFiles.isEmpty { lines.append("  \(skippedFiles.count) large files not scanned") }
        return lines.joined(separator: "\n")
    }
}
