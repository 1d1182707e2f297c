import Foundation
import JWTKit
import KPICore
import Vapor

/// The province's identity provider as this server sees it (OpenID Connect): its discovery document
/// and signing keys — fetched on first use and kept an hour, the keys fetched again when a token names
/// one not yet known (at most once a minute) — the exchange of a code for tokens, and the check of an
/// ID token's signature. The rules on the token's claims are KPICore's `IDTokenRules`.
actor OIDCProvider {
    /// The discovery document's fields this client uses (OpenID Connect Discovery 1.0 §3).
    struct Metadata: Decodable, Sendable {
        var issuer: String
        var authorizationEndpoint: String
        var tokenEndpoint: String
        var jwksURI: String
        var endSessionEndpoint: String?
        var algorithms: [String]?

        enum CodingKeys: String, CodingKey {
            case issuer
            case authorizationEndpoint = "authorization_endpoint"
            case tokenEndpoint = "token_endpoint"
            case jwksURI = "jwks_uri"
            case endSessionEndpoint = "end_session_endpoint"
            case algorithms = "id_token_signing_alg_values_supported"
        }
    }

    let config: SingleSignOnConfig
    let client: any Client
    private var metadata: (value: Metadata, at: Date)?
    private var keys: (collection: JWTKeyCollection, kids: Set<String>, at: Date)?

    static let metadataLifetime: TimeInterval = 3600
    static let keysRefetchAfter: TimeInterval = 60
    /// The most a provider's answer may weigh; a token longer than `maxToken` is not parsed.
    static let maxAnswer = 1 << 20
    static let maxToken = 16_384

    init(config: SingleSignOnConfig, client: any Client) {
        self.config = config
        self.client = client
    }

    /// The discovery document, whose issuer must be the configured one exactly.
    func metadata(now: Date) async throws -> Metadata {
        if let m = metadata, now.timeIntervalSince(m.at) < Self.metadataLifetime, now >= m.at { return m.value }
        let base = config.issuer.hasSuffix("/") ? String(config.issuer.dropLast()) : config.issuer
        let m = try await getJSON(base + "/.well-known/openid-configuration", as: Metadata.self)
        guard m.issuer == config.issuer else { throw SingleSignOnProblem.wrongIssuer }
        for endpoint in [m.authorizationEndpoint, m.tokenEndpoint, m.jwksURI] + (m.endSessionEndpoint.map { [$0] } ?? []) {
            guard Self.sameSecurity(endpoint, as: config.issuer) else { throw SingleSignOnProblem.providerUnreachable }
        }
        metadata = (m, now)
        return m
    }

    /// An endpoint is https, or http on this machine when the issuer itself is (tests, a local provider).
    static func sameSecurity(_ endpoint: String, as issuer: String) -> Bool {
        guard let url = URL(string: endpoint), let scheme = url.scheme, url.host != nil else { return false }
        return scheme == "https" || (scheme == "http" && issuer.hasPrefix("http://")
            && ["127.0.0.1", "localhost", "::1"].contains(url.host ?? ""))
    }

    /// Exchanges the authorization code (with its PKCE verifier) for tokens; the ID token.
    func exchange(code: String, verifier: String, redirectURI: String, now: Date) async throws -> String {
        let m = try await metadata(now: now)
        var fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                      ("code_verifier", verifier), ("client_id", config.clientID)]
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        headers.replaceOrAdd(name: .accept, value: "application/json")
        if !config.clientSecret.isEmpty {
            // client_secret_basic: each part form-encoded first (RFC 6749 §2.3.1).
            let pair = Self.formEncoded(config.clientID) + ":" + Self.formEncoded(config.clientSecret)
            headers.replaceOrAdd(name: .authorization, value: "Basic " + Data(pair.utf8).base64EncodedString())
        }
        let body = Self.form(fields)
        let request = ClientRequest(method: .POST, url: URI(string: m.tokenEndpoint), headers: headers,
                                    body: ByteBuffer(string: body), timeout: .seconds(10))
        let response: ClientResponse
        do { response = try await client.send(request) } catch { throw SingleSignOnProblem.providerUnreachable }
        guard let buffer = response.body, buffer.readableBytes <= Self.maxAnswer else { throw SingleSignOnProblem.providerUnreachable }
        struct Answer: Decodable {
            var idToken: String?
            var error: String?
            enum CodingKeys: String, CodingKey { case idToken = "id_token", error }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer: buffer)) else {
            throw SingleSignOnProblem.providerUnreachable
        }
        if let e = answer.error { throw SingleSignOnProblem.providerError(Self.printable(e)) }
        guard response.status == .ok, let token = answer.idToken, !token.isEmpty else { throw SingleSignOnProblem.badToken }
        return token
    }

    /// The ID token's claims once its signature is verified against the provider's keys: an
    /// asymmetric algorithm among those allowed (and those the provider announces), a key of the
    /// provider's set. The claims are not yet checked (`IDTokenRules.check`).
    func verify(_ token: String, now: Date) async throws -> IDTokenClaims {
        guard token.utf8.count <= Self.maxToken else { throw SingleSignOnProblem.badToken }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.base64URL(parts[0]),
              let header = try? JSONDecoder().decode(Header.self, from: headerData) else { throw SingleSignOnProblem.badToken }
        let m = try await metadata(now: now)
        let announced = Set(m.algorithms ?? ["RS256"])
        guard IDTokenRules.algorithms.contains(header.alg), announced.contains(header.alg) else {
            throw SingleSignOnProblem.algorithmNotAllowed(Self.printable(header.alg))
        }
        var keys = try await keySet(m, now: now, forcing: false)
        if let kid = header.kid, !keys.kids.contains(kid) {
            keys = try await keySet(m, now: now, forcing: true)
            guard keys.kids.contains(kid) else { throw SingleSignOnProblem.badSignature }
        }
        do {
            return try await keys.collection.verify(token, as: IDTokenPayload.self, iteratingKeys: header.kid == nil).claims
        } catch let e as JWTError where e.errorType == .malformedToken {
            throw SingleSignOnProblem.badToken
        } catch is JWTError {
            // A signature that does not verify, or no key of the provider's that could have made it.
            throw SingleSignOnProblem.badSignature
        } catch {
            throw SingleSignOnProblem.badToken
        }
    }

    struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    private func keySet(_ m: Metadata, now: Date, forcing: Bool) async throws -> (collection: JWTKeyCollection, kids: Set<String>) {
        if let k = keys, !forcing || now.timeIntervalSince(k.at) < Self.keysRefetchAfter { return (k.collection, k.kids) }
        let data = try await getData(m.jwksURI)
        struct Listed: Decodable {
            struct Key: Decodable { var kid: String? }
            var keys: [Key]
        }
        guard let listed = try? JSONDecoder().decode(Listed.self, from: data) else { throw SingleSignOnProblem.providerUnreachable }
        let collection = JWTKeyCollection()
        do {
            try await collection.add(jwksJSON: String(decoding: data, as: UTF8.self))
        } catch { throw SingleSignOnProblem.providerUnreachable }
        let kids = Set(listed.keys.compactMap(\.kid))
        keys = (collection, kids, now)
        return (collection, kids)
    }

    private func getJSON<T: Decodable>(_ url: String, as: T.Type) async throws -> T {
        guard let value = try? JSONDecoder().decode(T.self, from: try await getData(url)) else {
            throw SingleSignOnProblem.providerUnreachable
        }
        return value
    }

    private func getData(_ url: String) async throws -> Data {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .accept, value: "application/json")
        let request = ClientRequest(method: .GET, url: URI(string: url), headers: headers, body: nil, timeout: .seconds(10))
        guard let response = try? await client.send(request), response.status == .ok, let body = response.body,
              body.readableBytes <= Self.maxAnswer else { throw SingleSignOnProblem.providerUnreachable }
        return Data(buffer: body)
    }

    static func base64URL(_ s: Substring) -> Data? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t)
    }

    /// A provider's word shown to a user: printable ASCII, at most 80 characters.
    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f }.prefix(80).map(Character.init))
    }

    /// Name–value pairs as `application/x-www-form-urlencoded` (a token request's body, a query).
    static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { formEncoded($0.0) + "=" + formEncoded($0.1) }.joined(separator: "&")
    }

    static func formEncoded(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(0x7f)))
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

