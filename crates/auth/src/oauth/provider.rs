//! One configured provider: its discovered metadata and keys (cached, refreshed when an ID
//! token names a key we do not have), the authorization URL, and the code exchange.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use super::config::{OAuthKind, OAuthProviderConfig};
use openidconnect::{
    core::{
        CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreIdTokenClaims,
        CoreJwsSigningAlgorithm, CoreProviderMetadata,
    },
    AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError,
};
use tokio::sync::Mutex;

use super::{apple, http, OAuthError};

/// Providers rotate keys rarely; a day-old copy is refreshed anyway.
const METADATA_TTL: Duration = Duration::from_secs(24 * 60 * 60);

pub struct Provider {
    pub config: OAuthProviderConfig,
    metadata: Mutex<Option<(Arc<CoreProviderMetadata>, Instant)>>,
    apple_secret: std::sync::Mutex<Option<(String, i64)>>,
}

/// What the authorization redirect needs remembered until the callback.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The verified identity from an ID token.
pub struct VerifiedIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

impl Provider {
    pub fn new(config: OAuthProviderConfig) -> Self {
        Self {
            config,
            metadata: Mutex::new(None),
            apple_secret: std::sync::Mutex::new(None),
        }
    }

    async fn metadata(&self, refresh: bool) -> Result<Arc<CoreProviderMetadata>, OAuthError> {
        let mut cached = self.metadata.lock().await;
        if let Some((metadata, fetched)) = cached.as_ref() {
            if !refresh && fetched.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| OAuthError::Provider(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http::send)
            .await
            .map_err(|e| OAuthError::Provider(format!("discovery failed: {e}")))?;
        let metadata = Arc::new(metadata);
        *cached = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    fn secret(&self) -> Result<Option<ClientSecret>, OAuthError> {
        let Some(signing) = &self.config.apple else {
            return Ok(self.config.client_secret.clone().map(ClientSecret::new));
        };
        let now = chrono::Utc::now().timestamp();
        let mut cached = self
            .apple_secret
            .lock()
            .map_err(|_| OAuthError::Internal("lock poisoned".into()))?;
        // Reuse the signed secret until a day before it expires.
        if let Some((secret, signed_at)) = cached.as_ref() {
            if now - signed_at < apple::LIFETIME_SECS - 24 * 60 * 60 {
                return Ok(Some(ClientSecret::new(secret.clone())));
            }
        }
        let secret =
            apple::client_secret(signing, &self.config.client_id, &self.config.issuer, now)?;
        *cached = Some((secret.clone(), now));
        Ok(Some(ClientSecret::new(secret)))
    }

    fn auth_type(&self, metadata: &CoreProviderMetadata) -> AuthType {
        if self.config.kind == OAuthKind::Apple {
            return AuthType::RequestBody;
        }
        match metadata.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        }
    }

    pub async fn authorize(&self, redirect_uri: &str) -> Result<Authorization, OAuthError> {
        let metadata = self.metadata(false).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OAuthError::Internal(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(self.config.client_id.clone()),
            None,
        )
        .set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        request = match self.config.kind {
            OAuthKind::Apple => request
                .add_scope(Scope::new("name".into()))
                .add_scope(Scope::new("email".into()))
                .add_extra_param("response_mode", "form_post"),
            _ => request
                .add_scope(Scope::new("email".into()))
                .add_scope(Scope::new("profile".into())),
        };
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Trades the code for tokens and verifies the ID token (signature, iss, aud, exp, nonce).
    pub async fn exchange(
        &self,
        code: &str,
        pkce_verifier: &str,
        redirect_uri: &str,
        nonce: &str,
    ) -> Result<VerifiedIdentity, OAuthError> {
        let metadata = self.metadata(false).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OAuthError::Internal(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(self.config.client_id.clone()),
            self.secret()?,
        )
        .set_redirect_uri(redirect)
        .set_auth_type(self.auth_type(&metadata));
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OAuthError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http::send)
            .await
            .map_err(|e| OAuthError::Provider(format!("token request failed: {e}")))?;
        let id_token = openidconnect::TokenResponse::id_token(&response).ok_or_else(|| {
            OAuthError::InvalidIdToken("the token response has no id_token".into())
        })?;
        let nonce = Nonce::new(nonce.to_owned());
        let verify =
            |metadata: &CoreProviderMetadata| -> Result<VerifiedIdentity, ClaimsVerificationError> {
                let client = CoreClient::from_provider_metadata(
                    metadata.clone(),
                    ClientId::new(self.config.client_id.clone()),
                    None,
                );
                let verifier = client.id_token_verifier().set_allowed_algs([
                    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
                    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
                ]);
                id_token.claims(&verifier, &nonce).map(identity)
            };
        match verify(&metadata) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys: fetch them again, once.
                let fresh = self.metadata(true).await?;
                verify(&fresh).map_err(|e| OAuthError::InvalidIdToken(e.to_string()))
            }
            other => other.map_err(|e| OAuthError::InvalidIdToken(e.to_string())),
        }
    }
}

fn identity(claims: &CoreIdTokenClaims) -> VerifiedIdentity {
    VerifiedIdentity {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().trim().to_lowercase()),
        email_verified: claims.email_verified().unwrap_or(false),
        given_name: claims
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
        family_name: claims
            .family_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
    }
}
