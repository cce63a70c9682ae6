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

    /// The schema by JSON equality (member order and `1` vs `1.0` do not matter), hashed
    /// without serialising it.
    private struct Key: Hashable {
        let schema: JSONValue
        let dialect: JSONSchema.Dialect?
        /// Computed once: hashing walks the whole schema.
        let hash: Int

        init(schema: JSONValue, dialect: JSONSchema.Dialect?) {
            self.schema = schema
            self.dialect = dialect
            var hasher = Hasher()
            JSONEquality.hash(schema, into: &hasher)
            hasher.combine(dialect)
            hash = hasher.finalize()
        }

        static func == (a: Key, b: Key) -> Bool {
            a.hash == b.hash && a.dialect == b.dialect && JSONEquality.equal(a.schema, b.schema)
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
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
        let key = Key(schema: schema, dialect: dialect)
        let cached: Result<JSONSchema, SchemaError>? = state.withLock { state in
            state.clock += 1
            guard let index = state.entries.index(forKey: key) else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.entries.values[index].lastUse = state.clock
            return state.entries.values[index].result
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
}
