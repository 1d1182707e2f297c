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
            ]
        ),
        .executableTarget(name: "kpi", dependencies: ["KPIServer", "KPICore"]),
        // The engine benchmark (run in release by hand: swift run -c release KPIBench).
        .executableTarget(name: "KPIBench", dependencies: ["KPICore"], path: "bench/KPIBench"),
        .testTarget(name: "KPICoreTests", dependencies: ["KPICore"]),
        .testTarget(
            name: "KPIServerTests",
            dependencies: [
                "KPIServer",
                .product(name: "XCTVapor", package: "vapor"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
    ]
)
