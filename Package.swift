// swift-tools-version: 6.2
// The package layout follows DESIGN.md §2: each module depends only on the ones above it.
import PackageDescription

let package = Package(
    name: "asyncmachine-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncMachine", targets: ["AsyncMachine"]),
        .library(name: "AsyncMachineRPC", targets: ["AsyncMachineRPC"]),
        .library(name: "AsyncMachineNode", targets: ["AsyncMachineNode"]),
        .library(name: "AsyncMachineRecording", targets: ["AsyncMachineRecording"]),
        .library(name: "PoolTop", targets: ["PoolTop"]),
        .executable(name: "amnode", targets: ["amnode"]),
        .executable(name: "pooltop", targets: ["pooltop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // exact: scripts/generate-protos.sh builds the code generator of this version.
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        .target(
            name: "AsyncMachine",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .target(
            name: "AsyncMachineRPC",
            dependencies: [
                "AsyncMachine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "CProcessSupport"),
        .target(
            name: "AsyncMachineNode",
            dependencies: [
                "AsyncMachine",
                "AsyncMachineRPC",
                "CProcessSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "AsyncMachineRecording",
            dependencies: [
                "AsyncMachine",
                "AsyncMachineNode",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // ncursesw through a module map and a C shim (see reference/swift-notes.md).
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncurses-dev"])]),
        .target(
            name: "PoolTop",
            dependencies: [
                "AsyncMachine",
                "AsyncMachineRPC",
                "AsyncMachineNode",
                "AsyncMachineRecording",
                "CNcursesw",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "pooltop",
            dependencies: [
                "AsyncMachine",
                "AsyncMachineNode",
                "AsyncMachineRecording",
                "PoolTop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "amnode",
            dependencies: [
                "AsyncMachine",
                "AsyncMachineRPC",
                "AsyncMachineNode",
                "AsyncMachineRecording",
                "PoolTop",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The libFuzzer target of scripts/fuzz.sh; a plain build replays saved inputs.
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "amfuzz",
            dependencies: [
                "CFuzzerDriver",
                "AsyncMachine",
                "AsyncMachineRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AsyncMachineTests",
            dependencies: ["AsyncMachine", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "AsyncMachineNodeTests",
            dependencies: ["AsyncMachine", "AsyncMachineRPC", "AsyncMachineNode"]
        ),
        .testTarget(
            name: "AsyncMachineRecordingTests",
            dependencies: ["AsyncMachine", "AsyncMachineRPC", "AsyncMachineNode", "AsyncMachineRecording"]
        ),
        .testTarget(
            name: "PoolTopTests",
            dependencies: ["AsyncMachine", "AsyncMachineNode", "AsyncMachineRecording", "PoolTop"]
        ),
        .testTarget(
            name: "AsyncMachineRPCTests",
            dependencies: [
                "AsyncMachine",
                "AsyncMachineRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
