import HangarCore

/// A compiled JSON Schema (2020-12 or draft-07): compile once, then validate many instances.
///
/// ```swift
/// let schema = try JSONSchema(tool.inputSchema)
/// let result = schema.validate(arguments)
/// if !result.isValid { return toolError(result.summary) }  // "/count: expected integer, got string"
/// ```
public struct JSONSchema: Sendable {
    /// The JSON Schema dialects Hangar understands. `$schema` picks one; 2019-09 is read as
    /// 2020-12 and draft-06/04 as draft-07.
    public enum Dialect: String, Sendable, Hashable, CaseIterable {
        case draft2020_12 = "https://json-schema.org/draft/2020-12/schema"
        case draft7 = "http://json-schema.org/draft-07/schema#"

        /// The dialect a `$schema` URI names, or nil for an unknown (custom) meta-schema.
        public init?(schemaURI: String) {
            switch SchemaURI.withoutFragment(schemaURI) {
            case "https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2019-09/schema":
                self = .draft2020_12
            case "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft-07/schema",
                 "http://json-schema.org/draft-06/schema", "http://json-schema.org/draft-04/schema":
                self = .draft7
            default:
                return nil
            }
        }
    }

    /// How validation behaves; the defaults suit tool arguments.
    public struct Options: Sendable, Hashable {
        /// Check `format` (date-time, email, uuid, ...) instead of treating it as an annotation.
        public var assertFormats: Bool
        /// Most violations kept in one result.
        public var maxErrors: Int
        /// Deepest chain of nested subschemas followed for one instance; deeper is a violation,
        /// which stops `$ref`s that recurse without consuming the instance.
        public var maxDepth: Int

        public init(assertFormats: Bool = false, maxErrors: Int = 20, maxDepth: Int = 128) {
            self.assertFormats = assertFormats
            self.maxErrors = maxErrors
            self.maxDepth = maxDepth
        }
    }

    let program: SchemaProgram
    /// The dialect of the root schema (from `$schema`, else the `dialect` argument, else 2020-12).
    public let dialect: Dialect
    public let options: Options

    /// Compiles `schema`. `$schema` picks the dialect (a custom meta-schema in `registry` counts,
    /// with its `$vocabulary`); `dialect` is the default when `$schema` is absent or unknown
    /// (2020-12 if nil). `$ref`s to other documents resolve only through `registry`.
    public init(_ schema: JSONValue, dialect: Dialect? = nil, registry: SchemaRegistry = .init(), options: Options = .init()) throws(SchemaError) {
        var compiler = SchemaCompiler(registry: registry, options: options)
        let (program, rootDialect) = try compiler.compileRoot(schema, dialect: dialect)
        self.program = program
        self.dialect = rootDialect
        self.options = options
    }

    /// Whether `instance` is valid, without collecting errors (the fastest check).
    public func isValid(_ instance: JSONValue) -> Bool {
        var evaluator = SchemaEvaluator(program: program, options: options, collecting: false)
        var none = SchemaAnnotations.disabled
        return evaluator.evaluate(program.root, instance, &none)
    }

    /// Validates `instance`; on failure the result lists up to `options.maxErrors` violations.
    public func validate(_ instance: JSONValue) -> SchemaValidationResult {
        if isValid(instance) { return .valid }
        var evaluator = SchemaEvaluator(program: program, options: options, collecting: true)
        var none = SchemaAnnotations.disabled
        _ = evaluator.evaluate(program.root, instance, &none)
        if evaluator.errors.isEmpty {
            let root = program.nodes[program.root].location
            return SchemaValidationResult(errors: [SchemaViolation(instanceLocation: "", keywordLocation: root, message: "does not match the schema")])
        }
        return SchemaValidationResult(errors: evaluator.errors, isTruncated: evaluator.truncated)
    }

    /// True when both values are the same compiled validator (as a `SchemaCache` hands out).
    public func isSameCompiledSchema(as other: JSONSchema) -> Bool { program === other.program }
}
