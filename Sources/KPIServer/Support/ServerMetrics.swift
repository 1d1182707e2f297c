import Fluent
import KPICore
import Foundation
import Prometheus
import SQLKit
import Vapor

/// What an operator watches (`GET /metrics`, Prometheus's text format; docs/van-hanh.md, «Giám sát»):
/// each route's answers and their time, the background jobs' runs, failures and time, the outbox's depth,
/// the database's connections, the link between processes, the process's memory. Only with
/// `KPI_METRICS_TOKEN`, sent as a bearer token; without it the address is not found.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000].map { .milliseconds($0) }
    static let jobBuckets: [Duration] = [10, 100, 1_000, 5_000, 30_000, 120_000, 600_000].map { .milliseconds($0) }
    private static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    private let clock: AppClock
    private let started: Date

    init(clock: AppClock) {
        self.clock = clock
        started = clock.now
    }

    /// Each series' help line (in Prometheus's `# HELP`).
    static let help: [String: String] = [
        "kpi_http_request_duration_seconds": "Thời gian trả lời yêu cầu, theo tuyến",
        "kpi_http_requests_total": "Số yêu cầu đã trả lời, theo tuyến và nhóm mã",
        "kpi_job_runs_total": "Số lần chạy công việc định kỳ, theo kết quả",
        "kpi_job_duration_seconds": "Thời gian một lần chạy công việc định kỳ",
        "kpi_job_last_success_timestamp_seconds": "Lần chạy thành công gần nhất (Unix)",
        "kpi_outbox_waiting": "Thư và webhook đang chờ gửi",
        "kpi_outbox_parked": "Thư và webhook đã thôi gửi (lỗi)",
        "kpi_outbox_oldest_due_seconds": "Thư chờ lâu nhất đã quá hạn gửi bao nhiêu giây",
        "kpi_database_up": "Cơ sở dữ liệu trả lời được",
        "kpi_database_connections": "Kết nối tới cơ sở dữ liệu của mọi tiến trình, theo trạng thái",
        "kpi_database_max_connections": "max_connections của PostgreSQL",
        "kpi_database_pool_max": "Số kết nối tối đa của tiến trình này",
        "kpi_change_listener_up": "Đang nghe tin thay đổi của các tiến trình khác",
        "kpi_database_standbys": "Số bản sao đang nhận WAL từ máy chủ chính",
        "kpi_database_sync_standbys": "Số bản sao đồng bộ của máy chủ chính (0: ghi không còn chờ bản sao)",
        "kpi_read_replica_up": "Máy chủ bản sao (KPI_READ_DATABASE_URL) trả lời được",
        "kpi_read_replica_lag_seconds": "Máy chủ bản sao chậm sau máy chủ chính bao nhiêu giây (-1: không rõ)",
        "kpi_data_disk_free_bytes": "Chỗ trống của ổ chứa thư mục dữ liệu (tệp minh chứng)",
        "kpi_data_disk_size_bytes": "Dung lượng của ổ chứa thư mục dữ liệu",
        "process_resident_memory_bytes": "Bộ nhớ thường trú của tiến trình",
        "process_start_time_seconds": "Thời điểm tiến trình khởi động (Unix)",
    ]

    private static func named(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }

    private func count(_ name: String, _ labels: [(String, String)]) {
        registry.makeCounter(descriptor: Self.named(name), labels: labels).increment()
    }

    private func time(_ name: String, _ labels: [(String, String)], _ buckets: [Duration], _ value: Duration) {
        registry.makeDurationHistogram(descriptor: Self.named(name), labels: labels, buckets: buckets).record(value)
    }

    private func set(_ name: String, _ labels: [(String, String)], _ value: Double) {
        registry.makeGauge(descriptor: Self.named(name), labels: labels).set(value)
    }

    private func set(_ name: String, _ value: Double) { set(name, [], value) }

    /// One answered request; `route` is the route's pattern (`/nhiem-vu/:code`), never the address itself,
    /// so the number of series stays that of the routes.
    func observe(route: String, method: String, status: UInt, duration: Duration) {
        let labels = [("route", route), ("method", Self.methods.contains(method) ? method : "KHAC")]
        time("kpi_http_request_duration_seconds", labels, Self.latencyBuckets, duration)
        count("kpi_http_requests_total", labels + [("status", String(status / 100) + "xx")])
    }

    /// Runs one pass of a background job, counting it (`ok` or `loi`) and timing it.
    func job<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        let timer = ContinuousClock(), start = timer.now
        do {
            let result = try await body()
            finish(name, outcome: "ok", duration: timer.now - start)
            return result
        } catch {
            finish(name, outcome: "loi", duration: timer.now - start)
            throw error
        }
    }

    private func finish(_ name: String, outcome: String, duration: Duration) {
        count("kpi_job_runs_total", [("job", name), ("outcome", outcome)])
        time("kpi_job_duration_seconds", [("job", name)], Self.jobBuckets, duration)
        if outcome == "ok" { set("kpi_job_last_success_timestamp_seconds", [("job", name)], clock.now.timeIntervalSince1970) }
    }

    /// The text Prometheus reads, after the figures read at this moment (the outbox, the database, memory).
    func exposition(_ app: Application) async -> String {
        let sql = app.db.sql
        do {
            let rows = try await sql.raw("""
                SELECT state, count(*) AS n, min(next_attempt_at) AS oldest FROM outbox_messages
                WHERE state <> \(bind: OutboxMessage.sent) GROUP BY state
                """).all()
            var waiting = 0.0, failed = 0.0, oldest: Date?
            for r in rows {
                let n = Double(try r.decode(column: "n", as: Int.self))
                if try r.decode(column: "state", as: String.self) == OutboxMessage.failed { failed = n } else {
                    waiting += n
                    oldest = try r.decode(column: "oldest", as: Date?.self)
                }
            }
            set("kpi_outbox_waiting", waiting)
            set("kpi_outbox_parked", failed)
            set("kpi_outbox_oldest_due_seconds", oldest.map { max(0, app.clock.now.timeIntervalSince($0)) } ?? 0)
            set("kpi_database_up", 1)
        } catch {
            set("kpi_database_up", 0)
        }
        if app.db.isPostgres {
            await postgresFigures(sql)
            set("kpi_database_pool_max", Double(postgresConnectionsPerLoop * System.coreCount))
        }
        if let notifications = app.changeNotifications { set("kpi_change_listener_up", notifications.isListening ? 1 : 0) }
        if let replica = app.readReplica {
            let state = await replica.ask(app)
            set("kpi_read_replica_up", state == .unreachable ? 0 : 1)
            if case .serving(let lag) = state { set("kpi_read_replica_lag_seconds", lag) } else { set("kpi_read_replica_lag_seconds", -1) }
        }
        var disk = statvfs()
        if statvfs(app.settings.dataDirectory, &disk) == 0 {
            set("kpi_data_disk_free_bytes", Double(disk.f_bavail) * Double(disk.f_frsize))
            set("kpi_data_disk_size_bytes", Double(disk.f_blocks) * Double(disk.f_frsize))
        }
        set("process_resident_memory_bytes", Self.residentBytes())
        set("process_start_time_seconds", started.timeIntervalSince1970)
        return registry.emitToString()
    }

    /// The connections of every process, by state, and PostgreSQL's limit.
    private func postgresFigures(_ sql: any SQLDatabase) async {
        guard let rows = try? await sql.raw("""
            SELECT coalesce(state, 'khac') AS state, count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' GROUP BY 1
            """).all() else { return }
        for state in ["active", "idle", "idle in transaction"] { set("kpi_database_connections", [("state", state)], 0) }
        for r in rows {
            guard let state = try? r.decode(column: "state", as: String.self), let n = try? r.decode(column: "n", as: Int.self) else {
                continue
            }
            set("kpi_database_connections", [("state", state)], Double(n))
        }
        // The standbys the primary streams to, and those it waits for at each commit (synchronous replication,
        // Patroni's synchronous_mode): fully visible to a superuser or a member of pg_monitor.
        if let row = try? await sql.raw("""
            SELECT count(*) FILTER (WHERE state = 'streaming') AS standbys,
                   count(*) FILTER (WHERE sync_state IN ('sync', 'quorum')) AS sync FROM pg_stat_replication
            """).first(), let standbys = try? row.decode(column: "standbys", as: Int.self),
           let sync = try? row.decode(column: "sync", as: Int.self) {
            set("kpi_database_standbys", Double(standbys))
            set("kpi_database_sync_standbys", Double(sync))
        }
        let limit = try? await sql.raw("SELECT setting::int AS n FROM pg_settings WHERE name = 'max_connections'").first()?
            .decode(column: "n", as: Int.self)
        if let limit { set("kpi_database_max_connections", Double(limit)) }
    }

    /// From /proc/self/statm (Linux); 0 elsewhere.
    static func residentBytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Times every request, whatever its answer (first in the chain: errors are pages by then).
