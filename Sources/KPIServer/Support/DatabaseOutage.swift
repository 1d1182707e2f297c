import AsyncKit
import FluentPostgresDriver
import Foundation
import NIOCore
import NIOPosix

/// The database cannot be reached for a moment: PostgreSQL restarting, a failover moving the leader,
/// the network between them cut. Such an error is not the request's fault and not a bug: the answer is
/// 503 with "try again in a few seconds", never a 500 (`ErrorPageMiddleware`); the connection pool
/// makes new connections by itself once the database is back.
enum DatabaseOutage {
    /// SQLSTATE classes of a database going away or not yet there: 08 connection exception, 57P01–57P03
    /// admin shutdown, crash shutdown, cannot connect now; 25006 read-only transaction (a standby that
    /// was the leader a moment ago).
    static let states: Set<String> = ["57P01", "57P02", "57P03", "25006"]

    static func matches(_ error: any Error) -> Bool {
        if let e = error as? PSQLError {
            switch e.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                let state = e.serverInfo?[.sqlState] ?? ""
                return states.contains(state) || state.hasPrefix("08")
            default:
                return false
            }
        }
        if error is NIOConnectionError || error is ConnectionPoolTimeoutError { return true }
        if let e = error as? ChannelError {
            switch e {
            case .ioOnClosedChannel, .alreadyClosed, .connectTimeout, .eof: return true
            default: return false
            }
        }
        if let e = error as? IOError { return [ECONNREFUSED, ECONNRESET, EPIPE].contains(e.errnoCode) }
        return false
    }

    static let message = """
        Hệ thống đang chuyển máy chủ, vui lòng thử lại sau ít giây. Nếu vừa lưu dữ liệu, hãy mở lại trang \
        để xem đã lưu chưa trước khi gửi lại.
        """

    /// For API clients: a creating call is sent again with the same Idempotency-Key.
    static let apiMessage = """
        Hệ thống đang chuyển máy chủ cơ sở dữ liệu; thao tác có thể chưa được thực hiện. Gửi lại \
        sau vài giây (với cùng Idempotency-Key nếu là thao tác tạo mới).
        """

    /// Seconds a client should wait before trying again (`Retry-After`).
    static let retryAfter = "5"
}
