import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Frameworks as data: draft, validation (on save and as you type), comparison, what-if preview,
/// publication with an effective date, agency derivation within bounds; all authorized and audited.
final class FrameworkTests: XCTestCase {
    func province(_ app: Application, _ code: String) async throws -> Framework {
        let f = try await Framework.query(on: app.db).filter(\.$code == code).filter(\.$organizationID == nil)
            .filter(\.$status == "published").first()
        return try XCTUnwrap(f)
    }

    func form(_ d: FrameworkDefinition, _ changes: [String: String] = [:]) -> [String: String] {
        var f = Dictionary(uniqueKeysWithValues: d.fields.map { ($0.key, $0.value) })
        for (k, v) in changes { f[k] = v }
        return f
    }

    func testDraftValidatePreviewPublish() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("thammuu")
            let list = try await b.get("/khung-danh-gia")
            XCTAssertTrue(list.text.contains("Bộ chỉ số chung đối với công chức"))
            XCTAssertTrue(list.text.contains("Bộ chỉ số đối với cán bộ (Quy định 366-QĐ/TW)"))
            let v1 = try await province(app, "cong-chuc")
            let started = try await b.post("/khung-danh-gia/\(v1.id!.uuidString)/nhap", [:])
            XCTAssertEqual(started.status, .seeOther)
            let draftPath = String(started.location.split(separator: "?")[0])
            let draftID = try XCTUnwrap(UUID(uuidString: String(draftPath.split(separator: "/").last!)))
            let again = try await b.post("/khung-danh-gia/\(v1.id!.uuidString)/nhap", [:])
            XCTAssertTrue(again.location.hasPrefix(draftPath), "one draft per lineage")

