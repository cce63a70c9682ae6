import ArgumentParser
import Foundation
import HangarCore

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Browse the catalog of MCP servers, install from it, rate and review (server.json entries).",
        subcommands: [CatalogSearch.self, CatalogShow.self, CatalogInstall.self, CatalogUninstall.self, CatalogInstalled.self,
                      CatalogRate.self, CatalogReviews.self, CatalogSync.self, CatalogImport.self, CatalogExport.self, CatalogRemove.self])
}

/// Catalog names hold a slash; both path segments are sent percent-encoded.
func catalogPath(_ name: String, _ action: String? = nil) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: "/?#")
    let encoded = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    return "catalog/entries/\(encoded)" + (action.map { "/\($0)" } ?? "")
}

func queryString(_ items: [(String, String?)]) -> String {
    var allowed = CharacterSet.urlQueryAllowed
    allowed.remove(charactersIn: "&=+/?#")
    let parts = items.compactMap { k, v in v.map { "\(k)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" } }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}

func formatRating(_ rating: JSONValue?) -> String {
    guard let avg = rating?["average"]?.doubleValue else { return "-" }
    return String(format: "%.1f (%d)", avg, Int(rating?["count"]?.intValue ?? 0))
}

struct CatalogSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Search by words in names, descriptions, tools and tags.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "Words to search for (none: everything).") var words: [String] = []
    @Option(help: "Only this category (e.g. developer-tools).") var category: String?
    @Option(help: "Only entries with this tag.") var tag: String?
    @Option(help: "stdio (a package to host) or remote (a URL).") var transport: String?
    @Flag(help: "Only featured entries.") var featured = false
    @Flag(help: "Most installed in the last --days days.") var trending = false
    @Flag(help: "Only entries installed here.") var installed = false
    @Option(help: "relevance, rating, installs, recent, trending or name.") var sort: String?
    @Option(help: "Trending window in days (default 7).") var days: Int?
    @Option(help: "Results per page (1-100, default 20).") var limit: Int?
    @Option(help: "The nextCursor of the previous page.") var cursor: String?

    func run() async throws {
        let q = words.joined(separator: " ")
        let path = "catalog/search" + queryString([
            ("q", q.isEmpty ? nil : q), ("category", category), ("tag", tag), ("transport", transport),
            ("featured", featured ? "true" : nil), ("installed", installed ? "true" : nil),
            ("sort", trending ? "trending" : sort), ("days", days.map(String.init)), ("limit", limit.map(String.init)), ("cursor", cursor),
        ])
        let reply = try await daemon.client.call(.GET, path)
        if daemon.json { print(JSONWriter.string(reply)); return }
        let rows = (reply["results"]?.arrayValue ?? []).map { r -> [String] in
            [r["name"]?.stringValue ?? "", (r["featured"]?.boolValue == true ? "★ " : "") + (r["title"]?.stringValue ?? ""),
             r["transport"]?.stringValue ?? "", formatRating(r["rating"]), String(r["installs"]?.intValue ?? 0),
             r["installed"]?.boolValue == true ? "yes" : "", String((r["description"]?.stringValue ?? "").prefix(60))]
        }
        printTable(["NAME", "TITLE", "TRANSPORT", "RATING", "INSTALLS", "INSTALLED", "DESCRIPTION"], rows)
        print("\(rows.count) of \(reply["total"]?.intValue ?? 0)" + (reply["nextCursor"]?.stringValue.map { "; next page: --cursor \($0)" } ?? ""))
    }
}

struct CatalogShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One entry: tools, the values it needs, permissions, rating, installs.")
    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The entry's name, e.g. io.github.modelcontextprotocol/time.") var name: String

    func run() async throws {
        let e = try await daemon.client.call(.GET, catalogPath(name))
        if daemon.json { print(JSONWriter.string(e)); return }
        print("\(e["title"]?.stringValue ?? "") (\(e["name"]?.stringValue ?? "")) \(e["version"]?.stringValue ?? "")")
        print(e["description"]?.stringValue ?? "")
        print("runs: \(e["transport"]?.stringValue ?? "")   rating: \(formatRating(e["rating"]))   installs: \(e["installs"]?.intValue ?? 0)"
              + (e["installed"]?.boolValue == true ? "   installed here" : ""))
        let categories = (e["categories"]?.arrayValue ?? []).compactMap(\.stringValue)
        let tags = (e["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
        print("categories: \(categories.joined(separator: ", "))   tags: \(tags.joined(separator: ", "))")
        let tools = e["tools"]?.arrayValue ?? []
        if !tools.isEmpty {
            print("tools:")
            for t in tools { print("  \(t["name"]?.stringValue ?? "")  \(t["description"]?.stringValue ?? "")") }
        }
        for i in e["inputs"]?.arrayValue ?? [] {
            let kind = i["isSecret"]?.boolValue == true ? "secret" : "value"
            print("needs \(kind) \(i["key"]?.stringValue ?? "")\(i["isRequired"]?.boolValue == true ? "" : " (optional)"): \(i["description"]?.stringValue ?? "")")
        }
        let network = (e["permissions"]?["network"]?.arrayValue ?? []).compactMap(\.stringValue)
        let folders = (e["permissions"]?["folders"]?.arrayValue ?? []).compactMap(\.stringValue)
        print("network: \(network.isEmpty ? "none" : network.joined(separator: ", "))   folders: \(folders.isEmpty ? "none" : folders.joined(separator: ", "))")
        for r in e["reviews"]?.arrayValue ?? [] {
            print("  \(String(repeating: "★", count: Int(r["stars"]?.intValue ?? 0))) \(r["identity"]?.stringValue ?? ""): \(r["review"]?.stringValue ?? "")")
        }
    }
}

struct CatalogRate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rate", abstract: "Rate an entry 1-5 with an optional review (again to change it).")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    @Argument(help: "1 to 5.") var stars: Int
    @Option(help: "A review text.") var review: String?

    func run() async throws {
        var body: JSONObject = ["stars": .int(Int64(stars))]
        if let review { body["review"] = .string(review) }
        let reply = try await daemon.client.call(.PUT, catalogPath(name, "rating"), body: .object(body))
        if daemon.json { print(JSONWriter.string(reply)); return }
        print("rated \(name) \(stars)/5; now \(formatRating(reply["rating"]))")
    }
}

struct CatalogReviews: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reviews", abstract: "An entry's ratings and reviews, newest first.")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String

    func run() async throws {
        let reply = try await daemon.client.call(.GET, catalogPath(name, "reviews"))
        if daemon.json { print(JSONWriter.string(reply)); return }
        print("\(name): \(formatRating(reply["rating"]))")
        let rows = (reply["reviews"]?.arrayValue ?? []).map {
            [String($0["stars"]?.intValue ?? 0), $0["identity"]?.stringValue ?? "", formatTime($0["updatedMs"]), $0["review"]?.stringValue ?? ""]
        }
        printTable(["STARS", "BY", "WHEN", "REVIEW"], rows)
    }
}
