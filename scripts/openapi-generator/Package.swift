// swift-tools-version:6.0
// Builds the OpenAPI generator on its own, for scripts/generate-api.sh only (never by the app's build or CI).
import PackageDescription

let package = Package(
    name: "kpi-openapi-generator",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator.git", exact: "1.14.3"),
    ],
    targets: []
)
