import HangarCore
import Testing

@Suite("URITemplate")
struct URITemplateTests {
    @Test("variables are taken from matching URIs", arguments: [
        ("fast://items/{id}", "fast://items/42", ["id": "42"]),
        ("db://{table}/rows/{row}", "db://users/rows/7", ["table": "users", "row": "7"]),
        ("file:///{name}.txt", "file:///notes.txt", ["name": "notes"]),
    ])
    func matches(template: String, uri: String, variables: [String: String]) {
        #expect(URITemplate(template).match(uri) == variables)
    }

    @Test("URIs of another form do not match", arguments: ["fast://items/", "fast://items/1/2", "fast://other/1"])
    func mismatches(uri: String) {
        #expect(URITemplate("fast://items/{id}").match(uri) == nil)
    }
}

@Suite("URITemplate operators")
struct URITemplateOperatorTests {
    @Test(arguments: [
        ("file:///{path}", "file:///readme", true),
        ("file:///{path}", "file:///a/b", false),
        ("file:///{+path}", "file:///a/b", true),
        ("items://{id}/detail", "items://7/detail", true),
        ("items://{id}/detail", "items://7/other", false),
        ("search://q{?term,limit}", "search://q?term=x", true),
        ("search://q{?term,limit}", "search://q", true),
        ("exact://x", "exact://x", true),
        ("exact://x", "exact://xy", false),
    ])
    func matching(template: String, uri: String, matches: Bool) {
        #expect(URITemplate(template).matches(uri) == matches)
    }
}
