import Crypto
import HangarCore
import HangarStore
import Synchronization

/// Tool-definition pinning: the first definition seen of each tool is recorded; a later change
/// of its description or schemas is drift. Under `warn` the new definition is served and the
/// drift reported; under `strict` the changed tool is withheld until an operator approves it.
public final class ToolPinning: Sendable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        case off, warn, strict
    }

    /// What a check found for one server.
    public struct Report: Sendable, Hashable {
        /// Tools (original names) that were seen for the first time and are now pinned.
        public var pinned: [String] = []
        /// Tools whose definition differs from the pinned one and has not been approved.
        public var drifted: [String] = []
        /// Tools that changed in this check (drift found now, not before).
        public var newlyDrifted: [String] = []
        /// Tools to leave out of the catalog (strict mode).
        public var withheld: Set<String> = []
    }

    public let mode: Mode
    private let store: any PinStore
    /// Undrifted pins are held without their definitions (only the hash is compared); a daemon
    /// that has seen 10,000 tools would otherwise keep megabytes of JSON text it never reads.
    private let pins: Mutex<[String: ToolPinRecord]>

    private init(mode: Mode, store: any PinStore, records: [ToolPinRecord]) {
        self.mode = mode
        self.store = store
        pins = Mutex(Dictionary(records.map { (Self.key($0.server, $0.tool), Self.held($0)) }, uniquingKeysWith: { a, _ in a }))
    }

    public static func load(mode: Mode, store: any PinStore) async throws(StoreError) -> ToolPinning {
        ToolPinning(mode: mode, store: store, records: mode == .off ? [] : try await store.pinFingerprints())
    }

    static func key(_ server: String, _ tool: String) -> String { server + "\u{0}" + tool }

    /// What memory keeps of a pin: an undrifted one without its definitions.
    static func held(_ pin: ToolPinRecord) -> ToolPinRecord {
        guard pin.status == .pinned else { return pin }
        var lean = pin
        lean.pinnedDefinition = ""
        lean.currentDefinition = nil
        return lean
    }

    /// Compares a server's current tool definitions with the pins, recording new ones and drift.
    public func check(server: String, tools: [JSONValue], nowMs: Int64 = WallClock.milliseconds()) async throws(StoreError) -> Report {
        var report = Report()
        guard mode != .off else { return report }
        for tool in tools {
            guard let name = tool["name"]?.stringValue else { continue }
            let (text, hash) = Self.fingerprint(tool)
            let existing = pins.withLock { $0[Self.key(server, name)] }
            guard var pin = existing else {
                try await save(ToolPinRecord(server: server, tool: name, pinnedHash: hash, pinnedDefinition: text, status: .pinned,
                                             firstSeenMs: nowMs))
                report.pinned.append(name)
                continue
            }
            if pin.pinnedHash == hash {
                if pin.status == .drifted {  // changed back to the pinned definition
                    pin.status = .pinned
                    pin.currentHash = nil
                    pin.currentDefinition = nil
                    try await save(pin)
                }
                continue
            }
            report.drifted.append(name)
            if mode == .strict { report.withheld.insert(name) }
            if pin.status != .drifted || pin.currentHash != hash {
                if pin.status == .pinned, let whole = try await store.pin(server: server, tool: name) { pin = whole }
                pin.status = .drifted
                pin.currentHash = hash
                pin.currentDefinition = text
                pin.changedMs = nowMs
                try await save(pin)
                report.newlyDrifted.append(name)
            }
        }
        return report
    }

    /// Accepts a drifted tool's current definition as the new pin. False when it has no drift.
    public func approve(server: String, tool: String, nowMs: Int64 = WallClock.milliseconds()) async throws(StoreError) -> Bool {
        guard var pin = pins.withLock({ $0[Self.key(server, tool)] }), pin.status == .drifted,
              let hash = pin.currentHash, let text = pin.currentDefinition else { return false }
        pin.pinnedHash = hash
        pin.pinnedDefinition = text
        pin.status = .pinned
        pin.currentHash = nil
        pin.currentDefinition = nil
        pin.changedMs = nowMs
        try await save(pin)
        return true
    }

    /// Stores a pin, then makes it the one in memory.
    private func save(_ pin: ToolPinRecord) async throws(StoreError) {
        try await store.upsertPin(pin)
        pins.withLock { $0[Self.key(pin.server, pin.tool)] = Self.held(pin) }
    }

    /// Every tool currently drifted from its pin.
    public var drifts: [ToolPinRecord] {
        pins.withLock { Array($0.values) }.filter { $0.status == .drifted }.sorted { ($0.server, $0.tool) < ($1.server, $1.tool) }
    }

    /// The definition without `_meta` in canonical form, and its SHA-256.
    static func fingerprint(_ tool: JSONValue) -> (String, String) {
        var definition = tool
        if case .object(var o) = definition {
            o.removeValue(forKey: "_meta")
            definition = .object(o)
        }
        let bytes = JSONWriter.sortedBytes(definition)
        return (String(decoding: bytes, as: UTF8.self), SHA256.hash(data: bytes).hexString)
    }
}
