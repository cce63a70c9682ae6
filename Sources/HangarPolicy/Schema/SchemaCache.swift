import HangarCore
import Synchronization

/// Compiled schemas by content, so each tool's schema is compiled once however often it is
/// called. Thread-safe; bounded (least recently used entries go first). Schemas that fail to
/// compile are remembered too, so a broken tool schema is not recompiled on every call.
public final class SchemaCache: Sendable {
    /// Hit and miss counts, for metrics.
    public struct Statistics: Sendable, Hashable {
        public var hits: Int
        public var misses: Int
        public var count: Int
    }

    private struct Key: Hashable {
        let canonical: [UInt8]
        let dialect: JSONSchema.Dialect?
    }

    private struct State {
        var entries: [Key: (result: Result<JSONSchema, SchemaError>, lastUse: UInt64)] = [:]
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public let capacity: Int
    public let registry: SchemaRegistry
    public let options: JSONSchema.Options
    private let state = Mutex(State())

    public init(capacity: Int = 1024, registry: SchemaRegistry = .init(), options: JSONSchema.Options = .init()) {
        self.capacity = max(1, capacity)
        self.registry = registry
        self.options = options
    }

    /// The compiled schema for `schema`, compiling it on first use.
    public func schema(for schema: JSONValue, dialect: JSONSchema.Dialect? = nil) throws(SchemaError) -> JSONSchema {
        let key = Key(canonical: Self.canonicalBytes(schema), dialect: dialect)
        let cached: Result<JSONSchema, SchemaError>? = state.withLock { state in
            state.clock += 1
            guard var entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.result
        }
        if let cached { return try cached.get() }

        // Compile outside the lock; if another thread won the race, use its copy.
        let compiled: Result<JSONSchema, SchemaError>
        do throws(SchemaError) {
            compiled = .success(try JSONSchema(schema, dialect: dialect, registry: registry, options: options))
        } catch {
            compiled = .failure(error)
        }
        let result = state.withLock { state in
            state.clock += 1
            if let existing = state.entries[key] { return existing.result }
            if state.entries.count >= capacity, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                state.entries.removeValue(forKey: oldest)
            }
            state.entries[key] = (compiled, state.clock)
            return compiled
        }
        return try result.get()
    }

    public var statistics: Statistics {
        state.withLock { Statistics(hits: $0.hits, misses: $0.misses, count: $0.entries.count) }
    }

    /// JSON text with object members sorted by key, so member order does not split the cache.
    static func canonicalBytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        writeCanonical(value, into: &out)
        return out
    }

    private static func writeCanonical(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeCanonical(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (i, member) in object.elements.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                writeCanonical(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        default:
            JSONWriter.write(value, into: &out)
        }
    }
}
