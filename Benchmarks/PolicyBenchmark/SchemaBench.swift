import Foundation
import HangarCore
import HangarPolicy

/// Validations per second of a typical tool input schema, on one core.
enum SchemaBench {
    static let toolSchema = """
        {"type":"object","properties":{"path":{"type":"string","minLength":1},
         "count":{"type":"integer","minimum":0,"maximum":1000},"recursive":{"type":"boolean"},
         "mode":{"enum":["fast","safe"]},"tags":{"type":"array","items":{"type":"string"},"maxItems":10}},
         "required":["path","count"],"additionalProperties":false}
        """

    static func run() throws {
        print("== JSON Schema validation (one core, thread CPU time) ==")
        let schemaValue = try JSONParser.parse(toolSchema)
        let valid = try JSONParser.parse(#"{"path":"/srv/data/report.csv","count":250,"recursive":true,"mode":"safe","tags":["a","bb","ccc"]}"#)
        let invalid = try JSONParser.parse(#"{"path":"","count":"ten","mode":"slow","extra":1}"#)
        let oneError = try JSONParser.parse(#"{"path":"/srv/data/report.csv","count":"250"}"#)

        let compileRate = measure(iterations: 20_000) { _ = try? JSONSchema(schemaValue) }
        print(row("compile the 5-property schema", compileRate))
        let schema = try JSONSchema(schemaValue)

        let validRate = measure(iterations: 2_000_000) { precondition(schema.validate(valid).isValid) }
        let invalidRate = measure(iterations: 500_000) { precondition(schema.validate(invalid).errors.count == 4) }
        let oneErrorRate = measure(iterations: 1_000_000) { precondition(schema.validate(oneError).errors.count == 1) }
        let invalidQuick = measure(iterations: 2_000_000) { precondition(!schema.isValid(invalid)) }
        print(row("validate(valid instance)", validRate))
        print(row("validate(invalid instance), 4 errors with messages", invalidRate))
        print(row("validate(invalid instance), 1 error with message", oneErrorRate))
        print(row("isValid(invalid instance), no messages", invalidQuick))

        let cache = SchemaCache()
        _ = try cache.schema(for: schemaValue)
        let cachedRate = measure(iterations: 500_000) { _ = try? cache.schema(for: schemaValue) }
        print(row("SchemaCache lookup (hash + JSON equality of the schema)", cachedRate))
        print(String(format: "target 200,000 validations/s: valid %.1fx, invalid (1 error) %.1fx, invalid (4 errors) %.1fx",
                     validRate / 200_000, oneErrorRate / 200_000, invalidRate / 200_000))
    }

    /// Operations per second of `body` on this thread's CPU time (so other processes on a
    /// busy machine do not skew it), after a short warm-up.
    static func measure(iterations: Int, _ body: () -> Void) -> Double {
        for _ in 0..<min(1000, iterations) { body() }
        let start = threadCPUSeconds()
        for _ in 0..<iterations { body() }
        return Double(iterations) / (threadCPUSeconds() - start)
    }

    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func row(_ title: String, _ rate: Double) -> String {
        let padded = title.padding(toLength: 56, withPad: " ", startingAt: 0)
        return "\(padded) \(String(format: "%12.0f", rate)) /s   \(String(format: "%8.2f", 1e6 / rate)) µs each"
    }
}
