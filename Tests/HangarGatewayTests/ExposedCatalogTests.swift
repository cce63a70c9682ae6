@testable import HangarGateway
import HangarCore
import Testing

@Suite struct ExposedCatalogTests {
    static func tools(_ names: String...) -> [JSONValue] {
        names.map { ["name": .string($0), "description": "d", "inputSchema": ["type": "object"]] }
    }

    @Test("tools are exposed as SERVER__TOOL and route back to (server, original name)")
    func prefixed() {
        let catalog = ExposedCatalog(snapshots: [ServerSnapshot(server: "time", tools: Self.tools("now", "convert"))], naming: NamingPolicy())
        #expect(catalog.tools.map(\.exposedName) == ["time__now", "time__convert"])
        let entry = catalog.tool(named: "time__convert")
        #expect(entry?.server == "time")
        #expect(entry?.originalName == "convert")
        #expect(entry?.definition["name"]?.stringValue == "time__convert")
        #expect(entry?.definition["description"]?.stringValue == "d")
    }

    @Test("names containing the separator route by the table, never by splitting")
    func separatorInNames() {
        // "a" + "b__c" and "a__b" + "c" both want "a__b__c": the first server keeps it.
        let catalog = ExposedCatalog(snapshots: [
            ServerSnapshot(server: "a", tools: Self.tools("b__c")),
            ServerSnapshot(server: "a__b", tools: Self.tools("c")),
        ], naming: NamingPolicy())
        #expect(catalog.tool(named: "a__b__c")?.server == "a")
        #expect(catalog.tool(named: "a__b__c")?.originalName == "b__c")
        let second = catalog.tools[1]
        #expect(second.exposedName == "a__b__c_2")
        #expect(second.server == "a__b")
        #expect(second.originalName == "c")
        #expect(catalog.collisions.count == 1)
        #expect(catalog.collisions[0].contains("a__b__c_2"))
    }

    @Test("chained gateways: an upstream that is itself a gateway keeps working")
    func chained() {
        let catalog = ExposedCatalog(snapshots: [ServerSnapshot(server: "team", tools: Self.tools("time__convert"))], naming: NamingPolicy())
        #expect(catalog.tool(named: "team__time__convert")?.originalName == "time__convert")
    }

    @Test("unprefixed names stay plain while unique; a clash falls back to the prefixed name, deterministically")
    func unprefixed() {
        let snapshots = [
            ServerSnapshot(server: "one", tools: Self.tools("search", "only_one")),
            ServerSnapshot(server: "two", tools: Self.tools("search")),
        ]
        let naming = NamingPolicy(separator: ".", prefix: false)
        let a = ExposedCatalog(snapshots: snapshots, naming: naming)
        let b = ExposedCatalog(snapshots: snapshots, naming: naming)
        #expect(a.tools.map(\.exposedName) == ["search", "only_one", "two.search"])
        #expect(a.tools.map(\.exposedName) == b.tools.map(\.exposedName))
        #expect(a.tool(named: "search")?.server == "one")
        #expect(a.collisions == ["tool 'search' of 'two' is exposed as 'two.search': 'search' was already taken"])
    }

    @Test("prompts get the same naming; resources keep their URIs and the first server owns a shared one")
    func promptsAndResources() {
        let catalog = ExposedCatalog(snapshots: [
            ServerSnapshot(server: "a", prompts: [["name": "greet"]], resources: [["uri": "file:///x", "name": "x"]]),
            ServerSnapshot(server: "b", prompts: [["name": "greet"]], resources: [["uri": "file:///x", "name": "x2"], ["uri": "file:///y", "name": "y"]],
                           resourceTemplates: [["uriTemplate": "items://{id}", "name": "item"]]),
        ], naming: NamingPolicy())
        #expect(catalog.prompts.map(\.exposedName) == ["a__greet", "b__greet"])
        #expect(catalog.resources.map(\.key) == ["file:///x", "file:///y"])
        #expect(catalog.server(forResource: "file:///x") == "a")
        #expect(catalog.server(forResource: "file:///y") == "b")
        #expect(catalog.server(forResource: "items://42") == "b")
        #expect(catalog.server(forResource: "nothing://here") == nil)
        #expect(catalog.collisions.contains { $0.contains("file:///x") })
    }

    @Test("10,000 tools build quickly enough to rebuild on every change")
    func large() {
        let many = (0..<10_000).map { JSONValue.object(["name": .string("tool_\($0)"), "inputSchema": ["type": "object"]]) }
        let catalog = ExposedCatalog(snapshots: [ServerSnapshot(server: "big", tools: many)], naming: NamingPolicy())
        #expect(catalog.tools.count == 10_000)
        #expect(catalog.tool(named: "big__tool_9999")?.originalName == "tool_9999")
    }
}
