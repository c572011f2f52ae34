// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for the parsers that read what a client or a file sends: each is built on
// its own with `-sanitize=fuzzer` (and `-enable-testing`, for the internal parsers) by
// `Bench/fuzz.sh`, which runs it on the seed corpus in Corpus/ and then on what it generates.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzAudioBatch", [.product(name: "SpacesCore", package: "spaces"), .product(name: "NIOCore", package: "swift-nio")]),
    ("FuzzClientEvent", [.product(name: "SpacesCore", package: "spaces")]),
    ("FuzzSignedToken", [.product(name: "SpacesCore", package: "spaces")]),
    ("FuzzExtensionHeader", [.product(name: "SpacesClient", package: "spaces")]),
    ("FuzzFrameAssembler", [
        .product(name: "SpacesServer", package: "spaces"), .product(name: "SpacesClient", package: "spaces"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
    ]),
    ("FuzzOggReader", [.product(name: "SpacesOpus", package: "spaces")]),
]

let package = Package(
    name: "spaces-fuzz",
    platforms: [.macOS(.v15)],
    products: fuzzTargets.map { .executable(name: $0.name, targets: [$0.name]) },
    dependencies: [
        .package(name: "spaces", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The way into libFuzzer's driver, shared by every target.
        .target(name: "FuzzDriver"),
    ] + fuzzTargets.map { .executableTarget(name: $0.name, dependencies: ["FuzzDriver"] + $0.dependencies) }
)
