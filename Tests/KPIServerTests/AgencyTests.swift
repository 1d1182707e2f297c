import Fluent
import Foundation
import KPICore
import SQLKit
@testable import KPIServer
import XCTVapor

/// Agencies as data (issue 18, item 1): a node of the tree is an agency by its mark, at any depth;
/// periods, quotas and the evaluator chain follow the mark; re-marking changes only later periods.
final class AgencyTests: XCTestCase {
    /// A month well after the demonstration's tasks.
    let period = PeriodCode.containing(TestEnv.today.adding(days: 150), kind: .month)

    func org(_ app: Application, _ code: String) async throws -> Organization {
        try await Organization.query(on: app.db).filter(\.$code == code).first()!
    }

    func people(_ app: Application, under path: String) async throws -> Set<String> {
        Set(try await Person.query(on: app.db).filter(\.$scopePath, .custom("LIKE"), path + "%").filter(\.$active == true).all()
            .map(\.code))
    }

    /// A commune's Đảng ủy, UBND and Ủy ban MTTQ each employ and evaluate their own staff: three
    /// periods, three sets of members, three quotas; the commune node itself opens none.
    func testACommuneWithThreeAgenciesGetsThreePeriodsAndThreeQuotas() async throws {
        try await withApp { app in
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let commune = try await advisory.post("/ky-danh-gia", ["co_quan": "HUNGNGUYEN", "ky": period.text])
            XCTAssertEqual(commune.status, .unprocessableEntity)
            XCTAssertTrue(commune.text.contains("Không có cơ quan có thẩm quyền đánh giá mã «HUNGNGUYEN»"), commune.text)
            var ids: [String: UUID] = [:]
            for body in ["DU", "UBND", "MTTQ"] {
                let opened = try await advisory.post("/ky-danh-gia", ["co_quan": "HUNGNGUYEN-\(body)", "ky": period.text])
                XCTAssertEqual(opened.status, .seeOther, opened.text)
                let agency = try await org(app, "HUNGNGUYEN-\(body)")
                ids[body] = try await EvaluationPeriod.query(on: app.db).filter(\.$organizationID == agency.requireID())
                    .filter(\.$code == period.text).first()!.requireID()
            }
            let done = try await EvaluationService.recomputeStale(app.store)
            XCTAssertEqual(done, 3)
            var all = Set<String>()
            for body in ["DU", "UBND", "MTTQ"] {
                let agency = try await org(app, "HUNGNGUYEN-\(body)")
                let p = try await EvaluationPeriod.find(ids[body]!, on: app.db)!
                let expected = try await people(app, under: agency.path)
                XCTAssertFalse(expected.isEmpty)
                XCTAssertEqual(p.people, expected.count, body)
                // The quota's pool: the agency's people, no one else's.
                let batches = try await EvaluationFlow.batches(p, on: app.db)
                let pooled = Set(batches.flatMap { $0.items.map(\.data.personCode) })
                XCTAssertEqual(pooled, expected, body)
                XCTAssertEqual(Set(batches.flatMap { $0.items.map(\.agency) }), [agency.path])
                XCTAssertEqual(batches.map(\.results.count).reduce(0, +), expected.count)
                XCTAssertTrue(all.isDisjoint(with: pooled))
                all.formUnion(pooled)
            }
            let communePath = try await org(app, "HUNGNGUYEN").path
            let everyone = try await people(app, under: communePath)
            XCTAssertEqual(all, everyone, "everyone in the commune is in exactly one of the three")
        }
    }

