// swift-tools-version:6.1
import PackageDescription

// Module layout and dependency direction: see ../shared/DESIGN.md.
// hangar -> HangarServer -> (HangarGateway, HangarSupervisor) -> (HangarUpstream, HangarPolicy,
// HangarSandbox, HangarStore) -> HangarTransport -> HangarCore
let package = Package(
    name: "Hangar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hangar", targets: ["hangar"]),
        .library(name: "HangarKit", targets: ["HangarKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.4.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .target(
            name: "HangarCore",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]
        ),
        // fork/exec with the few async-signal-safe steps Swift cannot express (see the header).
        .target(name: "CHangarSystem"),
        .target(
            name: "HangarTransport",
            dependencies: [
                "HangarCore", "CHangarSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HangarUpstream",
            dependencies: [
                "HangarCore", "HangarTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Persistence behind protocols; SQLite (GRDB) by default.
        .target(
            name: "HangarStore",
            dependencies: [
                "HangarCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Identity, permissions, rate limits, JSON Schema, secrets vault, audit, pinning.
        .target(
            name: "HangarPolicy",
            dependencies: [
                "HangarCore", "HangarStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Isolation layers for hosted servers: bubblewrap, setpriv, prlimit, cgroups,
        // seccomp, the egress proxy, and the probe behind `hangar doctor`.
        .target(
            name: "HangarSandbox",
            dependencies: [
                "HangarCore", "CHangarSystem", "HangarTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The system zlib (zlib1g-dev) and renameat2, for unpacking uploads (see its shim.h).
        .systemLibrary(name: "CHangarArchive", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Uploaded packaged servers: archive inspection before extraction, manifest, scanner.
        // Deliberately not a dependency of HangarSupervisor; HangarServer wires it in.
        .target(
            name: "HangarPackages",
            dependencies: [
                "HangarCore", "CHangarArchive",
            ]
        ),
        // Hosting: workload lifecycle state machine, supervision, logs, resource metrics.
        .target(
            name: "HangarSupervisor",
            dependencies: [
                "HangarCore", "HangarTransport", "HangarSandbox", "HangarStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HangarGateway",
            dependencies: [
                "HangarCore", "HangarUpstream", "HangarPolicy", "HangarStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Catalog and marketplace: server.json entries, the built-in catalog, search, sync.
        .target(
            name: "HangarCatalog",
            dependencies: [
                "HangarCore", "HangarStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/builtin-catalog.json")]
        ),
        .target(
            name: "HangarServer",
            dependencies: [
                "HangarCore", "HangarTransport", "HangarUpstream", "HangarGateway",
                "HangarPolicy", "HangarStore", "HangarSupervisor", "HangarPackages", "HangarCatalog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HangarKit",
            dependencies: ["HangarCore"]
        ),
        .executableTarget(
            name: "hangar",
            dependencies: [
                "HangarCore", "HangarGateway", "HangarServer", "HangarUpstream",
                "HangarPolicy", "HangarStore", "HangarTransport", "HangarSandbox", "HangarSupervisor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // A minimal, fast MCP server (HangarKit, stdio, both eras) used by tests and benchmarks
        // so that Hangar's own cost shows, not only Python's.
        .executableTarget(
            name: "hangar-fast-upstream",
            dependencies: ["HangarKit", "HangarCore"],
            path: "Tests/Fixtures/FastUpstream",
            // Static Swift runtime: the binary runs inside the sandbox, which cannot see /opt/swift.
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),
        .executableTarget(
            name: "GatewayBenchmark",
            dependencies: [
                "HangarCore", "HangarTransport", "HangarSupervisor", "HangarSandbox",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/GatewayBenchmark"
        ),
        // The least an HTTP front to a stdio MCP server can do (C, one epoll thread, no JSON
        // beyond the id): GatewayBenchmark runs it beside `hangar serve` as a yardstick.
        .executableTarget(
            name: "mcp-minimal-relay",
            path: "Benchmarks/MinimalRelay"
        ),
        .executableTarget(
            name: "PolicyBenchmark",
            dependencies: [
                "HangarPolicy", "HangarCore", "HangarStore", "HangarGateway", "HangarUpstream",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PolicyBenchmark"
        ),
        .executableTarget(
            name: "CatalogBenchmark",
            dependencies: ["HangarCatalog", "HangarStore", "HangarCore"],
            path: "Benchmarks/CatalogBenchmark"
        ),
        .testTarget(name: "HangarCoreTests", dependencies: ["HangarCore"]),
        .testTarget(name: "HangarKitTests", dependencies: ["HangarKit", "HangarCore"]),
        .testTarget(name: "HangarTransportTests", dependencies: ["HangarTransport", "HangarCore"]),
        .testTarget(
            name: "HangarPolicyTests",
            dependencies: [
                "HangarPolicy", "HangarStore", "HangarCore",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["JSONSchemaTestSuite"]
        ),
        .testTarget(
            name: "HangarPackagesTests",
            dependencies: [
                "HangarPackages", "HangarCore", "CHangarArchive",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(name: "HangarStoreTests", dependencies: ["HangarStore", "HangarCore"]),
        .testTarget(name: "HangarCatalogTests", dependencies: ["HangarCatalog", "HangarStore", "HangarCore"]),
        .testTarget(name: "HangarSandboxTests", dependencies: ["HangarSandbox", "HangarCore"]),
        .testTarget(
            name: "HangarSupervisorTests",
            dependencies: [
                "HangarSupervisor", "HangarSandbox", "HangarCore", "HangarTransport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "HangarGatewayTests", dependencies: ["HangarGateway", "HangarUpstream", "HangarCore", "HangarTransport"]),
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "HangarCore", "HangarTransport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
