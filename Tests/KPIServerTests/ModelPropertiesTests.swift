import FluentKit
import XCTest
@testable import KPIServer

/// The generated lists of each model's properties (scripts/generate-model-properties.py) name exactly the
/// fields reflection finds, in the same order: a field left out would silently not be loaded or saved.
final class ModelPropertiesTests: XCTestCase {
    func keys(_ properties: [any AnyProperty]) -> [[String]] {
        properties.map { p in (p as? any AnyDatabaseProperty)?.keys.map(\.description) ?? ["(\(type(of: p)))"] }
    }

    func testEveryListedModelNamesWhatReflectionFinds() {
        XCTAssertGreaterThanOrEqual(ListedModelProperties.types.count, 54)
        for type in ListedModelProperties.types {
            let model = type.init()
            let reflected = Mirror(reflecting: model).children.compactMap { $0.value as? any AnyProperty }
            XCTAssertFalse(reflected.isEmpty, "\(type)")
            XCTAssertEqual(keys(model.properties), keys(reflected), "\(type)")
            // The listed wrappers are the instance's own (what is loaded into them is what the model holds).
            for (listed, found) in zip(model.properties, reflected) {
                XCTAssertTrue((listed as AnyObject) === (found as AnyObject), "\(type)")
            }
        }
    }

    func testAModelReadAndWrittenThroughTheListKeepsEveryField() async throws {
        try await withApp { app in
            let before = try await WorkTask.query(on: app.db).sort(\.$code).first()
            let task = try XCTUnwrap(before)
            task.details = "Nội dung đã sửa"
            task.percent = 40
            try await task.save(on: app.db)
            let again = try await WorkTask.find(task.id, on: app.db)
            let after = try XCTUnwrap(again)
            XCTAssertEqual(after.details, "Nội dung đã sửa")
            XCTAssertEqual(after.percent, 40)
            XCTAssertEqual(after.code, task.code)
            XCTAssertEqual(after.due, task.due)
            XCTAssertEqual(after.scopePath, task.scopePath)
        }
    }
}
