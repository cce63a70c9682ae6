// CatalogBenchmark: catalog search latency over 10,000 synthetic entries in a file-backed
// SQLite store (FTS5, bm25). Run with
//   scripts/build-release.sh --product CatalogBenchmark && .build/release/CatalogBenchmark
// Prints p50/p99 per query shape; the goal is p50 <= 5 ms. It never fails on time.
// `.build/release/CatalogBenchmark --dense` shows the worst case (very common words).
import Foundation
import HangarStore

let entryCount = 10_000
let rounds = 300
let words = ["git", "time", "weather", "search", "database", "slack", "calendar", "email", "pdf", "image", "vector", "postgres",
             "github", "linear", "figma", "stripe", "payments", "notes", "files", "browser", "shell", "docker", "kubernetes", "jira"]
// By default the 24 words above are mixed into a vocabulary of 624, so a common word matches a
// few per cent of entries, as in a real catalog; `--dense` uses only the 24 (a word then
// matches up to two thirds of all entries: the worst case for ranking).
let dense = CommandLine.arguments.contains("--dense")
let vocabulary = dense ? words : words + (0..<600).map { "term\($0)" }
let categories = ["developer-tools", "databases", "web", "communication", "productivity", "ai", "payments", "design", "utilities", "documents"]

func pick<T>(_ list: [T]) -> T { list[Int.random(in: 0..<list.count)] }

let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-catalog-bench-\(UUID().uuidString)").path
defer { try? FileManager.default.removeItem(atPath: dir) }
let store = try SQLiteStore(directory: dir)
let now = Int64(Date().timeIntervalSince1970 * 1000)

let fillStart = ContinuousClock.now
var batch: [CatalogEntryRecord] = []
for i in 0..<entryCount {
    let a = pick(vocabulary), b = pick(vocabulary), c = pick(vocabulary)
    let tools = (0..<5).map { _ in "\(pick(vocabulary))_\(pick(vocabulary))" }
    batch.append(CatalogEntryRecord(
        name: "io.example.vendor\(i % 500)/\(a)-\(b)-\(i)", version: "1.\(i % 10).0", title: "\(a.capitalized) \(b.capitalized) \(i)",
        description: "An MCP server for \(a) and \(b), with \(c) support. Entry number \(i) of the synthetic benchmark catalog.",
        document: #"{"name":"io.example/x","description":"x","version":"1.0.0"}"#,
        categories: [pick(categories)], tags: [a, b, c], toolText: tools.joined(separator: " "),
        transport: i % 3 == 0 ? "remote" : "stdio", featured: i % 97 == 0, source: "bench",
        publishedMs: now - Int64(i) * 60_000, updatedMs: now - Int64(i) * 60_000))
    if batch.count == 1000 {
        try await store.putCatalogEntries(batch)
        batch.removeAll()
    }
}
let fillTime = ContinuousClock.now - fillStart
// Some ratings and installs so the rating, installs and trending orders have work to do.
let sample = try await store.searchCatalog(CatalogQuery(sort: .name, limit: 500))
for (i, hit) in sample.hits.enumerated() {
    try await store.rateCatalogEntry(CatalogRatingRecord(entry: hit.entry.name, identity: "key:bench", stars: 1 + i % 5, review: "",
                                                         createdMs: now, updatedMs: now))
    for j in 0..<(i % 4) {
        try await store.recordCatalogInstallEvent(entry: hit.entry.name, identity: "key:bench", atMs: now - Int64(j) * 86_400_000 * 3)
    }
}
print("filled \(entryCount) entries (\(dense ? "dense: 24 words" : "624-word vocabulary")) in \(fillTime) (\(rounds) rounds per query)")

let week = now - 7 * 86_400_000
let shapes: [(String, CatalogQuery)] = [
    ("text 'git'", CatalogQuery(text: "git")),
    ("text 'database postgres'", CatalogQuery(text: "database postgres")),
    ("text prefix 'calen'", CatalogQuery(text: "calen")),
    ("text 'slack' + category", CatalogQuery(text: "slack", category: "communication")),
    ("text 'email' + transport remote", CatalogQuery(text: "email", transport: "remote")),
    ("browse all (featured, installs)", CatalogQuery()),
    ("category only", CatalogQuery(category: "databases")),
    ("tag only, by rating", CatalogQuery(tag: "vector", sort: .rating)),
    ("featured", CatalogQuery(featured: true)),
    ("trending 7 days", CatalogQuery(sort: .trending, trendingSinceMs: week)),
    ("sort by installs", CatalogQuery(sort: .installs)),
    ("sort by recent, page 10", CatalogQuery(sort: .recent, limit: 20, offset: 200)),
    ("installed only", CatalogQuery(installed: true)),
]

func percentile(_ sorted: [Duration], _ p: Double) -> Duration {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func ms(_ d: Duration) -> String {
    let v = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    return String(format: "%7.3f ms", v)
}

print("query".padding(toLength: 36, withPad: " ", startingAt: 0) + "   hits      p50          p99     p50/5ms")
for (label, query) in shapes {
    var times: [Duration] = []
    var total = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        let page = try await store.searchCatalog(query)
        times.append(ContinuousClock.now - start)
        total = page.total
    }
    times.sort()
    let p50 = percentile(times, 0.5)
    let ratio = (Double(p50.components.attoseconds) / 1e15 + Double(p50.components.seconds) * 1000) / 5
    print(label.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%7d", total) + "  \(ms(p50))  \(ms(percentile(times, 0.99)))  " + String(format: "%5.2f", ratio))
}
