import HangarCore
import Testing

@testable import HangarPolicy

private func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

/// The tool schema the gateway sees most: a handful of typed properties, no extras allowed.
private let toolSchema = """
    {"type":"object","properties":{"path":{"type":"string","minLength":1},
     "count":{"type":"integer","minimum":0,"maximum":1000},"recursive":{"type":"boolean"},
     "mode":{"enum":["fast","safe"]},"tags":{"type":"array","items":{"type":"string"},"maxItems":10}},
     "required":["path","count"],"additionalProperties":false}
    """

@Suite("JSONSchema")
struct SchemaTests {
    @Test("a wrong type names the failing location and both types")
    func wrongTypeMessage() throws {
        let schema = try JSONSchema(json(toolSchema))
        let result = schema.validate(try json(#"{"path":"/tmp","count":"ten"}"#))
        #expect(!result.isValid)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.instanceLocation == "/count")
        #expect(result.errors.first?.keywordLocation == "/properties/count/type")
        #expect(result.summary == "/count: expected integer, got string")
    }

    @Test("every problem is reported, each at its own location")
    func severalErrors() throws {
        let schema = try JSONSchema(json(toolSchema))
        let result = schema.validate(try json(#"{"count":2000,"mode":"slow","tags":["a",7],"extra":true}"#))
        let lines = Set(result.errors.map(\.description))
        #expect(lines.contains(#"(root): missing required property "path""#))
        #expect(lines.contains("/count: must be <= 1000, got 2000"))
        #expect(lines.contains(#"/mode: must be one of "fast", "safe", got "slow""#))
        #expect(lines.contains("/tags/1: expected string, got integer"))
        #expect(lines.contains("/extra: property is not allowed (the schema does not declare it)"))
        #expect(result.errors.count == 5)
    }

    @Test("valid arguments pass; integers may be written 1.0; lengths count code points")
    func validArguments() throws {
        let schema = try JSONSchema(json(toolSchema))
        #expect(schema.validate(try json(#"{"path":"é","count":1.0,"recursive":false,"tags":[]}"#)).isValid)
        #expect(schema.isValid(try json(#"{"path":"/x","count":0}"#)))
        #expect(!schema.isValid(try json(#"{"path":"","count":0}"#)))
        #expect(!schema.isValid(try json(#"{"path":"x","count":1.5}"#)))
    }

    @Test("errors are bounded and the summary says more were found")
    func boundedErrors() throws {
        let schema = try JSONSchema(json(#"{"items":{"type":"string"}}"#), options: .init(maxErrors: 3))
        let result = schema.validate(.array((0..<50).map { .int($0) }))
        #expect(result.errors.count == 3)
        #expect(result.isTruncated)
        #expect(result.summary(limit: 2) == "/0: expected string, got integer; /1: expected string, got integer (and more errors)")
    }

    @Test("schemas that cannot compile say why and where", arguments: [
        (#"{"type":"strnig"}"#, SchemaError.Code.invalidKeyword, "/type"),
        (#"{"properties":{"a":{"minLength":-1}}}"#, .invalidKeyword, "/properties/a/minLength"),
        (#"{"required":"a"}"#, .invalidKeyword, "/required"),
        (##"{"$ref":"#/$defs/missing"}"##, .unresolvableReference, "/$ref"),
        (#"{"$ref":"https://example.com/elsewhere.json"}"#, .unresolvableReference, "/$ref"),
        (#"{"properties":{"a":{"pattern":"(unclosed"}}}"#, .invalidPattern, "/properties/a/pattern"),
        (#"{"properties":{"a":5}}"#, .invalidSchema, "/properties/a"),
    ])
    func compileErrors(schema: String, code: SchemaError.Code, location: String) throws {
        let value = try json(schema)
        #expect {
            _ = try JSONSchema(value)
        } throws: { error in
            guard let error = error as? SchemaError else { return false }
            return error.code == code && error.schemaLocation == location && !error.message.isEmpty
        }
    }

    @Test("$schema draft-07 picks draft-07 rules: tuple items and $ref siblings ignored")
    func draft7BySchema() throws {
        let text = """
            {"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"small":{"type":"integer"}},
             "properties":{"n":{"$ref":"#/definitions/small","maximum":1},
                           "pair":{"items":[{"type":"string"},{"type":"integer"}],"additionalItems":false}}}
            """
        let draft7 = try JSONSchema(json(text))
        #expect(draft7.dialect == .draft7)
        #expect(draft7.isValid(try json(#"{"n":5}"#)))  // `maximum` beside `$ref` is ignored in draft-07
        #expect(draft7.isValid(try json(#"{"pair":["a",1]}"#)))
        #expect(draft7.validate(try json(#"{"pair":["a",1,true]}"#)).summary == "/pair: only 2 items are allowed, got 3")

        var modernValue = try json(text)
        modernValue["$schema"] = nil
        let modern = try JSONSchema(modernValue)
        #expect(modern.dialect == .draft2020_12)
        #expect(!modern.isValid(try json(#"{"n":5}"#)))  // 2020-12 applies `$ref` and its siblings
        #expect(try JSONSchema(modernValue, dialect: .draft7).dialect == .draft7)
    }

    @Test("a $ref that recurses without end is a violation, not a hang or a crash")
    func endlessRecursion() throws {
        let schema = try JSONSchema(json(##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##))
        let result = schema.validate(["x": 1])
        #expect(!result.isValid)
        #expect(result.summary.contains("deeper than 128"))
    }

    @Test("recursive schemas validate recursive data")
    func recursiveData() throws {
        let tree = try JSONSchema(json(##"{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}}},"required":["name"]}"##))
        #expect(tree.isValid(try json(#"{"name":"a","children":[{"name":"b","children":[]}]}"#)))
        #expect(tree.validate(try json(#"{"name":"a","children":[{"children":[]}]}"#)).summary
            == #"/children/0: missing required property "name""#)
    }

    @Test("format is an annotation unless asserting formats is asked for")
    func formatAssertion() throws {
        let schema = try json(#"{"properties":{"when":{"format":"date-time"},"who":{"format":"email"},"id":{"format":"uuid"}}}"#)
        let bad = try json(#"{"when":"yesterday","who":"nobody","id":"123"}"#)
        #expect(try JSONSchema(schema).isValid(bad))
        let strict = try JSONSchema(schema, options: .init(assertFormats: true))
        #expect(strict.validate(bad).errors.map(\.instanceLocation) == ["/when", "/who", "/id"])
        #expect(strict.isValid(try json(#"{"when":"2026-11-23T15:00:00Z","who":"a@b.example","id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380"}"#)))
    }

    @Test("a remote $ref resolves from the registry, never the network")
    func registryReference() throws {
        var registry = SchemaRegistry()
        registry.add(try json(#"{"$defs":{"port":{"type":"integer","minimum":1,"maximum":65535}}}"#), at: "https://hangar.example/common.json")
        let schema = try JSONSchema(json(#"{"properties":{"port":{"$ref":"https://hangar.example/common.json#/$defs/port"}}}"#), registry: registry)
        #expect(schema.isValid(["port": 8080]))
        #expect(schema.validate(["port": 0]).summary == "/port: must be >= 1, got 0")
    }

    @Test("combinators report one clear error")
    func combinators() throws {
        let schema = try JSONSchema(json(#"{"properties":{"v":{"oneOf":[{"type":"string"},{"type":"integer"}]},"w":{"not":{"type":"null"}}}}"#))
        let result = schema.validate(try json(#"{"v":true,"w":null}"#))
        #expect(result.errors.map(\.description) == [
            "/v: must match exactly one of the 2 schemas in oneOf, matched none",
            #"/w: must not match the schema in "not""#,
        ])
    }

    @Test("one compiled schema validates from many tasks at once")
    func concurrentValidation() async throws {
        let schema = try JSONSchema(json(toolSchema))
        let valid = try json(#"{"path":"/x","count":3}"#)
        let invalid = try json(#"{"path":"/x","count":-3}"#)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask { schema.validate(i.isMultiple(of: 2) ? valid : invalid).isValid == i.isMultiple(of: 2) }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }
}
