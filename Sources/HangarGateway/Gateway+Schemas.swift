import HangarCore
import HangarPolicy

/// A tool's compiled schemas, made once per catalog version.
struct ToolValidators: Sendable {
    var input: JSONSchema?
    var output: JSONSchema?
}

extension Gateway {
    /// The schemas a call is checked against: the tool's, or none when validation is off.
    func callValidators(for entry: ExposedCatalog.Entry) -> ToolValidators {
        policy.config.validateSchemas ? validators(for: entry) : ToolValidators()
    }

    /// Why `arguments` fail the tool's `inputSchema`, or nil when they pass (or there is none).
    func inputProblem(_ validators: ToolValidators, arguments: JSONValue?) -> String? {
        guard let input = validators.input else { return nil }
        let instance = arguments ?? [:]
        if input.isValid(instance) { return nil }
        return input.validate(instance).summary
    }

    /// Why a result's `structuredContent` fails the tool's `outputSchema`, or nil.
    func outputProblem(_ validators: ToolValidators, isError: Bool, structuredContent: @autoclosure () -> JSONValue?) -> String? {
        guard let output = validators.output, !isError else { return nil }
        guard let structured = structuredContent() else {
            return "the tool declares an outputSchema but returned no structuredContent"
        }
        if output.isValid(structured) { return nil }
        return output.validate(structured).summary
    }

    /// The compiled schemas of a tool, compiling them on first use in this catalog version.
    /// A schema that does not compile is logged once and not enforced (the server still checks
    /// its own arguments).
    func validators(for entry: ExposedCatalog.Entry) -> ToolValidators {
        if let cached = cachedValidators(entry.exposedName) { return cached }
        var made = ToolValidators()
        for (key, isInput) in [("inputSchema", true), ("outputSchema", false)] {
            guard let schema = entry.definition[key], case .object = schema else { continue }
            do {
                let compiled = try schemaCache.schema(for: schema)
                if isInput { made.input = compiled } else { made.output = compiled }
            } catch {
                logger.warning("a tool schema does not compile; it is not enforced",
                               metadata: ["hangar.tool": "\(entry.exposedName)", "hangar.schema": "\(key)", "error": "\(error)"])
            }
        }
        storeValidators(entry.exposedName, made)
        return made
    }
}