struct MetricsMiddleware: AsyncMiddleware {
    let metrics: ServerMetrics

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let clock = ContinuousClock(), start = clock.now
        do {
            let response = try await next.respond(to: req)
            metrics.observe(route: Self.route(req, response.status), method: req.method.rawValue, status: response.status.code,
                            duration: clock.now - start)
            return response
        } catch {
            metrics.observe(route: Self.route(req, .internalServerError), method: req.method.rawValue, status: 500,
                            duration: clock.now - start)
            throw error
        }
    }

    /// The matched route's pattern; a static file or an address no route knows gets one label each.
    static func route(_ req: Request, _ status: HTTPStatus) -> String {
        if let route = req.route { return "/" + route.path.map(\.description).joined(separator: "/") }
        return status == .ok || status == .notModified ? "tep-tinh" : "khong-khop"
    }
}

struct ServerMetricsKey: StorageKey { typealias Value = ServerMetrics }

extension Application {
    /// Made by `configure`.
    var metrics: ServerMetrics {
        if let m = storage[ServerMetricsKey.self] { return m }
        let m = ServerMetrics(clock: clock)
        storage[ServerMetricsKey.self] = m
        return m
    }
}

/// `GET /metrics` with `Authorization: Bearer <KPI_METRICS_TOKEN>`.
@Sendable func metricsEndpoint(_ req: Request) async throws -> Response {
    guard let token = req.application.settings.metricsToken else { throw Abort(.notFound) }
    let sent = req.headers.bearerAuthorization?.token ?? ""
    guard ConstantTime.equal(sent, token) else {
        // Answered here: the error pages would drop the challenge header Prometheus and curl expect.
        var headers = HTTPHeaders()
        headers.add(name: .wwwAuthenticate, value: "Bearer realm=\"kpi-metrics\"")
        headers.contentType = .plainText
        let text = "Cần khóa truy cập số liệu giám sát (KPI_METRICS_TOKEN), gửi trong Authorization: Bearer.\n"
        return Response(status: .unauthorized, headers: headers, body: .init(string: text))
    }
    let body = await req.application.metrics.exposition(req.application)
    var headers = HTTPHeaders()
    headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
    headers.replaceOrAdd(name: .cacheControl, value: "no-store")
    return Response(status: .ok, headers: headers, body: .init(string: body))
}
