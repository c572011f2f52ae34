// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "spaces",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spaces", targets: ["SpacesCLI"]),
        .library(name: "SpacesCore", targets: ["SpacesCore"]),
        .library(name: "SpacesOpus", targets: ["SpacesOpus"]),
        .library(name: "SpacesServer", targets: ["SpacesServer"]),
        .library(name: "SpacesClient", targets: ["SpacesClient"]),
        .library(name: "SpacesRedis", targets: ["SpacesRedis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["JSON", "YAML"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // C libraries, found through pkg-config.
        .systemLibrary(
            name: "COpus",
            pkgConfig: "opus",
            providers: [.apt(["libopus-dev"])]
        ),
        .systemLibrary(
            name: "COgg",
            pkgConfig: "ogg",
            providers: [.apt(["libogg-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // Wire format, Space model and state machines. NIOCore only: no sockets, no threads.
        .target(
            name: "SpacesCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // permessage-deflate (RFC 7692): negotiation, and zlib compression of shared messages.
        .target(
            name: "SpacesCompression",
            dependencies: [
                "CZlib",
                "SpacesCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // libopus and libogg wrappers, WAV and test signals.
        .target(
            name: "SpacesOpus",
            dependencies: ["COpus", "COgg"]
        ),

        // A small Redis client: RESP2/RESP3, pipelining, pub/sub, reconnection, scripts.
        .target(
            name: "SpacesRedis",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // HTTP/1.1 + WebSocket server and the sharded relay.
        .target(
            name: "SpacesServer",
            dependencies: [
                "SpacesCore",
                "SpacesCompression",
                "SpacesRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The listener page: plain HTML, CSS and JavaScript, served as they are.
            resources: [.copy("Web")]
        ),

        // WebSocket and HTTP client shared by the CLI and the load tester.
        .target(
            name: "SpacesClient",
            dependencies: [
                "SpacesCore",
                "SpacesCompression",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),

        // The load tester: simulated listeners, reports and SLOs.
        .target(
            name: "SpacesLoad",
            dependencies: [
                "SpacesCore",
                "SpacesClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        // The `spaces` command.
        .executableTarget(
            name: "SpacesCLI",
            dependencies: [
                "SpacesCore",
                "SpacesOpus",
                "SpacesServer",
                "SpacesClient",
                "SpacesLoad",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        .testTarget(
            name: "SpacesCoreTests",
            dependencies: ["SpacesCore"]
        ),
        // Test helpers shared by test targets: a real redis-server started per test.
        .target(
            name: "SpacesTestSupport",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/SpacesTestSupport"
        ),

        .testTarget(
            name: "SpacesRedisTests",
            dependencies: [
                "SpacesRedis",
                "SpacesTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SpacesClientTests",
            dependencies: ["SpacesClient", "SpacesCore", "SpacesTestSupport"]
        ),
        .testTarget(
            name: "SpacesCompressionTests",
            dependencies: ["SpacesCompression", "SpacesCore"]
        ),
        .testTarget(
            name: "SpacesOpusTests",
            dependencies: ["SpacesOpus"]
        ),
        .testTarget(
            name: "SpacesLoadTests",
            dependencies: [
                "SpacesLoad",
                "SpacesCore",
                "SpacesServer",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .testTarget(
            name: "SpacesServerTests",
            dependencies: [
                "SpacesCore",
                "SpacesOpus",
                "SpacesServer",
                "SpacesClient",
                "SpacesCLI",
                "SpacesLoad",
                "SpacesRedis",
                "SpacesTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ]
)
