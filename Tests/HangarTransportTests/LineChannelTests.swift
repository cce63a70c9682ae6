@testable import HangarTransport
import Foundation
import Testing

@Suite("LineChannel")
struct LineChannelTests {
    @Test("after flushed(), every line sent is in the pipe: closing then loses none, though the pipe held a fraction of them")
    func flushedBeforeClose() async throws {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        try #require(pipe(&input) == 0 && pipe(&output) == 0)
        // The channel reads `input` (nothing comes) and writes `output`, which nobody reads until
        // everything is sent: 2 MB of lines against a pipe of 64 KiB, so most wait in the channel.
        let channel = try await LineChannel.open(readFD: input[0], writeFD: output[1], maxLineBytes: 1 << 20,
                                                 onEvent: { _ in }, onClose: {})
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 9_999)
        for _ in 0..<200 { channel.send(line) }
        let closing = Task {
            await channel.flushed()
            channel.close()
        }
        let received = try await PipeReader(fd: output[0]).untilEOF(seconds: 30)
        await closing.value
        close(input[1])
        #expect(received.utf8.count == 200 * 10_000)
        #expect(received.split(separator: "\n").count == 200)
    }
}
