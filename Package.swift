// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kpi-cong-vu",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kpi", targets: ["kpi"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.14.0"),
        // Already in Vapor's graph; named for the SMTP client (a connection, STARTTLS).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        // The user guide rendered inside the product (/huong-dan) from docs/.
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        // /api/v1: the types and server stubs generated from api/openapi.yaml (scripts/generate-api.sh)
        // run on these; the generator itself is not a dependency (scripts/openapi-generator).
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/swift-openapi-vapor.git", from: "1.2.0"),
        // Single sign-on (OpenID Connect): an ID token's signature checked against the provider's JWKS.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        // /metrics in Prometheus's text format (docs/van-hanh.md, «Giám sát»).
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Pure domain rules: no Vapor, no Fluent, no I/O.
        .target(name: "KPICore"),
        .target(
            name: "KPIServer",
            dependencies: [
                "KPICore",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Already in Vapor's graph: the certificates an edXML package's XML-DSig signature is checked against.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Ink", package: "Ink"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIVapor", package: "swift-openapi-vapor"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(name: "kpi", dependencies: ["KPIServer", "KPICore", .product(name: "NIOCore", package: "swift-nio"),
                                                       .product(name: "NIOPosix", package: "swift-nio")]),
        // The engine benchmark (run in release by hand: swift run -c release KPIBench).
        .executableTarget(name: "KPIBench", dependencies: ["KPICore"], path: "bench/KPIBench"),
        .testTarget(name: "KPICoreTests", dependencies: ["KPICore"]),
        .testTarget(
            name: "KPIServerTests",
            dependencies: [
                "KPIServer",
                .product(name: "XCTVapor", package: "vapor"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            // Peers the tests start as processes (read from the source tree), not resources.
            exclude: ["API/Peers", "API/EdXMLCorpus"]
        ),
    ]
)
