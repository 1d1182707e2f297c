import Crypto
import Foundation
@testable import KPIServer
import XCTest

/// The generated API code is committed (scripts/generate-api.sh); this test fails when api/openapi.yaml
/// or the generator's configuration changed and the code was not generated again, so the contract
/// and the server cannot drift apart.
final class APIContractTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func testTheGeneratedCodeIsTheContractsOwn() throws {
        let yaml = try Data(contentsOf: Self.root.appendingPathComponent("api/openapi.yaml"))
        let config = try Data(contentsOf: Self.root.appendingPathComponent("api/openapi-generator-config.yaml"))
        let stamp = SHA256.hash(data: yaml + config).map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(APIContract.sha256, stamp, "api/openapi.yaml changed: run scripts/generate-api.sh and commit its output")
        XCTAssertEqual(APIContract.yaml + "\n", String(decoding: yaml, as: UTF8.self), "the contract served is the one committed")
        let folder = Self.root.appendingPathComponent("Sources/KPIServer/API/Generated")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        XCTAssertTrue(files.contains("Server.swift") && files.contains("Types.swift"), "\(files)")
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            XCTAssertTrue(text.contains("// contract-sha256: \(stamp)\n"), "\(file) was generated from another contract")
        }
    }

    /// Every operation answers each of its statuses with a declared schema (no bare `default`), and
    /// every error answer is a problem document.
    func testEveryOperationDeclaresItsAnswers() throws {
        let doc = APIDocument.document
        let paths = try XCTUnwrap(doc["paths"] as? [String: Any])
        var operations = 0
        for (path, item) in paths {
            for (method, value) in try XCTUnwrap(item as? [String: Any]) {
                let op = try XCTUnwrap(value as? [String: Any])
                operations += 1
                let responses = try XCTUnwrap(op["responses"] as? [String: Any], "\(method) \(path)")
                XCTAssertNil(responses["default"], "\(method) \(path): a bare default")
                for (status, answer) in responses {
                    let resolved = APIDocument.resolve(answer, components: doc["components"] as? [String: Any] ?? [:])
                    let content = resolved["content"] as? [String: Any] ?? [:]
                    XCTAssertFalse(content.isEmpty && status != "204", "\(method) \(path) \(status): no content declared")
                    if status.hasPrefix("4") || status.hasPrefix("5") {
                        XCTAssertEqual(Array(content.keys), ["application/problem+json"], "\(method) \(path) \(status)")
                    }
                }
                XCTAssertNotNil(op["operationId"], "\(method) \(path)")
            }
        }
        XCTAssertGreaterThanOrEqual(operations, 6)
    }
}
