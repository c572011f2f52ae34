// swift-tools-version: 6.1
import PackageDescription

// Benchmarks of the Spaces fan-out and wire format, kept apart from the main package so that
// building or testing Spaces never pulls in the benchmark harness. See README.md.
let package = Package(
    name: "spaces-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the reference does not depend on the folder the repository is cloned into.
        .package(name: "spaces", path: ".."),
        // The "MallocInterposer" trait is the malloc-statistics backend on Swift 6.3+; naming the
        // trait alone leaves the optional ARC runtime interposer off.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Sample audio batches and a thread CPU clock, shared by the benchmark targets.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SpacesCore", package: "spaces"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Relay fan-out to many in-memory listeners, beside the plain NIO write it is built on.
        .executableTarget(
            name: "Fanout",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SpacesCore", package: "spaces"),
                .product(name: "SpacesServer", package: "spaces"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Benchmarks/Fanout",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Audio batch encode and decode.
        .executableTarget(
            name: "Wire",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SpacesCore", package: "spaces"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/Wire",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // A question-queue update framed plain and compressed (permessage-deflate), and the
        // sizes of both. SpacesCompression is no product of the main package: its module comes
        // with the SpacesClient product's dependencies.
        .executableTarget(
            name: "Deflate",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SpacesCore", package: "spaces"),
                .product(name: "SpacesClient", package: "spaces"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/Deflate",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Scenario commands (SCENARIOS.md), plain executables in Commands/: the benchmark plugin
        // runs every executable in Benchmarks/ as one of its own. Their shared support: options,
        // CPU clocks, core pinning, tables, JSON figures.
        .target(
            name: "ScenarioSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // A fan-out shard on a serial DispatchQueue against one on its NIO event loop, over real
        // loopback connections.
        .executableTarget(
            name: "ShardExecutors",
            dependencies: [
                "ScenarioSupport",
                .product(name: "SpacesCore", package: "spaces"),
                .product(name: "SpacesServer", package: "spaces"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Commands/ShardExecutors"
        ),
        // Listener handshakes per second, idle and during a saturating broadcast, against the
        // real `spaces serve` started as a child process.
        .executableTarget(
            name: "Edges",
            dependencies: [
                .product(name: "SpacesRedis", package: "spaces"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Commands/Edges"
        ),
        .executableTarget(
            name: "Handshakes",
            dependencies: [
                "ScenarioSupport",
                .product(name: "SpacesCore", package: "spaces"),
                .product(name: "SpacesClient", package: "spaces"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Commands/Handshakes"
        ),
        // The joins scenario's baseline: a bare SwiftNIO WebSocket server (upgrade, one message,
        // close), measured with the same driver in the same run.
        .executableTarget(
            name: "BareWebSocket",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Commands/BareWebSocket"
        ),
        // Admission decisions per second: AdmissionController in process, beside a dictionary.
        .executableTarget(
            name: "Admission",
            dependencies: [
                "ScenarioSupport",
                .product(name: "SpacesCore", package: "spaces"),
            ],
            path: "Commands/Admission"
        ),
    ]
)
