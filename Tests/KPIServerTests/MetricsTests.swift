import Fluent
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// `GET /metrics` (Prometheus): only with `KPI_METRICS_TOKEN` and only to its bearer; each route's answers
/// counted and timed under the route's pattern (never the address typed); jobs' runs and failures; the
/// outbox's depth as the database holds it.
final class MetricsTests: XCTestCase {
    static let token = String(repeating: "m", count: 40)

    private func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    func testWithoutATokenTheAddressIsNotFound() async throws {
        try await withApp { app in
            var b = Browser(app)
            b.extraHeaders["Authorization"] = "Bearer " + Self.token
            let status = try await b.get("/metrics").status
            XCTAssertEqual(status, .notFound)
        }
    }

    func testAShortTokenStopsTheStart() async throws {
        do {
            try await withApp(adjust: { $0.metricsToken = "ngan-qua" }) { _ in XCTFail("started with a short token") }
        } catch {
            XCTAssertTrue("\(error)".contains("KPI_METRICS_TOKEN"), "\(error)")
        }
    }

    func testOnlyTheBearerReadsAndTheFiguresFollowWhatHappened() async throws {
        try await withApp(adjust: { $0.metricsToken = Self.token }) { app in
            var visitor = Browser(app)
            let refused = try await visitor.get("/metrics")
            XCTAssertEqual(refused.status, .unauthorized)
            XCTAssertEqual(refused.headers.first(name: .wwwAuthenticate), "Bearer realm=\"kpi-metrics\"")
            visitor.extraHeaders["Authorization"] = "Bearer " + String(repeating: "n", count: 40)
            let wrong = try await visitor.get("/metrics").status
            XCTAssertEqual(wrong, .unauthorized)

            var prom = Browser(app)
            prom.extraHeaders["Authorization"] = "Bearer " + Self.token
            for _ in 0..<3 { try await visitor.get("/healthz") }
            try await visitor.get("/khong-co-trang-nay-12345")
            let signIn = try await visitor.get("/dang-nhap")
            XCTAssertEqual(signIn.status, .ok)
            _ = try? await app.metrics.job("thu-nghiem") { throw Abort(.internalServerError) }
            _ = try await app.metrics.job("thu-nghiem") { 1 }
            try await app.db.sql.raw("""
                INSERT INTO outbox_messages (id, channel, recipient, subject, body, alt_body, dedupe_key, state, attempts, \
                next_attempt_at, created_at) VALUES (\(bind: UUID()), 'email', 'a@b.vn', 's', 'b', '', 'thu-metrics', 'cho', 0, \
                \(bind: app.clock.now), \(bind: app.clock.now))
                """).run()

            let res = try await prom.get("/metrics")
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.headers.first(name: .contentType)?.hasPrefix("text/plain; version=0.0.4") == true, "\(res.headers)")
            let text = res.text
            XCTAssertEqual(value(text, #"kpi_http_requests_total{route="/healthz",method="GET",status="2xx"}"#), 3)
            XCTAssertEqual(value(text, #"kpi_http_requests_total{route="/dang-nhap",method="GET",status="2xx"}"#), 1)
            XCTAssertEqual(value(text, #"kpi_http_requests_total{route="/metrics",method="GET",status="4xx"}"#), 2)
            XCTAssertEqual(value(text, #"kpi_http_requests_total{route="khong-khop",method="GET",status="4xx"}"#), 1)
            XCTAssertFalse(text.contains("12345"), "the typed address is not a label")
            XCTAssertEqual(value(text, #"kpi_http_request_duration_seconds_count{route="/healthz",method="GET"}"#), 3)
            XCTAssertEqual(value(text, #"kpi_http_request_duration_seconds_bucket{route="/healthz",method="GET",le="+Inf"}"#), 3)
            XCTAssertEqual(value(text, #"kpi_job_runs_total{job="thu-nghiem",outcome="loi"}"#), 1)
            XCTAssertEqual(value(text, #"kpi_job_runs_total{job="thu-nghiem",outcome="ok"}"#), 1)
            XCTAssertEqual(value(text, #"kpi_job_last_success_timestamp_seconds{job="thu-nghiem"}"#),
                           app.clock.now.timeIntervalSince1970, "from the application's clock")
            let waiting = try await app.db.sql.raw("SELECT count(*) AS n FROM outbox_messages WHERE state = 'cho'").first()?
                .decode(column: "n", as: Int.self)
            XCTAssertEqual(value(text, "kpi_outbox_waiting"), Double(try XCTUnwrap(waiting)))
            XCTAssertEqual(value(text, "kpi_database_up"), 1)
            XCTAssertGreaterThan(value(text, "process_resident_memory_bytes") ?? 0, 1_000_000)
            if app.db.isPostgres {
                XCTAssertNotNil(value(text, #"kpi_database_connections{state="active"}"#))
            }
        }
    }
}
