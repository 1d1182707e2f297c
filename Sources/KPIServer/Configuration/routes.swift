import Fluent
import SQLKit
import Vapor

func routes(_ app: Application) throws {
    app.get("healthz", use: health)
    app.get("metrics", use: metricsEndpoint)
    // The API: its own token check, no session cookie, no form token (KPIAPI, api/openapi.yaml).
    try KPIAPI.register(app)

    let session = app.grouped(SessionMiddleware(), CSRFMiddleware())
    // Declared parameters are checked after sign-in, so a visitor is sent to sign in first.
    let web = session.grouped(DeclaredParamsMiddleware())
    let signedIn = session.grouped(RequireSignIn(), RefusalAuditMiddleware(), DeclaredParamsMiddleware())
    AuthController.register(public: web, signedIn: signedIn)
    SingleSignOnController.register(public: web)
    TwoFactorController.register(public: web, signedIn: signedIn)
    signedIn.get(use: HomeController.home).reads(.format)
    CatalogController.register(signedIn)
    ImportController.register(signedIn)
    AuditController.register(signedIn)
    FrameworkController.register(signedIn)
    ResultController.register(signedIn)
    PublicationController.register(signedIn)
    HistoryController.register(signedIn)
    PersonnelListController.register(signedIn)
    ReportController.register(signedIn)
    PilotReviewController.register(signedIn)
    FairnessController.register(signedIn)
    RoleController.register(signedIn)
    WorkController.register(signedIn)
    NoticeController.register(signedIn)
    SessionController.register(signedIn)
    RatingController.register(public: web, signedIn: signedIn)
    GuideController.register(public: web)
    PasswordResetController.register(public: web)
    ReceiptController.register(signedIn)
    DisciplineController.register(signedIn)
    LeaveController.register(signedIn)
    DelegationController.register(signedIn)
    ConclusionController.register(signedIn)
    FeedbackController.register(signedIn)
    SettingsController.register(signedIn)
    MailController.register(signedIn)
    APIClientController.register(signedIn)
    BulkAccountsController.register(signedIn)
    PersonalDataController.register(signedIn)
    EvaluationController.register(signedIn)
    EvaluationPeriodPage.register(signedIn)
    EvaluationSheetPage.register(signedIn)
    EvaluationAfterPage.register(signedIn)
    EvaluationPrint.register(signedIn)
}

/// `/healthz`: 200 when the database answers, 503 otherwise.
@Sendable func health(_ req: Request) async throws -> Response {
    do {
        try await req.db.sql.raw("SELECT 1").run()
        return Response(status: .ok, body: .init(string: "{\"status\":\"ok\",\"database\":\"ok\"}"))
    } catch {
        req.logger.error("healthz: database unreachable: \(error)")
        return Response(status: .serviceUnavailable, body: .init(string: "{\"status\":\"error\",\"database\":\"unreachable\"}"))
    }
}
