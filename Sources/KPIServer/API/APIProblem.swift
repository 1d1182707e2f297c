import Foundation
import HTTPTypes
import KPICore
import OpenAPIRuntime
import Vapor

/// A refusal of the API as an RFC 9457 problem document: a stable machine `code`, a Vietnamese
/// `detail` that says what to do, and per-field `errors` where they help.
struct APIProblem: Error, Sendable {
    var status: HTTPStatus
    var code: String
    var detail: String
    var errors: [(field: String, message: String)] = []
    var headers: [(String, String)] = []

    /// A body of another type where the operation takes JSON.
    static let notJSON = APIProblem(.unsupportedMediaType, "unsupported-media-type", "Gửi JSON.")

    init(_ status: HTTPStatus, _ code: String, _ detail: String, errors: [(field: String, message: String)] = []) {
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
    }

    static let mediaType = HTTPMediaType(type: "application", subType: "problem+json")

    /// The title of each status (RFC 9457: the same for every problem of a type).
    var title: String {
        switch status.code {
        case 400: "Yêu cầu không hợp lệ"
        case 401: "Chưa xác thực"
        case 403: "Không có quyền"
        case 404: "Không tìm thấy"
        case 405: "Phương thức không được hỗ trợ"
        case 409: "Xung đột"
        case 413: "Dữ liệu quá lớn"
        case 415: "Kiểu dữ liệu không hỗ trợ"
        case 422: "Dữ liệu không hợp lệ"
        case 429: "Gọi quá nhiều"
        case 503: "Tạm thời không phục vụ"
        default: status.code >= 500 ? "Lỗi hệ thống" : "Không thực hiện được"
        }
    }

    func body(instance: String) -> Data {
        var doc: [String: Any] = ["type": "https://kpi-cong-vu/loi/\(code)", "title": title, "status": Int(status.code),
                                  "code": code, "detail": detail, "instance": instance]
        if !errors.isEmpty { doc["errors"] = errors.map { ["field": $0.field, "message": $0.message] } }
        return (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    func response(instance: String) -> Response {
        var h = HTTPHeaders()
        h.contentType = Self.mediaType
        for (name, value) in headers { h.replaceOrAdd(name: name, value: value) }
        return Response(status: status, headers: h, body: .init(data: body(instance: instance)))
    }

    /// Any error of an API call as a problem: refusals of the services keep their status and
    /// Vietnamese reason; a request the generated code could not read is a 400 naming what was
    /// wrong; anything else is a 500 whose cause goes to the log only.
    static func from(_ error: any Error, logger: Logger) -> APIProblem {
        var underlying = error
        var unreadable: String?
        if let s = error as? ServerError {
            underlying = s.underlyingError
            // Vapor makes DecodingError an AbortError too; the decoder's own words say which value it could not read.
            let decoding = s.underlyingError is DecodingError
            if s.operationInput == nil, !(s.underlyingError is APIProblem), decoding || !(s.underlyingError is any AbortError) {
                unreadable = s.causeDescription + ": " + String(describing: s.underlyingError)
            }
        }
        if let p = underlying as? APIProblem { return p }
        if DatabaseOutage.matches(underlying) {
            logger.warning("Cơ sở dữ liệu tạm không kết nối được: \(String(reflecting: underlying))")
            var problem = APIProblem(.serviceUnavailable, "database-unavailable", DatabaseOutage.apiMessage)
            problem.headers = [("Retry-After", DatabaseOutage.retryAfter)]
            return problem
        }
        if let full = underlying as? StorageFull {
            logger.error("Ổ đĩa thư mục dữ liệu đầy: không lưu được tệp")
            var problem = APIProblem(full.status, "storage-full", full.reason)
            problem.headers = [("Retry-After", StorageFull.retryAfter)]
            return problem
        }
        if let unreadable {
            return APIProblem(.badRequest, "invalid-request", "Không đọc được yêu cầu: \(Self.readable(unreadable)). "
                                + "Kiểm tra tham số và thân yêu cầu theo api/openapi.yaml.")
        }
        if let p = underlying as? CatalogProblems {
            return APIProblem(.unprocessableEntity, "invalid-fields", "Dữ liệu không hợp lệ; xem từng lỗi trong «errors».",
                              errors: p.problems.map { (field: $0.fieldKey, message: $0.message) })
        }
        if let abort = underlying as? any AbortError {
            if abort.status.code >= 500 { logger.error("api \(abort.status.code): \(abort.reason)") }
            return APIProblem(abort.status, code(of: abort.status), ErrorPageMiddleware.vietnamese(abort))
        }
        logger.report(error: error)
        return APIProblem(.internalServerError, "server-error",
                          "Đã có lỗi hệ thống; thao tác chưa được thực hiện. "
                            + "Vui lòng thử lại hoặc báo quản trị hệ thống.")
    }

    static func code(of status: HTTPStatus) -> String {
        switch status.code {
        case 400: "invalid-request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not-found"
        case 405: "method-not-allowed"
        case 409: "conflict"
        case 413: "payload-too-large"
        case 415: "unsupported-media-type"
        case 422: "invalid-fields"
        case 429: "rate-limited"
        case 503: "database-unavailable"
        default: status.code >= 500 ? "server-error" : "refused"
        }
    }

    /// The generated code's description of what it could not decode, bounded (it may quote input).
    static func readable(_ text: String) -> String {
        let oneLine = text.replacingOccurrences(of: "\n", with: " ")
        return oneLine.count > 300 ? String(oneLine.prefix(300)) + "…" : oneLine
    }
}

/// Turns every error of a generated operation into a problem document (`APIProblem.from`), so an
/// API client never sees the runtime's own error format.
struct APIProblemMiddleware: ServerMiddleware {
    func intercept(_ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
                   next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?))
    async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch {
            let logger = APIContext.request?.logger ?? Logger(label: "kpi.api")
            let problem = APIProblem.from(error, logger: logger)
            var fields = HTTPFields()
            fields[.contentType] = "application/problem+json"
            for (name, value) in problem.headers { if let n = HTTPField.Name(name) { fields[n] = value } }
            let path = request.path.map { String($0.split(separator: "?").first ?? "") } ?? ""
            return (HTTPResponse(status: .init(code: Int(problem.status.code)), headerFields: fields),
                    HTTPBody(problem.body(instance: path)))
        }
    }
}
