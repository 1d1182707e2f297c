import KPICore
import Vapor

/// How large a request body a route accepts, enforced while the body streams in (issue 16: multipart
/// bodies up to 64 MB were collected before anyone was known). A visitor who is not signed in may
/// send only a small form (sign-in, a public rating); a signed-in form gets 1 MB; only the upload
/// routes take files, each up to its own setting.
enum BodyLimit: String, Sendable {
    /// Evidence files (`KPI_EVIDENCE_MAX_MB`).
    case evidence
    /// Catalog imports (`KPI_IMPORT_MAX_MB`).
    case importFile
    /// edXML packages (`EdXML.Limits.maxBytes`).
    case edxml

    static let anonymousBytes = 64 * 1024
    static let formBytes = 1024 * 1024
    /// Room for the form's other fields and the multipart framing around a file.
    static let multipartOverhead = 256 * 1024

    func bytes(_ settings: Settings) -> Int {
        switch self {
        case .evidence: settings.evidenceMaxMegabytes * 1024 * 1024 + Self.multipartOverhead
        case .importFile: settings.importMaxMegabytes * 1024 * 1024 + Self.multipartOverhead
        case .edxml: EdXML.Limits().maxBytes + Self.multipartOverhead
        }
    }

    /// The most this request may send: decided by who is signed in and the route's declaration.
    static func bytes(for req: Request) -> Int {
        guard req.principal != nil else { return anonymousBytes }
        return (req.route?.userInfo[key] as? BodyLimit)?.bytes(req.application.settings) ?? formBytes
    }

    static let key = "kpi.body-limit"

    static var tooLarge: Abort {
        Abort(.payloadTooLarge,
              reason: "Dữ liệu gửi lên quá lớn so với giới hạn của trang này. Hãy chọn tệp nhỏ hơn "
                  + "hoặc rút gọn "
            + "nội dung rồi thử lại.")
    }
}

extension Route {
    /// Declares that this route takes an uploaded file up to the given limit.
    @discardableResult
    func accepts(_ limit: BodyLimit) -> Route {
        userInfo[BodyLimit.key] = limit
        return self
    }
}
