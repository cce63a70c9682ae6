import Foundation

/// One Server-Sent Event.
public struct SSEEvent: Sendable, Hashable {
    public var event: String?
    public var data: String
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }

    /// The wire form: `event:`, `id:`, one `data:` line per line of data, then a blank line.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.utf8.count + 32)
        if let event { out.append(contentsOf: "event: \(event)\n".utf8) }
        if let id { out.append(contentsOf: "id: \(id)\n".utf8) }
        // Every line end (CRLF, CR or LF) in the data starts a new data line, as readers split on all three.
        let lines = data.replacingOccurrences(of: "\r\n", with: "\n").split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r" }
        for line in lines {
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: line.utf8)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// A JSON-RPC message as a `message` event.
    public static func message(_ json: [UInt8], id: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 24)
        out.append(contentsOf: "event: message\n".utf8)
        if let id { out.append(contentsOf: "id: \(id)\n".utf8) }
        out.append(contentsOf: "data: ".utf8)
        out.append(contentsOf: json)
        out.append(contentsOf: "\n\n".utf8)
        return out
    }
}

/// Incremental SSE parser (WHATWG rules): feed bytes as they arrive, get whole events.
public struct SSEDecoder: Sendable {
    private var pending: [UInt8] = []
    private var event: String?
    private var id: String?
    private var data: [UInt8] = []
    private var hasData = false
    private var skipLF = false
    private var overLimit = false
    public let maxEventBytes: Int

    public init(maxEventBytes: Int = 64 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    public struct TooLarge: Error, CustomStringConvertible {
        public var description: String { "SSE event over the size limit" }
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [SSEEvent] {
        pending.append(contentsOf: bytes)
        var events: [SSEEvent] = []
        var start = 0
        var i = 0
        // A CR ends a line at once; a LF right after it (maybe in the next chunk) is skipped.
        if skipLF, !pending.isEmpty {
            if pending[0] == UInt8(ascii: "\n") { start = 1; i = 1 }
            skipLF = false
        }
        while i < pending.count {
            let b = pending[i]
            if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                if let e = processLine(pending[start..<i]) { events.append(e) }
                if b == UInt8(ascii: "\r") {
                    if i + 1 < pending.count {
                        if pending[i + 1] == UInt8(ascii: "\n") { i += 1 }
                    } else {
                        skipLF = true
                    }
                }
                start = i + 1
            }
            i += 1
        }
        pending.removeFirst(start)
        if overLimit || pending.count + data.count > maxEventBytes { throw TooLarge() }
        return events
    }

    private mutating func processLine(_ line: ArraySlice<UInt8>) -> SSEEvent? {
        if line.isEmpty {
            defer { event = nil; data = []; hasData = false }
            guard hasData else { return nil }
            return SSEEvent(event: event, data: String(decoding: data, as: UTF8.self), id: id)
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = line[line.startIndex..<colon]
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line
            value = []
        }
        switch String(decoding: field, as: UTF8.self) {
        case "data":
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
            if data.count > maxEventBytes { overLimit = true }
        case "event": event = String(decoding: value, as: UTF8.self)
        case "id": id = String(decoding: value, as: UTF8.self)
        default: break
        }
        return nil
    }
}
