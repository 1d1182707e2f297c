import Foundation
import KPICore
import NIOConcurrencyHelpers
import Vapor

/// A request parameter a route reads from its query string or its form body, with its type and
/// bounds. Declared where the route is registered (`Route.reads`), checked before the handler uses
/// the value, and read by the extreme-value sweep test, so a new parameter is tested by default.
struct ParamSpec: Sendable, Hashable {
    enum Source: Sendable, Hashable { case query, form }

    enum Kind: Sendable, Hashable {
        /// A whole number within the range ("" means absent).
        case integer(ClosedRange<Int>)
        /// Free text up to this many characters.
        case text(maxLength: Int)
        /// One of these values ("" means absent).
        case choice([String])
        /// "1" when set.
        case flag
        /// A UUID ("" means absent).
        case uuid
    }

    var name: String
    var kind: Kind
    var source: Source
    /// The field's name as the user sees it, for messages.
    var label: String

    static func int(_ name: String, _ range: ClosedRange<Int>, _ label: String, in source: Source = .query) -> ParamSpec {
        ParamSpec(name: name, kind: .integer(range), source: source, label: label)
    }

    static func text(_ name: String, max: Int = 200, _ label: String, in source: Source = .query) -> ParamSpec {
        ParamSpec(name: name, kind: .text(maxLength: max), source: source, label: label)
    }

    static func choice(_ name: String, _ values: [String], _ label: String, in source: Source = .query) -> ParamSpec {
        ParamSpec(name: name, kind: .choice(values), source: source, label: label)
    }

    static func flag(_ name: String, _ label: String, in source: Source = .query) -> ParamSpec {
        ParamSpec(name: name, kind: .flag, source: source, label: label)
    }

    static func uuid(_ name: String, _ label: String, in source: Source = .query) -> ParamSpec {
        ParamSpec(name: name, kind: .uuid, source: source, label: label)
    }

    // Parameters many lists share.
    /// Page of a list: bounded so that `(page - 1) * perPage` cannot overflow.
    static let page = int("trang", 1...100_000, "Trang")
    static let search = text("q", "Tìm kiếm")
    static let format = choice("dinh_dang", ["xlsx", "csv"], "Định dạng tệp")
    static let unitCode = text("don_vi", max: 50, "Mã đơn vị")
    static let saved = flag("luu", "Đã lưu")
    static let notice = text("tb", max: 40, "Thông báo")
    static let dateFrom = text("tu", max: 10, "Từ ngày")
    static let dateTo = text("den", max: 10, "Đến ngày")
    static let version = int("phien_ban", -1...Int(Int32.max), "Phiên bản", in: .form)
    /// Where to go after signing in: a same-site path (checked again where it is used).
    static let next = text("next", max: 2_000, "Trang tiếp theo")

    /// The largest text accepted in any form field nobody declared (the body limit bounds the rest).
    static let undeclaredFormMax = 100_000

    /// The refusal when `raw` does not fit; nil when it does (an empty value always fits: absent).
    func problem(_ raw: String) -> String? {
        if raw.isEmpty { return nil }
        // PostgreSQL stores no NUL in text, and no form or address of ours has one.
        if raw.unicodeScalars.contains("\u{0}") { return "«\(label)» chứa ký tự không hợp lệ." }
        switch kind {
        case .integer(let range):
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            // A form's number that is not a number at all is the form's own message to give (the
            // value is shown again to be corrected); what is refused here is anything absurd.
            if source == .form, trimmed.count <= 20, Int(trimmed) == nil { return nil }
            guard trimmed.count <= 20, let n = Int(trimmed), range.contains(n) else {
                return """
                    «\(label)» phải là số nguyên từ \(VNNumber.format(range.lowerBound)) đến \
                    \(VNNumber.format(range.upperBound)).
                    """
            }
            return nil
        case .text(let max):
            return raw.count > max ? "«\(label)» dài quá \(VNNumber.format(max)) ký tự." : nil
        case .choice(let values):
            return values.contains(raw) ? nil : "«\(label)» không hợp lệ: chọn một trong các giá trị có sẵn."
        case .flag:
            return raw == "1" || raw == "0" ? nil : "«\(label)» không hợp lệ."
        case .uuid:
            return UUID(uuidString: raw) == nil ? "«\(label)» không hợp lệ." : nil
        }
    }
}

extension Request {
    /// A NUL in a path segment names no record (and PostgreSQL refuses it in text): pages and API refuse it.
    var pathHoldsNUL: Bool {
        parameters.allNames.contains { parameters.get($0)?.unicodeScalars.contains("\u{0}") == true }
    }
}

extension Route {
    private static let paramsKey = "kpi.params"

    /// Declares the parameters this route reads (query and form).
    @discardableResult
    func reads(_ specs: ParamSpec...) -> Route { reads(specs) }

    @discardableResult
    func reads(_ specs: [ParamSpec]) -> Route {
        userInfo[Self.paramsKey] = (declaredParams + specs)
        return self
    }

    /// The parameters this route declared.
    var declaredParams: [ParamSpec] {
        userInfo[Self.paramsKey] as? [ParamSpec] ?? []
    }
}

