import Foundation
@testable import HangarCore
import Testing

@Suite("ResidentPages")
struct ResidentPagesTests {
    @Test("only read-only mappings of a file are chosen from /proc/PID/maps")
    func mapsLines() {
        #expect(ResidentPages.parse(mapsLine: "7f10a000-7f10c000 r-xp 00001000 fd:01 1234   /usr/lib/libc.so.6")
            == .init(start: 0x7F10_A000, end: 0x7F10_C000))
        #expect(ResidentPages.parse(mapsLine: "7f10a000-7f10c000 r--p 00000000 fd:01 1234   /tmp/a file with spaces") != nil)
        #expect(ResidentPages.parse(mapsLine: "7f10a000-7f10c000 rw-p 00002000 fd:01 1234   /usr/lib/libc.so.6") == nil)
        #expect(ResidentPages.parse(mapsLine: "7f10a000-7f10c000 rw-p 00000000 00:00 0 ") == nil)
        #expect(ResidentPages.parse(mapsLine: "7ffd1000-7ffd3000 r-xp 00000000 00:00 0                  [vdso]") == nil)
        #expect(ResidentPages.parse(mapsLine: "garbage") == nil)
    }

    @Test("release unmaps the pages of a read-only file mapping; reading them again still gives the file")
    func releaseDropsFilePages() throws {
        let size = 8 << 20
        let path = NSTemporaryDirectory() + "resident-pages-\(getpid()).bin"
        defer { unlink(path) }
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 / 4096) }).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let base = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0))
        try #require(base != MAP_FAILED)
        defer { munmap(base, size) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var sum = 0
        for page in stride(from: 0, to: size, by: 4096) { sum &+= Int(bytes[page]) }
        let address = Int(bitPattern: base)
        let before = try #require(Self.residentKilobytes(of: address))
        #expect(before >= 7 * 1024, "touched 8 MiB, \(before) KiB resident")

        let released = ResidentPages.release()
        #expect(released.advisedBytes >= size)
        let after = try #require(Self.residentKilobytes(of: address))
        #expect(after <= 1024, "\(after) KiB still resident of 8 MiB")

        var again = 0
        for page in stride(from: 0, to: size, by: 4096) { again &+= Int(bytes[page]) }
        #expect(again == sum)
    }

    @Test("a /proc file is read whole, past the first page that Foundation stops at")
    func procFileWhole() throws {
        let smaps = try #require(ProcFile.read("/proc/self/smaps"))
        #expect(smaps.utf8.count > 16384)
        let foundation = (try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)) ?? ""
        #expect(smaps.utf8.count > foundation.utf8.count)
        #expect(smaps.split(separator: "\n").last?.hasPrefix("VmFlags:") == true)
        #expect(ProcFile.read("/proc/self/no-such-file") == nil)
    }

    /// The Rss of the mapping that starts at `address`, from /proc/self/smaps.
    static func residentKilobytes(of address: Int) -> Int? {
        guard let smaps = ProcFile.read("/proc/self/smaps") else { return nil }
        let start = String(address, radix: 16) + "-"
        var inside = false
        for line in smaps.split(separator: "\n") {
            if line.first?.isHexDigit == true, line.contains("-"), !line.hasSuffix(":") {
                inside = line.hasPrefix(start) || line.hasPrefix("0" + start)
            } else if inside, line.hasPrefix("Rss:") {
                return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            }
        }
        return nil
    }
}