/// An ID token's payload as JSON: the registered claims and every string-valued claim (the one that
/// links the account is configured). Its own `verify` does nothing: the claims are checked by
/// `IDTokenRules` against the server's one clock.
struct IDTokenPayload: JWTPayload {
    var claims: IDTokenClaims

    init(claims: IDTokenClaims) { self.claims = claims }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        var strings: [String: String] = [:]
        for k in c.allKeys.prefix(200) {
            if let v = try? c.decode(String.self, forKey: k), v.utf8.count <= 1_024 { strings[k.stringValue] = v }
        }
        let audience = (try? c.decode([String].self, forKey: Key("aud"))) ?? strings["aud"].map { [$0] } ?? []
        let seconds = { (name: String) throws -> Date in
            let v = try c.decode(Double.self, forKey: Key(name))
            guard v.isFinite, abs(v) < 1e11 else {
                throw DecodingError.dataCorruptedError(forKey: Key(name), in: c, debugDescription: name)
            }
            return Date(timeIntervalSince1970: v)
        }
        guard let iss = strings["iss"], let sub = strings["sub"] else {
            throw DecodingError.dataCorruptedError(forKey: Key("iss"), in: c, debugDescription: "iss, sub")
        }
        claims = IDTokenClaims(issuer: iss, subject: sub, audience: audience, authorizedParty: strings["azp"],
                               expires: try seconds("exp"), issuedAt: try seconds("iat"), nonce: strings["nonce"],
                               acr: strings["acr"], amr: (try? c.decode([String].self, forKey: Key("amr"))) ?? [],
                               strings: strings)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (k, v) in claims.strings { try c.encode(v, forKey: Key(k)) }
        try c.encode(claims.issuer, forKey: Key("iss"))
        try c.encode(claims.subject, forKey: Key("sub"))
        try c.encode(claims.audience, forKey: Key("aud"))
        try c.encodeIfPresent(claims.authorizedParty, forKey: Key("azp"))
        try c.encode(Int64(claims.expires.timeIntervalSince1970), forKey: Key("exp"))
        try c.encode(Int64(claims.issuedAt.timeIntervalSince1970), forKey: Key("iat"))
        try c.encodeIfPresent(claims.nonce, forKey: Key("nonce"))
        try c.encodeIfPresent(claims.acr, forKey: Key("acr"))
        if !claims.amr.isEmpty { try c.encode(claims.amr, forKey: Key("amr")) }
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

struct OIDCProviderKey: StorageKey { typealias Value = OIDCProvider }

extension Application {
    /// The identity provider, when single sign-on is configured (one per process, made at start: its
    /// discovery document and keys are cached).
    var oidcProvider: OIDCProvider? { storage[OIDCProviderKey.self] }
}