    /// The organization list filters on the mark: the demo's 5 provincial agencies and 3 bodies in each
    /// of 4 communes.
    func testTheListFiltersOnTheMark() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            let marked = try await admin.get("/danh-muc/co-quan?co_quan=1")
            XCTAssertTrue(marked.text.contains("17 bản ghi"), marked.text)
            XCTAssertTrue(marked.text.contains("Đảng ủy Xã Hưng Nguyên"))
            XCTAssertFalse(marked.text.contains(">Xã Hưng Nguyên<"))
            let unmarked = try await admin.get("/danh-muc/co-quan?co_quan=0")
            XCTAssertTrue(unmarked.text.contains("68 bản ghi"), unmarked.text)
            let export = try await admin.get("/danh-muc/co-quan/xuat?co_quan=1&dinh_dang=csv")
            XCTAssertEqual(export.text.split(whereSeparator: \.isNewline).count, 18, "a header and the 17 agencies")
        }
    }

    /// A unit's administrator may edit its units but not split off an agency (its own periods and quota).
    func testOnlyTheProvincesAdministratorsMark() async throws {
        try await withApp { app in
            var unitAdmin = Browser(app)
            try await unitAdmin.login("quantri.snv")
            let room = try await org(app, "SNV-P1")
            let refused = try await unitAdmin.post("/danh-muc/co-quan/\(room.id!.uuidString)/sua",
                                                   ["ma": room.code, "ten": room.name, "khoi": room.block, "cap": "tinh",
                                                    "ma_cap_tren": "SNV", "co_quan": "1"])
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertTrue(refused.text.contains("chỉ quản trị hệ thống toàn tỉnh mới đánh dấu"), refused.text)
            let unchanged = try await org(app, "SNV-P1").isAgency
            XCTAssertFalse(unchanged)
            // The same form without touching the mark still saves.
            let renamed = try await unitAdmin.post("/danh-muc/co-quan/\(room.id!.uuidString)/sua",
                                                   ["ma": room.code, "ten": "Văn phòng Sở Nội vụ", "khoi": room.block,
                                                    "cap": "tinh",
                                                    "ma_cap_tren": "SNV", "co_quan": "0"])
            XCTAssertEqual(renamed.status, .seeOther, renamed.text)
        }
    }

    /// Marks that break the rules are refused with a message, and nothing is saved.
    func testMarksThatBreakTheRulesAreRefused() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            // A government room inside the Đảng ủy, marked as an agency: another block's staff.
            let room = try await org(app, "HUNGNGUYEN-DU-P1")
            let nested = try await admin.post("/danh-muc/co-quan/\(room.id!.uuidString)/sua",
                                              ["ma": room.code, "ten": room.name, "khoi": "chinh-quyen", "cap": "xa",
                                               "ma_cap_tren": "HUNGNGUYEN-DU", "co_quan": "1"])
            XCTAssertEqual(nested.status, .unprocessableEntity)
            XCTAssertTrue(nested.text.contains("không thể là cơ quan đánh giá nằm trong «Đảng ủy Xã Hưng Nguyên»"),
                          nested.text)
            var after = try await org(app, "HUNGNGUYEN-DU-P1")
            XCTAssertFalse(after.isAgency)
            XCTAssertEqual(after.block, "dang", "nothing half-saved")
            // The same room in its own block may be its own agency (a Chi cục in its Sở).
            let same = try await admin.post("/danh-muc/co-quan/\(room.id!.uuidString)/sua",
                                            ["ma": room.code, "ten": room.name, "khoi": "dang", "cap": "xa",
                                             "ma_cap_tren": "HUNGNGUYEN-DU", "co_quan": "1"])
            XCTAssertEqual(same.status, .seeOther, same.text)
            after = try await org(app, "HUNGNGUYEN-DU-P1")
            XCTAssertTrue(after.isAgency)
            // Unmarking the UBND would leave its people without an agency.
            let ubnd = try await org(app, "HUNGNGUYEN-UBND")
            let orphan = try await admin.post("/danh-muc/co-quan/\(ubnd.id!.uuidString)/sua",
                                              ["ma": ubnd.code, "ten": ubnd.name, "khoi": ubnd.block, "cap": "xa",
                                               "ma_cap_tren": "HUNGNGUYEN", "co_quan": "0"])
            XCTAssertEqual(orphan.status, .unprocessableEntity)
            XCTAssertTrue(orphan.text.contains("cán bộ của «Ủy ban nhân dân Xã Hưng Nguyên» sẽ không thuộc cơ quan"),
                          orphan.text)
            let stillMarked = try await org(app, "HUNGNGUYEN-UBND").isAgency
            XCTAssertTrue(stillMarked)
            // The head's evaluator must stand outside the agency.
            let inside = try await admin.post("/danh-muc/co-quan/\(ubnd.id!.uuidString)/sua",
                                              ["ma": ubnd.code, "ten": ubnd.name, "khoi": ubnd.block, "cap": "xa",
                                               "ma_cap_tren": "HUNGNGUYEN", "co_quan": "1",
                                               "ma_danh_gia_nguoi_dung_dau": "HUNGNGUYEN-UBND-P1"])
            XCTAssertEqual(inside.status, .unprocessableEntity)
            XCTAssertTrue(inside.text.contains("nằm trong chính «Ủy ban nhân dân Xã Hưng Nguyên»"), inside.text)
            let outside = try await admin.post("/danh-muc/co-quan/\(ubnd.id!.uuidString)/sua",
                                               ["ma": ubnd.code, "ten": ubnd.name, "khoi": ubnd.block, "cap": "xa",
                                                "ma_cap_tren": "HUNGNGUYEN", "co_quan": "1", "ma_danh_gia_nguoi_dung_dau": "SNV"])
            XCTAssertEqual(outside.status, .seeOther, outside.text)
            let configured = try await org(app, "HUNGNGUYEN-UBND").headEvaluatorID
            let snvID = try await org(app, "SNV").id
            XCTAssertEqual(configured, snvID)
        }
    }

    /// The head of an agency is evaluated, and their records decided, by the unit configured for the
    /// agency: its leaders and nobody inside the agency.
    func testTheConfiguredUnitDecidesOnTheHeadsRecords() async throws {
        try await withApp { app in
            let ubnd = try await org(app, "HUNGNGUYEN-UBND")
            let snv = try await org(app, "SNV")
            ubnd.headEvaluatorID = snv.id
            try await ubnd.save(on: app.db)
            let map = try await Agencies.map(on: app.db)
            XCTAssertEqual(map.evaluatorScope(unitPath: ubnd.path, isLeader: true), snv.path)
            let commune = try await org(app, "HUNGNGUYEN")
            ubnd.headEvaluatorID = nil
            try await ubnd.save(on: app.db)
            let fallback = try await Agencies.map(on: app.db)
            XCTAssertEqual(fallback.evaluatorScope(unitPath: ubnd.path, isLeader: true), commune.path,
                           "no agency above the commune's bodies: the node above")
            // A principal carries the map its request saw.
            let leader = try await Browser.principal(app, "truongban")
            XCTAssertEqual(leader.agencies, fallback)
        }
    }

    /// Re-marking takes effect from the next period: the open period keeps its members and says so.
    func testReMarkingTakesEffectFromTheNextPeriod() async throws {
        try await withApp { app in
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let opened = try await advisory.post("/ky-danh-gia", ["co_quan": "HUNGNGUYEN-DU", "ky": period.text])
            XCTAssertEqual(opened.status, .seeOther)
            let du = try await org(app, "HUNGNGUYEN-DU")
            let p = try await EvaluationPeriod.query(on: app.db).filter(\.$organizationID == du.requireID()).first()!
            _ = try await EvaluationService.recomputeStale(app.store)
            let before = try await EvaluationPeriod.find(p.requireID(), on: app.db)!.people
            let calm = try await advisory.get("/ky-danh-gia/\(p.id!.uuidString)")
            XCTAssertFalse(calm.text.contains("đã thay đổi sau khi mở kỳ"))

            // The party committee's office becomes its own agency while the period is open.
            let office = try await org(app, "HUNGNGUYEN-DU-P1")
            office.isAgency = true
            try await office.save(on: app.db)
            app.changes.bump()
            let own = try await advisory.post("/ky-danh-gia", ["co_quan": "HUNGNGUYEN-DU-P1", "ky": period.text])
            XCTAssertEqual(own.status, .unprocessableEntity)
            XCTAssertTrue(own.text.contains("mở kỳ riêng từ kỳ sau"), own.text)
            try await EvaluationService(store: app.store, principal: nil, actor: .system("test",
                                                                                         at: app.clock.now)).recompute(p.requireID())
            let kept = try await EvaluationPeriod.find(p.requireID(), on: app.db)!.people
            XCTAssertEqual(kept, before, "the open period keeps the office's people")
            let page = try await advisory.get("/ky-danh-gia/\(p.id!.uuidString)")
            XCTAssertTrue(page.text.contains("đã thay đổi sau khi mở kỳ"), page.text)

            // The next month: the office has its own period, the committee's leaves it out.
            let next = PeriodCode.containing(period.last.adding(days: 1), kind: .month)
            for code in ["HUNGNGUYEN-DU", "HUNGNGUYEN-DU-P1"] {
                let r = try await advisory.post("/ky-danh-gia", ["co_quan": code, "ky": next.text])
                XCTAssertEqual(r.status, .seeOther, r.text)
            }
            _ = try await EvaluationService.recomputeStale(app.store)
            let later = try await EvaluationPeriod.query(on: app.db).filter(\.$code == next.text).all()
            let outer = later.first { $0.organizationID == du.id }!
            let inner = later.first { $0.organizationID == office.id }!
            XCTAssertEqual(outer.scope.excluded, [office.path])
            let officePeople = try await people(app, under: office.path)
            XCTAssertEqual(inner.people, officePeople.count)
            XCTAssertEqual(outer.people, before - officePeople.count)
            let outerPage = try await advisory.get("/ky-danh-gia/\(outer.id!.uuidString)")
            XCTAssertTrue(outerPage.text.contains("không gồm cán bộ của Văn phòng Đảng ủy"), outerPage.text)
            XCTAssertFalse(outerPage.text.contains("đã thay đổi sau khi mở kỳ"))
        }
    }

    /// An installation from before agencies were data: its agencies were the tree's second level.
    /// The migration marks exactly those, gives its stored inputs their agency, and its periods —
    /// computed and approved before — give the same results afterwards.
    func testAnExistingInstallationKeepsItsResultsAfterTheMigration() async throws {
        try await withApp { app in
            // The installation as it was: second-level nodes as agencies (the communes whole).
            try await app.db.sql.raw("UPDATE organizations SET is_agency = \(bind: false)").run()
            try await AddAgencyMarks.markSecondLevel(on: app.db)
            let secondLevel = try await Organization.query(on: app.db).all().filter { OrgPath.depth($0.path) == 2 }.map(\.code).sorted()
            let marked = try await Organization.query(on: app.db).filter(\.$isAgency == true).all().map(\.code).sorted()
            XCTAssertEqual(marked, secondLevel)
            XCTAssertTrue(marked.contains("HUNGNGUYEN"))
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            for code in ["BTCTU", "SNV", "HUNGNGUYEN"] {
                let r = try await advisory.post("/ky-danh-gia", ["co_quan": code, "ky": period.text])
                XCTAssertEqual(r.status, .seeOther, r.text)
            }
            _ = try await EvaluationService.recomputeStale(app.store)
            func snapshot() async throws -> [String] {
                try await ScoreInput.query(on: app.db).all().map { "\($0.period) \($0.personID) \($0.agencyPath) \($0.data)" }.sorted()
            }
            func results() async throws -> [String] {
                var out: [String] = []
                for p in try await EvaluationPeriod.query(on: app.db).filter(\.$code == period.text).all() {
                    for b in try await EvaluationFlow.batches(p, on: app.db) {
                        out += b.results.map { "\(p.scopePath) \($0.id) \($0.yearHundredths ?? -1) \($0.level?.rawValue ?? "")" }
                    }
                }
                return out.sorted()
            }
            let inputsBefore = try await snapshot()
            let resultsBefore = try await results()
            XCTAssertFalse(resultsBefore.isEmpty)

            // The migration on that database: the new columns as a row from before holds them (their
            // defaults), then its data step.
            try await app.db.sql.raw("UPDATE organizations SET is_agency = \(bind: false), head_evaluator_id = NULL").run()
            try await app.db.sql.raw("UPDATE score_inputs SET agency_path = ''").run()
            try await app.db.sql.raw("UPDATE evaluation_periods SET excluded_paths = ''").run()
            try await AddAgencyMarks.markSecondLevel(on: app.db)
            let again = try await Organization.query(on: app.db).filter(\.$isAgency == true).all().map(\.code).sorted()
            XCTAssertEqual(again, secondLevel)
            let inputsMigrated = try await snapshot()
            XCTAssertEqual(inputsMigrated, inputsBefore, "every stored input has its agency back")
            let resultsMigrated = try await results()
            XCTAssertEqual(resultsMigrated, resultsBefore)
            // Computed again under the new rules: the same.
            try await app.db.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: true)").run()
            _ = try await EvaluationService.recomputeStale(app.store)
            let inputsAfter = try await snapshot()
            let resultsAfter = try await results()
            XCTAssertEqual(inputsAfter, inputsBefore)
            XCTAssertEqual(resultsAfter, resultsBefore)
        }
    }
}