/// Checks every declared parameter of the matched route before its handler runs: a value that
/// does not fit its declaration is refused with the field's rule (400), and every undeclared form
/// field is held to `ParamSpec.undeclaredFormMax` characters. Handlers then read values with
/// `req.input`, which cannot fail.
struct DeclaredParamsMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let declared = req.route?.declaredParams ?? []
        // A NUL in a path segment names no record (and PostgreSQL refuses it in text).
        if req.pathHoldsNUL {
            throw Abort(.notFound)
        }
        let query = req.input.queryValues
        for s in declared where s.source == .query {
            if let v = query[s.name], let problem = s.problem(v) {
                throw RequestInput.Refusal(reason: problem + " Vui lòng sửa địa chỉ hoặc quay lại trang trước.")
            }
        }
        if req.method == .POST, req.body.data != nil {
            let form = req.input.formValues
            for s in declared where s.source == .form {
                if let v = form[s.name], let problem = s.problem(v) {
                    throw RequestInput.Refusal(reason: problem + " Vui lòng quay lại biểu mẫu, sửa rồi gửi lại.")
                }
            }
            // A multipart body's file parts have their own limits (evidence, imports).
            let multipart = req.headers.contentType?.type == "multipart"
            for (k, v) in form where !multipart && !declared.contains(where: { $0.name == k })
                && (v.count > ParamSpec.undeclaredFormMax || v.unicodeScalars.contains("\u{0}")) {
                throw RequestInput.Refusal(reason: v.count > ParamSpec.undeclaredFormMax
                    ? "Trường «\(k.prefix(40))» dài quá \(VNNumber.format(ParamSpec.undeclaredFormMax)) ký tự. Vui "
                        + "lòng rút gọn rồi "
                        + "gửi lại."
                    : """
                        Trường «\(k.prefix(40))» chứa ký tự không hợp lệ. Vui lòng quay lại biểu mẫu, sửa rồi \
                        gửi lại.
                        """)
            }
        }
        return try await next.respond(to: req)
    }
}

/// Names read by handlers without a declaration on their route; the sweep test requires none.
final class UndeclaredReads: Sendable {
    private let names = NIOLockedValueBox<Set<String>>([])
    func note(_ name: String) { names.withLockedValue { _ = $0.insert(name) } }
    var all: Set<String> { names.withLockedValue { $0 } }
}

struct UndeclaredReadsKey: StorageKey { typealias Value = UndeclaredReads }
struct FormValuesKey: StorageKey { typealias Value = [String: String] }
struct QueryValuesKey: StorageKey { typealias Value = [String: String] }

/// Reads a request's declared query parameters, already checked by `DeclaredParamsMiddleware`.
/// Reading a name the route did not declare still works but is noted (`UndeclaredReads`), and the
/// sweep test fails on it, so declarations cannot fall behind the code.
struct RequestInput {
    let req: Request

    /// A bad value: the user gets the field's rule, in Vietnamese, and what to do.
    struct Refusal: AbortError {
        var status: HTTPResponseStatus { .badRequest }
        var reason: String
    }

    /// The query parameters, decoded once per request.
    var queryValues: [String: String] {
        if let values = req.storage[QueryValuesKey.self] { return values }
        let values = (try? req.query.decode([String: String].self)) ?? [:]
        req.storage[QueryValuesKey.self] = values
        return values
    }

    /// The form body's text fields, decoded once per request ([:] when it is not a form).
    var formValues: [String: String] {
        if let values = req.storage[FormValuesKey.self] { return values }
        let values = (try? req.content.decode([String: String].self)) ?? [:]
        req.storage[FormValuesKey.self] = values
        return values
    }

    private func declared(_ name: String, _ source: ParamSpec.Source) -> Bool {
        if req.route?.declaredParams.contains(where: { $0.name == name && $0.source == source }) == true { return true }
        let where_ = "\(req.method.rawValue) \(req.route?.path.map(\.description).joined(separator: "/") ?? req.url.path) \(name)"
        req.application.storage[UndeclaredReadsKey.self]?.note(where_)
        req.logger.warning("request parameter read without a declaration", metadata: ["param": "\(where_)"])
        return false
    }

    /// A declared query parameter ("" when absent).
    func text(_ name: String) -> String {
        _ = declared(name, .query)
        return queryValues[name] ?? ""
    }

    /// A declared whole-number query parameter (nil when absent).
    func int(_ name: String) -> Int? {
        Int(text(name).trimmingCharacters(in: .whitespaces))
    }

    func flag(_ name: String) -> Bool { text(name) == "1" }

    func uuid(_ name: String) -> UUID? { UUID(uuidString: text(name)) }

    /// The page number of a paged list (1 when absent); bounded by `ParamSpec.page`.
    var page: Int { max(1, int("trang") ?? 1) }

    /// The form body's fields; declared ones were checked by the middleware.
    func form() -> [String: String] { formValues }

    /// A declared form field ("" when absent).
    func formText(_ name: String) -> String {
        _ = declared(name, .form)
        return formValues[name] ?? ""
    }

    /// A declared whole-number form field (nil when empty or not a number).
    func formInt(_ name: String) -> Int? {
        _ = declared(name, .form)
        return formValues[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
}

extension Request {
    /// The declared, bounded parameters of this request.
    var input: RequestInput { RequestInput(req: self) }
}

extension String {
    /// nil when empty.
    var nonEmpty: String? { isEmpty ? nil : self }
    /// `fallback` when empty.
    func nonEmpty(or fallback: String) -> String { isEmpty ? fallback : self }
}

extension Request {
    /// The address printed in links that leave the browser (QR codes, letters, mails): the public
    /// address of the settings, else the one this request came to.
    var publicBase: String {
        let settings = application.settings
        return settings.publicURL ?? "\(settings.secureCookies ? "https" : "http")://\(headers.first(name: .host) ?? "localhost")"
    }
}
