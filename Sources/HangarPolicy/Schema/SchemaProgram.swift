import HangarCore

/// A compiled schema: every reachable subschema as a node, linked by index, so `$ref` cycles
/// are plain integers and validation never looks anything up by URI.
final class SchemaProgram: Sendable {
    let nodes: [SchemaNode]
    /// Schema resources (one per base URI) with the `$dynamicAnchor`s they declare.
    let resources: [SchemaResource]
    let root: Int
    /// False when the schema has no `$dynamicRef`: validation then skips dynamic-scope tracking.
    let usesDynamicScope: Bool

    init(nodes: [SchemaNode], resources: [SchemaResource], root: Int, usesDynamicScope: Bool) {
        self.nodes = nodes
        self.resources = resources
        self.root = root
        self.usesDynamicScope = usesDynamicScope
    }
}

struct SchemaResource: Sendable {
    let uri: String
    var dynamicAnchors: [String: Int]
}

/// One subschema: its keywords in evaluation order (`unevaluated*` last).
struct SchemaNode: Sendable {
    var keywords: [SchemaKeyword]
    /// Index into `SchemaProgram.resources`.
    var resource: Int
    /// Where the subschema is, for `keywordLocation`: a JSON Pointer, prefixed with its
    /// document's URI when that is not the root document.
    var location: String
    /// Has `unevaluatedProperties`/`unevaluatedItems`: it needs its own annotation record.
    var needsAnnotations: Bool
    /// The `false` schema.
    var isFalse: Bool
}
