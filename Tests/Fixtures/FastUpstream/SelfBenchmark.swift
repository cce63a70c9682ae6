import HangarCore
import HangarKit

/// `--self-bench N`: N sequential `tools/call echo` through the in-memory entry points,
/// printed as microseconds per call: HangarKit's own per-call cost, without pipes.
enum SelfBenchmark {
    static func run(_ server: MCPServer, calls: Int) async {
        let calls = max(calls, 1)
        let message = JSONRPCMessage.request(.init(
            id: .int(1), method: MCPMethod.toolsCall,
            params: ["name": "echo", "arguments": ["text": "hello"]]))
        let frame = message.serialized()
        guard let answer = await server.handle(message) else {
            print("echo gave no answer")
            return
        }
        for _ in 0..<min(calls, 1_000) { _ = await server.handle(frame) }  // warm up

        let clock = ContinuousClock()
        var answered = 0
        let messageTime = await clock.measure {
            for _ in 0..<calls where await server.handle(message) != nil { answered += 1 }
        }
        let frameTime = await clock.measure {
            for _ in 0..<calls where await server.handle(frame) != nil { answered += 1 }
        }
        // The HangarCore share of the byte path, measured alone.
        var checksum = 0
        let decodeTime = clock.measure {
            for _ in 0..<calls {
                if case .single(.success) = IncomingFrame.decode(frame, limits: .default) { checksum += 1 }
            }
        }
        let encodeTime = clock.measure {
            for _ in 0..<calls { checksum &+= JSONRPCMessage.response(answer).serialized().count }
        }
        func perCall(_ d: Duration) -> String {
            let micros = (Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12) / Double(calls)
            let hundredths = Int((micros * 100).rounded())
            let fraction = hundredths % 100
            return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) us/call"
        }
        print("tools/call echo, \(calls) sequential calls per line (\(answered) answered, checksum \(checksum % 10))")
        print("handle(JSONRPCMessage):            \(perCall(messageTime))")
        print("handle(bytes) incl. parse + write: \(perCall(frameTime))")
        print("  IncomingFrame.decode alone:      \(perCall(decodeTime))")
        print("  serializing the answer alone:    \(perCall(encodeTime))")
    }
}
