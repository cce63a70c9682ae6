import HangarCore
import Synchronization

/// A 2025-era HTTP session: its negotiated version, its GET stream, its in-flight requests.
final class LegacySession: Sendable {
    let id: String
    let version: String
    /// The identity that opened the session; only it may use the session.
    let identity: String
    let inFlight = InFlightRequests()
    private let streams = Mutex<[Int: AsyncStream<[UInt8]>.Continuation]>([:])
    private let nextStream = Mutex(0)
    let listenerToken = Mutex<Int?>(nil)

    init(id: String, version: String, identity: String) {
        self.id = id
        self.version = version
        self.identity = identity
    }

    /// Opens a GET stream; the returned stream ends when `close` is called.
    func openStream() -> (Int, AsyncStream<[UInt8]>) {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(1000))
        let key = nextStream.withLock { n in
            defer { n += 1 }
            return n
        }
        streams.withLock { $0[key] = continuation }
        return (key, stream)
    }

    func closeStream(_ key: Int) {
        streams.withLock { $0.removeValue(forKey: key) }?.finish()
    }

    /// Sends a server notification on the session's GET stream(s), if open.
    func push(_ message: JSONRPCMessage) {
        let bytes = message.serialized()
        for c in streams.withLock({ Array($0.values) }) { c.yield(bytes) }
    }

    func close() {
        inFlight.cancelAll()
        let all = streams.withLock { s in
            defer { s = [:] }
            return Array(s.values)
        }
        for c in all { c.finish() }
    }
}

/// Every open legacy session, by id.
final class LegacySessions: Sendable {
    private let sessions = Mutex<[String: LegacySession]>([:])
    let maxSessions: Int

    init(maxSessions: Int = 10_000) {
        self.maxSessions = maxSessions
    }

    func create(version: String, identity: String) -> LegacySession? {
        var bytes = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let id = bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
        let session = LegacySession(id: id, version: version, identity: identity)
        let ok = sessions.withLock { s -> Bool in
            guard s.count < maxSessions else { return false }
            s[id] = session
            return true
        }
        return ok ? session : nil
    }

    func get(_ id: String) -> LegacySession? { sessions.withLock { $0[id] } }

    func remove(_ id: String) -> LegacySession? { sessions.withLock { $0.removeValue(forKey: id) } }

}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