            // A bad formula: refused with the field's message, the typed values kept, nothing written.
            let bad = try await b.post(draftPath + "/sua", form(FrameworkDefinition(), ["taskFormula": "70 * (a + b + c) / 30",
                                                                                        "note": "thử"]))
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("nằm ngoài khoảng 0…70"), bad.text)
            XCTAssertTrue(bad.text.contains("70 * (a + b + c) / 30"), "what was typed is kept")
            let stored = try await Framework.find(draftID, on: app.db)
            XCTAssertEqual(FrameworkService.decode(stored!), FrameworkDefinition())
            // The same check as you type, as JSON.
            let live = try await b.post(draftPath + "/kiem-tra", form(FrameworkDefinition(), ["goodThreshold": "95"]))
            XCTAssertEqual(live.status, .ok)
            XCTAssertTrue(live.text.contains("\"field\":\"goodThreshold\""), live.text)

            // A valid change: saved, compared, previewed.
            let saved = try await b.post(draftPath + "/sua", form(FrameworkDefinition(), ["excellentThreshold": "85",
                                                                                          "errorPenalty": "0,5"]))
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let compare = try await b.get(draftPath + "/so-sanh")
            XCTAssertTrue(compare.text.contains("2 mục thay đổi"), compare.text)
            let preview = try await b.get(draftPath + "/xem-truoc")
            XCTAssertEqual(preview.status, .ok)
            XCTAssertTrue(preview.text.contains("người thay đổi mức xếp loại"))
            // The demo month has four people between the new threshold (85) and the seeded one (90).
            XCTAssertTrue(preview.text.contains("<h2>4 người thay đổi mức xếp loại</h2>"), preview.text)
            XCTAssertTrue(preview.text.contains("Đạt ngưỡng xuất sắc (≥ 85,00)"), preview.text)

            // Publish: needs the confirmation and a date from today on.
            let unconfirmed = try await b.post(draftPath + "/ban-hanh", ["hieu_luc": TestEnv.today.display])
            XCTAssertEqual(unconfirmed.status, .unprocessableEntity)
            XCTAssertTrue(unconfirmed.text.contains("đánh dấu ô xác nhận"))
            let past = try await b.post(draftPath + "/ban-hanh", ["hieu_luc": "01/01/2020", "xac_nhan": "1"])
            XCTAssertTrue(past.text.contains("đã qua"))
            let published = try await b.post(draftPath + "/ban-hanh", ["hieu_luc": TestEnv.today.display, "xac_nhan": "1"])
            XCTAssertEqual(published.status, .seeOther)
            let now = try await Framework.find(draftID, on: app.db)
            XCTAssertEqual(now?.status, "published")
            XCTAssertEqual(now?.effectiveFrom, TestEnv.today.iso)
            let inForce = try await FrameworkService(store: app.store, principal: try await Browser.principal(app, "thammuu"),
                                                     actor: Actor(name: "t", ip: "", at: app.clock.now)).published(now!)
            XCTAssertEqual(inForce?.id, draftID, "the new version is the one in force")
            let frozen = try await b.post(draftPath + "/sua", form(FrameworkDefinition()))
            XCTAssertEqual(frozen.status, .conflict)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$entityID == draftID.uuidString).all().map(\.action)
            XCTAssertEqual(Set(audit), ["framework.draft", "framework.update", "framework.publish"])
        }
    }

    func testPreviewScoresTheStoredInputsWithTheEngine() async throws {
        try await withApp { app in
            let f = try await province(app, "cong-chuc")
            let principal = try await Browser.principal(app, "thammuu")
            let svc = FrameworkService(store: app.store, principal: principal, actor: Actor(name: "t", ip: "", at: app.clock.now))
            let preview = try await svc.preview(f.id!)
            XCTAssertNotNil(preview.period)
            XCTAssertEqual(preview.changed.count, 0, "the version in force against itself changes nobody")
            // The same inputs through the engine directly give the same counts per level (quota per agency).
            let rows = try await ScoreInput.query(on: app.db).filter(\.$period == preview.period!).all()
            var byAgency: [String: [PersonInput]] = [:]
            for r in rows {
                let d = try JSONDecoder().decode(ScoreInputData.self, from: Data(r.data.utf8))
                guard d.staffKind == "cong-chuc" else { continue }
                byAgency[r.agencyPath, default: []].append(
                    PersonInput(id: d.personCode, group: d.groupCode, leader: d.leader, periods: [try d.periodInput()]))
            }
            var counts: [Level: Int] = [:]
            for people in byAgency.values {
                for r in try ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!).rank(people) { counts[r.level!, default: 0] += 1 }
            }
            XCTAssertEqual(counts, preview.countsBefore)
            XCTAssertGreaterThan(preview.people, 100)
        }
    }

    func testAgencyVersionStaysWithinTheProvinceBounds() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("thammuu")
            let v1 = try await province(app, "cong-chuc")
            let derived = try await b.post("/khung-danh-gia/\(v1.id!.uuidString)/phai-sinh", ["co_quan": "SNV"])
            XCTAssertEqual(derived.status, .seeOther, derived.text)
            let path = String(derived.location.split(separator: "?")[0])
            let moved = try await b.post(path + "/sua", form(FrameworkDefinition(), ["quotaRate": "0,3"]))
            XCTAssertEqual(moved.status, .unprocessableEntity)
            XCTAssertTrue(moved.text.contains("cơ quan không được thay đổi trường này"))
            let own = try await b.post(path + "/sua", form(FrameworkDefinition(), ["taskFormula": "70 * (a + 2 * b + c) / 400"]))
            XCTAssertEqual(own.status, .seeOther, own.text)
            let unknown = try await b.post("/khung-danh-gia/\(v1.id!.uuidString)/phai-sinh", ["co_quan": "KHONGCO"])
            XCTAssertTrue(unknown.text.contains("không tồn tại hoặc ngoài phạm vi"))
        }
    }

    func testApplicabilityByPositionGroup() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("thammuu")
            let v1 = try await province(app, "cong-chuc")
            let started = try await b.post("/khung-danh-gia/\(v1.id!.uuidString)/nhap", [:])
            let path = String(started.location.split(separator: "?")[0])
            let draftID = try XCTUnwrap(UUID(uuidString: String(path.split(separator: "/").last!)))
            let unknown = try await b.post(path + "/sua", form(FrameworkDefinition(), ["groupCodes": "CMNV; XYZ"]))
            XCTAssertEqual(unknown.status, .unprocessableEntity)
            XCTAssertTrue(unknown.text.contains("không có nhóm vị trí «XYZ»"))
            let saved = try await b.post(path + "/sua", form(FrameworkDefinition(), ["groupCodes": "CMNV"]))
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let principal = try await Browser.principal(app, "thammuu")
            let svc = FrameworkService(store: app.store, principal: principal, actor: Actor(name: "t", ip: "", at: app.clock.now))
            let all = try await svc.preview(v1.id!)
            let narrowed = try await svc.preview(draftID)
            XCTAssertGreaterThan(narrowed.people, 0)
            XCTAssertLessThan(narrowed.people, all.people, "only the named group")
        }
    }

    func testOnlyAdvisoryBodiesChangeFrameworks() async throws {
        try await withApp { app in
            let v1 = try await province(app, "cong-chuc")
            var staff = Browser(app)
            try await staff.login("canbo")
            let list = try await staff.get("/khung-danh-gia")
            XCTAssertEqual(list.status, .forbidden)
            var inspector = Browser(app)
            try await inspector.login("kiemtra")
            let view = try await inspector.get("/khung-danh-gia/\(v1.id!.uuidString)")
            XCTAssertEqual(view.status, .ok)
            XCTAssertFalse(view.text.contains("Tạo bản nháp"))
            let refused = try await inspector.post("/khung-danh-gia/\(v1.id!.uuidString)/nhap", [:])
            XCTAssertEqual(refused.status, .forbidden)
            let count = try await Framework.query(on: app.db).count()
            XCTAssertEqual(count, 3)
        }
    }
}
