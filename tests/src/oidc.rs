//! A local OpenID provider for the sign-in tests: real HTTP, real keys (RS256 and ES256),
//! discovery, JWKS, a token endpoint that checks client authentication (basic or post, or
//! Apple's ES256 client-secret JWT) and PKCE. The tests play the user: `approve` reads the
//! authorization URL Studio produced and returns the code the provider would redirect with.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::TestDb;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    Rs256,
    Es256,
    /// Signed with a key that is not in the JWKS, under a `kid` that is.
    ForeignKey,
    /// A `kid` the JWKS does not have.
    UnknownKid,
}

/// What the ID token will say; tests change one thing to make it invalid.
#[derive(Debug, Clone)]
pub struct Identity {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub signing: Signing,
    pub nonce: Option<String>,
    pub audience: Option<String>,
    pub expires_in: i64,
}

impl Identity {
    pub fn new(sub: &str, email: &str) -> Self {
        Self {
            sub: sub.into(),
            email: Some(email.into()),
            email_verified: true,
            given_name: Some("Grace".into()),
            family_name: Some("Hopper".into()),
            signing: Signing::Rs256,
            nonce: None,
            audience: None,
            expires_in: 300,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    Basic,
    Post,
    /// `client_secret_post` with Apple's ES256 JWT as the secret.
    AppleJwt,
}

struct Pending {
    identity: Identity,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

struct State {
    issuer: String,
    client_id: String,
    client_secret: String,
    auth: ClientAuth,
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Clone)]
pub struct TestIdp {
    pub issuer: String,
    state: Arc<State>,
}

impl TestIdp {
    pub async fn start(
        db: &TestDb,
        client_id: &str,
        client_secret: &str,
        auth: ClientAuth,
    ) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(State {
            issuer: issuer.clone(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            auth,
            pending: Mutex::new(HashMap::new()),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        db.track(server.handle());
        actix_web::rt::spawn(server);
        Self { issuer, state }
    }

    /// The user approves: returns `(code, state)` as the provider would send them back.
    pub fn approve(&self, authorization_url: &str, identity: Identity) -> (String, String) {
        let url = url::Url::parse(authorization_url).unwrap();
        assert!(
            url.as_str()
                .starts_with(&format!("{}/authorize", self.issuer)),
            "{url}"
        );
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], self.state.client_id);
        assert_eq!(query["code_challenge_method"], "S256");
        assert!(query["scope"].split(' ').any(|s| s == "openid"));
        let code = uuid::Uuid::new_v4().to_string();
        self.state.pending.lock().unwrap().insert(
            code.clone(),
            Pending {
                identity,
                nonce: query["nonce"].clone(),
                challenge: query["code_challenge"].clone(),
                redirect_uri: query["redirect_uri"].clone(),
            },
        );
        (code, query["state"].clone())
    }
}

async fn discovery(state: web::Data<State>) -> HttpResponse {
    let issuer = &state.issuer;
    let methods = match state.auth {
        ClientAuth::Basic => vec!["client_secret_basic"],
        ClientAuth::Post | ClientAuth::AppleJwt => vec!["client_secret_post"],
    };
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": methods,
        "scopes_supported": ["openid", "email", "profile", "name"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(fixture("idp-jwks.json"))
}

fn unauthorized(reason: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .json(json!({"error": "invalid_client", "error_description": reason}))
}

/// Checks how the client authenticated; `None` when it did so correctly.
fn client_refused(
    state: &State,
    req: &HttpRequest,
    form: &HashMap<String, String>,
) -> Option<HttpResponse> {
    match state.auth {
        ClientAuth::Basic => {
            let header = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let decoded = header
                .strip_prefix("Basic ")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let expected = format!("{}:{}", state.client_id, state.client_secret);
            (decoded != expected).then(|| unauthorized("bad client_secret_basic"))
        }
        ClientAuth::Post => {
            let ok = form.get("client_id") == Some(&state.client_id)
                && form.get("client_secret") == Some(&state.client_secret);
            (!ok).then(|| unauthorized("bad client_secret_post"))
        }
        ClientAuth::AppleJwt => {
            let secret = form.get("client_secret").cloned().unwrap_or_default();
            let key = DecodingKey::from_ec_pem(fixture("apple-key.pub.pem").as_bytes()).unwrap();
            let mut validation = Validation::new(Algorithm::ES256);
            validation.set_audience(&[&state.issuer]);
            validation.set_issuer(&["TEAM123456"]);
            validation.sub = Some(state.client_id.clone());
            let ok = jsonwebtoken::decode::<Value>(&secret, &key, &validation).is_ok()
                && form.get("client_id") == Some(&state.client_id);
            (!ok).then(|| unauthorized("bad Apple client secret"))
        }
    }
}

async fn token(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    if let Some(refused) = client_refused(&state, &req, &form) {
        return refused;
    }
    let Some(pending) = form
        .get("code")
        .and_then(|c| state.pending.lock().unwrap().remove(c))
    else {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != pending.challenge || form.get("redirect_uri") != Some(&pending.redirect_uri) {
        return HttpResponse::BadRequest()
            .json(json!({"error": "invalid_grant", "error_description": "PKCE or redirect_uri"}));
    }
    let identity = pending.identity;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": state.issuer,
        "sub": identity.sub,
        "aud": identity.audience.clone().unwrap_or_else(|| state.client_id.clone()),
        "iat": now,
        "exp": now + identity.expires_in,
        "nonce": identity.nonce.clone().unwrap_or(pending.nonce),
        "email": identity.email,
        "email_verified": identity.email_verified,
        "given_name": identity.given_name,
        "family_name": identity.family_name,
    });
    let (algorithm, kid, pem) = match identity.signing {
        Signing::Rs256 => (Algorithm::RS256, "rsa-1", "idp-rsa.pem"),
        Signing::Es256 => (Algorithm::ES256, "ec-1", "idp-ec.pem"),
        Signing::ForeignKey => (Algorithm::RS256, "rsa-1", "attacker-rsa.pem"),
        Signing::UnknownKid => (Algorithm::RS256, "rsa-unknown", "idp-rsa.pem"),
    };
    let key = match algorithm {
        Algorithm::ES256 => EncodingKey::from_ec_pem(fixture(pem).as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(fixture(pem).as_bytes()).unwrap(),
    };
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.into());
    let id_token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    HttpResponse::Ok().json(json!({
        "access_token": "provider-access-token",
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": id_token,
    }))
}
