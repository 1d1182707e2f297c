import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Cài đặt (issue 18, item 2): the system's settings and the working-day calendar, changed on a page
/// by system administrators instead of by SQL or a restart. Every change is checked against the
/// catalog's range, written with its audit entry in one transaction, and in force at once in this
/// process (within a minute in another).
struct SettingsService {
    let store: Store
    let principal: Principal
    let actor: Actor
    let box: SettingsBox

    typealias Invalid = WorkService.Invalid

    /// Settings are the whole system's: granted at the root only.
    func authorize() throws { try principal.require(.manageSettings, at: "/") }

    struct Row: Sendable {
        var spec: SettingSpec
        /// The value in force.
        var value: String
        /// Where it comes from: the environment (not editable here), the page, or the default.
        var source: Source
    }

    enum Source: Sendable { case environment, saved, standard }

    func rows(_ settings: Settings) throws -> [Row] {
        try authorize()
        let saved = box.saved
        return SettingsCatalog.all.map { spec in
            let source: Source = settings.setByEnvironment.contains(spec.env) ? .environment
                : saved[spec.key].map { if case .success = spec.check($0) { true } else { false } } == true ? .saved : .standard
            return Row(spec: spec, value: settings.value(of: spec), source: source)
        }
    }

    /// Saves the submitted values (key → text): all checked first, nothing written when one is
    /// refused; only changed values are written, each audited. Values set by the environment are
    /// not taken. The number of settings changed.
    @discardableResult
    func save(_ submitted: [String: String], current: Settings) async throws -> Int {
        try authorize()
        var problems: [TaskProblem] = []
        var changes: [(SettingSpec, String, String)] = []
        for spec in SettingsCatalog.all where !current.setByEnvironment.contains(spec.env) {
            guard let raw = submitted[spec.key] else { continue }
            switch spec.check(raw) {
            case .failure(let p): problems.append(TaskProblem(spec.key, p.message))
            case .success(let v):
                let before = current.value(of: spec)
                if v != before { changes.append((spec, before, v)) }
            }
        }
        if problems.isEmpty {
            var after = Dictionary(SettingsCatalog.all.map { ($0.key, current.value(of: $0)) }) { a, _ in a }
            for (spec, _, value) in changes { after[spec.key] = value }
            problems = SettingsCatalog.crossProblems(after).map { TaskProblem($0.key, $0.message) }
        }
        guard problems.isEmpty else { throw Invalid(problems) }
        guard !changes.isEmpty else { return 0 }
        let (actor, who, now, writes) = (actor, principal.username, store.now, changes)
        try await store.write { db in
            for (spec, before, value) in writes {
                if let row = try await SystemSetting.query(on: db).filter(\.$key == spec.key).first() {
                    row.value = value; row.updatedBy = who; row.updatedAt = now
                    try await row.save(on: db)
                } else {
                    let row = SystemSetting()
                    row.key = spec.key; row.value = value; row.updatedBy = who; row.updatedAt = now
                    try await row.create(on: db)
                }
                try await AuditLog.append(on: db, actor: actor, action: "settings.update", entityType: "setting", entityID: spec.key,
                                          scopePath: "/", before: [spec.key: before], after: [spec.key: value])
            }
        }
        try await Self.reload(store: store, box: box)
        return changes.count
    }

    /// The saved values read again into the settings in force.
    static func reload(store: Store, box: SettingsBox) async throws {
        let rows = try await SystemSetting.query(on: store.db).all()
        box.setStored(Dictionary(rows.map { ($0.key, $0.value) }) { a, _ in a })
    }

    // MARK: Lịch làm việc

    /// The days of `year` that differ from the week, by date.
    func days(_ year: Int) async throws -> [CalendarDay] {
        try authorize()
        return try await CalendarDay.query(on: store.db).filter(\.$day >= String(format: "%04d-01-01", year))
            .filter(\.$day <= String(format: "%04d-12-31", year)).sort(\.$day).all()
    }

    /// Adds a holiday or a swapped working day to `year`, checked against the year's other days.
    func addDay(year: Int, day: String, kind: String, name: String) async throws -> DateOnly {
        try authorize()
        let (actor, ymin, ymax) = (actor, String(format: "%04d-01-01", year), String(format: "%04d-12-31", year))
        return try await store.write { db in
            var existing: [DateOnly: String] = [:]
            for d in try await CalendarDay.query(on: db).filter(\.$day >= ymin).filter(\.$day <= ymax).all() {
                if let date = DateOnly(parsing: d.day) { existing[date] = d.kind }
            }
            switch CalendarRules.check(day: day, kind: kind, name: name, year: year, existing: existing) {
            case .failure(let p): throw Invalid(p.key, p.message)
            case .success(let (date, kind, name)):
                let d = CalendarDay()
                d.day = date.iso; d.kind = kind; d.name = name
                try await d.create(on: db)
                try await AuditLog.append(on: db, actor: actor, action: "calendar.add", entityType: "calendar_day", entityID: date.iso,
                                          scopePath: "/", after: ["ngay": date.iso, "loai": kind, "ten": name])
                return date
            }
        }
    }

    func day(_ id: UUID) async throws -> CalendarDay {
        try authorize()
        guard let d = try await CalendarDay.find(id, on: store.db) else {
            throw Abort(.notFound, reason: "Không có ngày này trong lịch (có thể đã được xóa).")
        }
        return d
    }

    /// Removes a day from the calendar, audited.
    func removeDay(_ id: UUID) async throws -> CalendarDay {
        let d = try await day(id)
        let actor = actor
        try await store.write { db in
            try await CalendarDay.query(on: db).filter(\.$id == id).delete()
            try await AuditLog.append(on: db, actor: actor, action: "calendar.remove", entityType: "calendar_day", entityID: d.day,
                                      scopePath: "/", before: ["ngay": d.day, "loai": d.kind, "ten": d.name])
        }
        return d
    }
}

/// Other processes' saved settings are read every minute while the server runs.
func startSettingsRefresh(_ app: Application) {
    guard let box = app.settingsBox else { return }
    let job = Task {
        while !Task.isCancelled {
            do { try await SettingsService.reload(store: app.store, box: box) } catch {
                app.logger.error("Đọc cài đặt thất bại: \(error)")
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }
    app.lifecycle.use(JobCanceller(task: job))
}
