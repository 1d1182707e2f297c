import Fluent
import Foundation
import KPICore
import Vapor

/// Nhận văn bản điện tử (/viec/van-ban-den, issue 20 item 5): a leader uploads an edXML package received
/// outside the API (a file saved from the document system, a mail); the same `EdXMLReceiver` as
/// `POST /api/v1/edxml`, with the leader's own scope.
extension WorkController {
    static let incomingTitle = "Nhận văn bản điện tử (edXML)"

    static func requireLeader(_ req: Request) throws -> Principal {
        let p = try req.requirePrincipal()
        guard p.canAnywhere(.leadWork) else {
            throw Abort(.forbidden, reason: "Nhận văn bản điện tử dành cho lãnh đạo có quyền giao việc.")
        }
        return p
    }

    static func incomingPage(_ req: Request, result: HTML = .empty, flash: String? = nil, isError: Bool = false) -> Page {
        Page(title: incomingTitle, breadcrumbs: [("Tổng quan", "/"), ("Công việc", "/viec")], flash: flash, flashIsError: isError,
             body: """
                \(result)
                <p class="hint">Chọn tệp gói văn bản edXML (QCVN 102:2016) đã lưu từ phần mềm quản lý \
                văn bản. Mỗi cơ quan, đơn vị nhận trong phạm vi của bạn nhận một nhiệm vụ; lãnh đạo đơn \
                vị đó phân công người chủ trì. Số, ký hiệu, ngày, cơ quan ban hành, người ký lấy từ gói; \
                tệp đính kèm thành minh chứng. Nhận lại cùng văn bản không tạo thêm nhiệm vụ.</p>
                <form method="post" action="/viec/van-ban-den" enctype="multipart/form-data" class="record-form">\(req.csrfField)
                \(FormField("tep", "Gói văn bản edXML (.xml, tối đa \(EdXML.Limits().maxBytes >> 20) MB)",
                            .file(accept: ".xml,application/xml,text/xml"), required: true).html)
                <div class="actions"><button class="primary">Nhận văn bản</button><a href="/viec">Hủy bỏ</a></div>
                </form>
                """)
    }

    @Sendable static func incomingForm(_ req: Request) async throws -> Response {
        _ = try requireLeader(req)
        return req.page(incomingPage(req))
    }

    struct IncomingUpload: Content {
        var tep: File?
    }

    @Sendable static func incomingPost(_ req: Request) async throws -> Response {
        _ = try requireLeader(req)
        let upload = try? req.content.decode(IncomingUpload.self)
        guard let file = upload?.tep, file.data.readableBytes > 0 else {
            return req.page(incomingPage(req, flash: "Vui lòng chọn một tệp gói văn bản edXML.", isError: true),
                            status: .unprocessableEntity)
        }
        let svc = try service(req)
        let receipt: EdXMLReceiver.Receipt
        do {
            receipt = try await EdXMLReceiver(work: svc).receive(Data(buffer: file.data), today: req.today)
        } catch let e as EdXMLProblem {
            let said = "Không nhận được gói «\(file.filename)»: \(e.message) (phần tử \(e.element))"
            return req.page(incomingPage(req, flash: said, isError: true), status: .unprocessableEntity)
        }
        let tasks = try await WorkTask.query(on: req.db).filter(\.$id ~~ receipt.tasks).sort(\.$code).all()
        let units = try await Organization.query(on: req.db).filter(\.$id ~~ tasks.map(\.organizationID)).all()
        let p = receipt.package
        let rows = tasks.map { t in
            HTML("""
                <tr><td data-label="Mã"><a href="/viec/\(t.id?.uuidString ?? "")">\(t.code)</a></td>\
                <td data-label="Đơn vị nhận">\(units.first { $0.id == t.organizationID }?.name ?? "")</td>\
                <td data-label="Hạn">\(WorkViews.date(t.due))</td>\
                <td data-label="Trạng thái">\(WorkViews.stateBadge(t.state, warning: nil))</td></tr>
                """)
        }
        let result: HTML = """
            <div class="table-wrap"><table class="list"><caption>Văn bản \(p.number) ngày \(p.promulgationDate.display) của \
            \(receipt.issuer.name): \(p.subject)</caption>
            <thead><tr><th scope="col">Mã nhiệm vụ</th><th scope="col">Đơn vị nhận</th><th scope="col">Hạn</th>\
            <th scope="col">Trạng thái</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        let said = receipt.existed
            ? "Văn bản \(p.number) đã nhận trước đây; các nhiệm vụ dưới đây đã có, không tạo thêm."
            : "Đã nhận văn bản \(p.number): \(tasks.count) nhiệm vụ giao cho đơn vị, chờ lãnh đạo đơn vị phân "
                + "công."
        return req.page(incomingPage(req, result: result, flash: said))
    }
}
