import Testing
@testable import HangarSupervisor

@Suite("WorkloadLog")
struct WorkloadLogTests {
    @Test("memory keeps the newest lines within both the line and the byte bound")
    func bounds() {
        let log = WorkloadLog(name: "x", directory: nil, limits: .init(maxLines: 5, maxBytes: 20, fileBytes: 100, rotatedFiles: 1))
        for i in 0..<10 { log.append("line\(i)") }
        #expect(log.tail(100) == ["line6", "line7", "line8", "line9"], "4 lines of 5 bytes fill the 20 bytes; the line bound (5) is not reached")
        #expect(log.tail(1) == ["line9"])
        #expect(log.tail(0) == [])
        log.append(String(repeating: "x", count: 50))
        #expect(log.tail(100).count == 1, "one oversized line is still kept")
    }

    @Test("a follower gets the tail, then new lines, with nothing lost or repeated; removal ends it")
    func follow() async {
        let log = WorkloadLog(name: "x", directory: nil, limits: .init(maxLines: 100, maxBytes: 1 << 20, fileBytes: 100, rotatedFiles: 1))
        log.append("a")
        log.append("b")
        let stream = log.follow(last: 1)
        log.append("c")
        log.finish()
        var seen: [String] = []
        for await line in stream { seen.append(line) }
        #expect(seen == ["b", "c"])
    }
}
