import Crypto
import Fluent
import Foundation
import KPICore
import Vapor

/// Files kept by their SHA-256 under `<data dir>/minh-chung/ab/cd/<hash>`: the same file uploaded
/// twice is stored once, a stored file never changes, and a file is written whole (`DurableFile`: flushed, then
/// renamed) before the database row that points to it, so a request that fails halfway, or finds the disk
/// full (`StorageFull`), leaves nothing half-done.
struct EvidenceStore: Sendable {
    let root: String

    init(dataDirectory: String) { root = dataDirectory + "/minh-chung" }

    static func sha256(_ data: Data) -> String {
        AuditLog.hex(SHA256.hash(data: data))
    }

    func path(_ hash: String) -> String {
        let h = Array(hash)
        return "\(root)/\(String(h[0..<2]))/\(String(h[2..<4]))/\(hash)"
    }

    func put(_ data: Data) throws -> String {
        let hash = Self.sha256(data)
        let target = path(hash)
        let fm = FileManager.default
        if fm.fileExists(atPath: target) { return hash }
        try DurableFile.makeDirectory((target as NSString).deletingLastPathComponent)
        try DurableFile.write(data, to: target)
        return hash
    }
}

extension WorkService {
    var evidenceStore: EvidenceStore { EvidenceStore(dataDirectory: settings.dataDirectory) }

    /// Minh chứng are added by the assignee while the work is open (before submission).
    func requireAddEvidence(_ t: WorkTask) throws {
        guard t.assigneeID != nil, t.assigneeID == principal.personID || reportsForAssignee(t) else {
            throw Refused(message: "Chỉ người được giao nhiệm vụ mới thêm hoặc gỡ minh chứng.", forbidden: true)
        }
        guard [TaskState.assigned, .inProgress].map(\.rawValue).contains(t.state) else {
            throw Refused(message: """
                Nhiệm vụ đang ở trạng thái «\(TaskState(rawValue: t.state)?.label ?? t.state)», không thêm hoặc gỡ minh \
                chứng được.
                """)
        }
    }

    /// Keeps a file after checking its kind (extension and first bytes) and size.
    @discardableResult
    func addFile(_ id: UUID, filename: String, data: Data) async throws -> Evidence {
        let (t, _) = try await find(id)
        try requireAddEvidence(t)
        let name = (filename as NSString).lastPathComponent
        if let refusal = settings.evidencePolicy.refusal(filename: name, size: data.count, head: Array(data.prefix(8))) {
            throw Invalid("tep", refusal)
        }
        let hash = try evidenceStore.put(data)
        return try await record(t, kind: "tep", name: name, sha256: hash, size: data.count, reference: "")
    }

    /// A document number (số, ký hiệu văn bản) or a link.
    @discardableResult
    func addReference(_ id: UUID, kind: String, text: String) async throws -> Evidence {
        let (t, _) = try await find(id)
        try requireAddEvidence(t)
        let value = TextNormalizer.clean(text)
        switch kind {
        case "van-ban":
            guard !value.isEmpty, value.count <= 200 else { throw Invalid("so_van_ban",
                                                                          """
                                                                              Vui lòng ghi số, ký hiệu văn bản (tối đa 200 ký \
                                                                              tự).
                                                                              """) }
        case "lien-ket":
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
            value.count <= 1000 else {
                throw Invalid("lien_ket", "Liên kết phải là địa chỉ đầy đủ bắt đầu bằng http:// hoặc https://.")
            }
        default:
            throw Invalid("loai", "Loại minh chứng không hợp lệ.")
        }
        return try await record(t, kind: kind, name: value, sha256: "", size: 0, reference: value)
    }

    private func record(_ t: WorkTask, kind: String, name: String, sha256: String, size: Int, reference: String) async throws
        -> Evidence {
        // Evidence is the work's own, never added on a head's behalf.
        principal.delegationUse.forget()
        let (principal, actor) = (principal, actor)
        let svc = self
        return try await store.write { db in
            // Checked again inside the transaction: a submission may have just closed the task.
            guard let fresh = try await WorkTask.find(t.requireID(), on: db) else { throw Abort(.notFound) }
            try svc.requireAddEvidence(fresh)
            // The same file under the same name is already there (a call sent again after its answer was
            // lost, a double click): that one is the answer, nothing is added twice.
            if kind == "tep", let same = try await Evidence.query(on: db).filter(\.$taskID == t.requireID()).filter(\.$kind == kind)
                .filter(\.$sha256 == sha256).filter(\.$name == name).first() {
                return same
            }
            let e = Evidence()
            e.taskID = try t.requireID()
            e.kind = kind
            e.name = name
            e.sha256 = sha256
            e.size = size
            e.reference = reference
            e.addedBy = principal.displayName
            try await e.create(on: db)
            try await Self.timeline(db, t, actor: principal.displayName, kind: "minh-chung", from: t.state, note: name,
                at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "task.evidence.add", entityType: "task", entityID: t.id!.uuidString,
                                      scopePath: t.scopePath, after: ["ma": t.code, "loai": kind, "ten": name, "sha256": sha256,
                                                                      "kich_thuoc": String(size)])
            return e
        }
    }

    /// Gỡ minh chứng: the row goes, the stored file stays (others may point to it; nothing is lost).
    func removeEvidence(_ id: UUID, evidence eid: UUID) async throws {
        let (t, _) = try await find(id)
        try requireAddEvidence(t)
        principal.delegationUse.forget()
        let (principal, actor) = (principal, actor)
        try await store.write { db in
            guard let e = try await Evidence.find(eid, on: db), e.taskID == id else { throw Abort(.notFound) }
            try await e.delete(on: db)
            try await Self.timeline(db, t, actor: principal.displayName, kind: "xoa-minh-chung", from: t.state,
                note: e.name, at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "task.evidence.remove", entityType: "task", entityID: id.uuidString,
                                      scopePath: t.scopePath, before: ["ma": t.code, "ten": e.name, "sha256": e.sha256])
        }
    }

    func evidence(_ id: UUID) async throws -> [Evidence] {
        try await store.db.models(Evidence.self,
            "SELECT * FROM \(unsafeRaw: Evidence.schema) WHERE task_id = \(bind: id) ORDER BY created_at")
    }

    /// The stored file of a task's evidence, for those who may see the task; 404 otherwise.
    func file(_ id: UUID, evidence eid: UUID) async throws -> (path: String, name: String) {
        _ = try await find(id)
        guard let e = try await Evidence.find(eid, on: store.db), e.taskID == id, e.kind == "tep" else {
            throw Abort(.notFound, reason: "Không có minh chứng này.")
        }
        let path = evidenceStore.path(e.sha256)
        guard FileManager.default.fileExists(atPath: path) else {
            throw Abort(.internalServerError,
                        reason: """
                            Không tìm thấy tệp minh chứng trên đĩa. Vui lòng báo quản trị hệ thống (mã băm \
                            \(e.sha256.prefix(12))…).
                            """)
        }
        return (path, e.name)
    }
}
