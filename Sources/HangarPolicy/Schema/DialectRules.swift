/// Which keywords a subschema understands: its draft, and the vocabularies its meta-schema turns on.
struct DialectRules: Hashable, Sendable {
    var draft: JSONSchema.Dialect
    var validation = true
    var applicator = true
    var unevaluated = true
    var assertFormats: Bool
    /// 2019-09, read with 2020-12 rules except that `prefixItems` does not exist.
    var isDraft2019 = false

    init(_ draft: JSONSchema.Dialect, assertFormats: Bool) {
        self.draft = draft
        self.assertFormats = assertFormats
    }
}
