/// Looks through a package's text files for what untrusted MCP servers should not do:
/// read credentials, fetch and run code, mine, open reverse shells, write system files,
/// hide code in encoded blobs. Findings are hints for a person, not proof; the sandbox is
/// the protection. Native binaries are reported as info. Inspection runs it; its report is
/// `InspectedPackage.scanReport`.
struct PackageScanner: Sendable {
    /// One thing to look for, matched against a lowercased line.
    struct Rule: Sendable {
        let id: String
        let severity: ScanSeverity
        let summary: String
        let matches: @Sendable (_ line: Substring, _ file: ScannedFile) -> Bool
    }

    /// A text file being scanned, for rules that look beyond one line.
    struct ScannedFile {
        let lowercased: String
        func contains(_ text: String) -> Bool { lowercased.contains(text) }
    }

    let rules: [Rule]
    /// Findings per rule per file beyond this are dropped (the count still shows the pattern).
    var maxFindingsPerRuleAndFile = 5

    init() { rules = Self.defaultRules }

    /// Scans `files` (path, content); `heads` are every file's first bytes, for native binaries.
    func scan(_ files: [(path: String, bytes: [UInt8])], heads: [(path: String, bytes: [UInt8])], skipped: [String]) -> ScanReport {
        var findings: [ScanFinding] = []
        for (path, head) in heads where head.starts(with: [0x7F, 0x45, 0x4C, 0x46]) {
            findings.append(ScanFinding(rule: "native-binary", severity: .info, summary: "a native (ELF) executable or library",
                                        path: path, line: nil, excerpt: "ELF"))
        }
        for (path, bytes) in files where !bytes.prefix(8_192).contains(0) {
            findings += scanText(String(decoding: bytes, as: UTF8.self), path: path)
        }
        return ScanReport(findings: findings, skippedFiles: skipped)
    }

    func scanText(_ text: String, path: String) -> [ScanFinding] {
        let file = ScannedFile(lowercased: text.lowercased())
        var findings: [ScanFinding] = []
        var perRule: [String: Int] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lowered = Substring(line.lowercased())
            for rule in rules where rule.matches(lowered, file) {
                let count = perRule[rule.id, default: 0]
                perRule[rule.id] = count + 1
                guard count < maxFindingsPerRuleAndFile else { continue }
                let trimmed = String(line.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
                findings.append(ScanFinding(rule: rule.id, severity: rule.severity, summary: rule.summary, path: path,
                                            line: index + 1, excerpt: String(trimmed.prefix(160))))
            }
        }
        return findings
    }
}

extension Substring {
    fileprivate func has(_ any: String...) -> Bool { any.contains { contains($0) } }

    /// True when the line holds a run of at least `length` base64 characters.
    fileprivate func hasBase64Run(_ length: Int) -> Bool {
        var run = 0
        for byte in utf8 {
            let isBase64 = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2F || byte == 0x3D
            run = isBase64 ? run + 1 : 0
            if run >= length { return true }
        }
        return false
    }
}

extension PackageScanner {
    static let defaultRules: [Rule] = [
        Rule(id: "ssh-key-access", severity: .critical, summary: "reads SSH keys") { line, _ in
            line.has(".ssh/id_", ".ssh/authorized_keys", "id_rsa", "id_ed25519")
        },
        Rule(id: "system-secrets", severity: .critical, summary: "reads system password files") { line, _ in
            line.has("/etc/shadow", "/etc/sudoers", "/etc/gshadow")
        },
        Rule(id: "pipe-to-shell", severity: .critical, summary: "downloads a script and runs it") { line, _ in
            line.has("curl ", "wget ") && line.has("| sh", "|sh", "| bash", "|bash", "| python", "|python", "| sudo")
        },
        Rule(id: "crypto-miner", severity: .critical, summary: "crypto-miner marker") { line, _ in
            line.has("stratum+tcp", "stratum+ssl", "xmrig", "cryptonight", "minergate", "nicehash")
        },
        Rule(id: "eval-encoded", severity: .critical, summary: "runs code decoded from base64") { line, _ in
            line.has("eval(", "exec(", "function(") && line.has("base64", "b64decode", "atob(", "buffer.from(")
        },
        Rule(id: "reverse-shell", severity: .critical, summary: "reverse-shell idiom") { line, file in
            line.has("/dev/tcp/", "/dev/udp/", "nc -e", "ncat -e", "nc -c ", "bash -i >&", "sh -i >&")
                || (line.has("dup2(") && file.contains("socket"))
        },
        Rule(id: "system-file-write", severity: .critical, summary: "writes under /etc") { line, _ in
            line.has("> /etc/", ">/etc/", ">> /etc/", "tee /etc/", "tee -a /etc/")
                || (line.contains("/etc/") && line.has(", 'w'", ", \"w\"", ", 'a'", ", \"a\"", "writefile", "write_text", "appendfile"))
        },
        Rule(id: "crontab", severity: .warning, summary: "installs scheduled jobs") { line, _ in
            line.has("crontab", "/etc/cron", "/var/spool/cron")
        },
        Rule(id: "shell-command", severity: .warning, summary: "runs shell commands") { line, _ in
            line.has("os.system(", "os.popen(", "shell=true", "child_process", "execsync(")
        },
        Rule(id: "native-code", severity: .warning, summary: "loads native code or traces processes") { line, _ in
            line.has("import ctypes", "from ctypes", "ctypes.", "ptrace", "cdll.", "ffi-napi")
        },
        Rule(id: "encoded-blob", severity: .warning, summary: "long base64 blob (possibly hidden code)") { line, _ in
            line.utf8.count >= 200 && line.hasBase64Run(200)
        },
    ]
}
