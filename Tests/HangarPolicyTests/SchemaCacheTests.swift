import HangarCore
import Testing

@testable import HangarPolicy

@Suite("SchemaCache")
struct SchemaCacheTests {
    @Test("the same schema gives the same compiled validator, whatever its member order")
    func sameValidator() throws {
        let cache = SchemaCache()
        let a = try cache.schema(for: ["type": "object", "required": ["x"]])
        let b = try cache.schema(for: ["required": ["x"], "type": "object"])
        #expect(a.isSameCompiledSchema(as: b))
        #expect(cache.statistics == .init(hits: 1, misses: 1, count: 1))
        let c = try cache.schema(for: ["type": "string"])
        #expect(!a.isSameCompiledSchema(as: c))
        #expect(!b.isValid(["y": 1]))
    }

    @Test("the cache stays within its capacity, dropping the least recently used")
    func bounded() throws {
        let cache = SchemaCache(capacity: 2)
        let first = try cache.schema(for: ["minimum": 1])
        _ = try cache.schema(for: ["minimum": 2])
        _ = try cache.schema(for: ["minimum": 1])  // touch: now the most recent
        _ = try cache.schema(for: ["minimum": 3])  // evicts minimum 2
        #expect(cache.statistics.count == 2)
        #expect(try cache.schema(for: ["minimum": 1]).isSameCompiledSchema(as: first))
        let misses = cache.statistics.misses
        _ = try cache.schema(for: ["minimum": 2])
        #expect(cache.statistics.misses == misses + 1)
    }

    @Test("a schema that cannot compile fails the same way every time, compiled once")
    func cachedFailure() {
        let cache = SchemaCache()
        for _ in 0..<3 {
            #expect(throws: SchemaError.self) { try cache.schema(for: ["$ref": "#/nowhere"]) }
        }
        #expect(cache.statistics.misses == 1)
        #expect(cache.statistics.hits == 2)
    }

    @Test("many tasks asking at once all get a working validator")
    func concurrentUse() async throws {
        let cache = SchemaCache()
        let ok = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<32 {
                group.addTask {
                    guard let schema = try? cache.schema(for: ["type": "integer", "maximum": .int(Int64(i % 4))]) else { return false }
                    return schema.isValid(.int(Int64(i % 4))) && !schema.isValid(.int(100))
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(ok)
        #expect(cache.statistics.count == 4)
    }
}
