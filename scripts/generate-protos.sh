#!/usr/bin/env bash
# Regenerates Sources/AsyncMachineRPC/Generated/*.pb.swift from Protos/*.proto.
#
# Needs protoc (Debian: apt-get install protobuf-compiler) and builds the protoc-gen-swift
# plugin from the swift-protobuf version the package depends on (about a minute, once;
# cached in .build-protoc/). The generated Swift is committed: normal builds and CI never
# run this script.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }

version=$(grep -o 'swift-protobuf", exact: "[0-9.]*"' Package.swift | grep -o '[0-9][0-9.]*')
plugin_pkg=.build-protoc
mkdir -p "$plugin_pkg"
cat > "$plugin_pkg/Package.swift" <<PKG
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "protoc-plugin",
    dependencies: [.package(url: "https://github.com/apple/swift-protobuf", exact: "$version")],
    targets: []
)
PKG
(cd "$plugin_pkg" && swift build -c release --product protoc-gen-swift >/dev/null)
plugin="$plugin_pkg/.build/release/protoc-gen-swift"

out=Sources/AsyncMachineRPC/Generated
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" --swift_out="$out" --swift_opt=Visibility=Package \
    -I Protos Protos/*.proto
echo "generated: $(ls "$out")"
