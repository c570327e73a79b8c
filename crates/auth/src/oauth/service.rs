//! The OAuth service the gateway calls. Its futures hold awc requests, which are not `Send`;
//! they run on the worker that received the request.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Duration;
use studio_core::{secrets::random_bytes, time::now, DbPool};

use super::config::OAuthProviderConfig;

use super::{
    linking::{AccountCredentials, AppleUser, Linker},
    provider::Provider,
    store::{CodeRow, FlowRow, OAuthStore},
    types::*,
    OAuthError,
};
use crate::{refresh::digest, store::Store, AuthResponse, AuthService, ClientInfo};

const FLOW_LIFETIME_MINUTES: i64 = 10;
const CODE_LIFETIME_SECS: i64 = 60;

#[async_trait(?Send)]
pub trait OAuthService: Send + Sync {
    fn providers(&self) -> Vec<ProviderInfo>;
    /// Begins a sign-in; `redirect_uri` is Studio's callback URL for this provider.
    async fn start(
        &self,
        provider: &str,
        redirect_to: Option<&str>,
        redirect_uri: &str,
        client: &ClientInfo,
    ) -> Result<StartedFlow, OAuthError>;
    /// Finishes it: checks state and browser, verifies the identity, returns a one-time code.
    async fn callback(
        &self,
        provider: &str,
        params: CallbackParams,
        browser_binding: Option<&str>,
    ) -> Result<CallbackOutcome, OAuthError>;
    async fn exchange(&self, code: &str, client: ClientInfo) -> Result<AuthResponse, OAuthError>;
    async fn identities(&self, user_id: &str) -> Result<Vec<IdentityInfo>, OAuthError>;
    async fn unlink(&self, user_id: &str, identity_id: &str) -> Result<(), OAuthError>;
}

pub struct OAuth {
    providers: HashMap<String, Provider>,
    order: Vec<String>,
    users: Store,
    store: OAuthStore,
    auth: Arc<dyn AuthService>,
    credentials: Arc<dyn AccountCredentials>,
}

impl OAuth {
    pub fn new(
        pool: DbPool,
        providers: Vec<OAuthProviderConfig>,
        auth: Arc<dyn AuthService>,
        credentials: Arc<dyn AccountCredentials>,
    ) -> Self {
        let order = providers.iter().map(|p| p.id.clone()).collect();
        Self {
            providers: providers
                .into_iter()
                .map(|p| (p.id.clone(), Provider::new(p)))
                .collect(),
            order,
            users: Store::new(pool.clone()),
            store: OAuthStore::new(pool),
            auth,
            credentials,
        }
    }

    fn provider(&self, id: &str) -> Result<&Provider, OAuthError> {
        self.providers.get(id).ok_or(OAuthError::UnknownProvider)
    }
}

/// Only a path on the frontend: no scheme, no host, no protocol-relative `//evil.com`.
fn safe_redirect(redirect_to: Option<&str>) -> Result<String, OAuthError> {
    let target = redirect_to.unwrap_or("/");
    let safe = target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(char::is_control)
        && target.len() <= 2048;
    if safe {
        Ok(target.to_owned())
    } else {
        Err(OAuthError::InvalidRedirect)
    }
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(32))
}

#[async_trait(?Send)]
impl OAuthService for OAuth {
    fn providers(&self) -> Vec<ProviderInfo> {
        self.order
            .iter()
            .filter_map(|id| self.providers.get(id))
            .map(|p| ProviderInfo {
                id: p.config.id.clone(),
                name: p.config.name.clone(),
                kind: p.config.kind.as_str(),
            })
            .collect()
    }

    async fn start(
        &self,
        provider: &str,
        redirect_to: Option<&str>,
        redirect_uri: &str,
        client: &ClientInfo,
    ) -> Result<StartedFlow, OAuthError> {
        let provider = self.provider(provider)?;
        if let Err(crate::AuthError::RateLimited { retry_after_secs }) =
            self.auth.throttle(crate::Throttled::OAuthStart, client)
        {
            return Err(OAuthError::RateLimited { retry_after_secs });
        }
        let redirect_to = safe_redirect(redirect_to)?;
        let authorization = provider.authorize(redirect_uri).await?;
        let browser_binding = random_token();
        let flow = FlowRow {
            state_hash: digest(&authorization.state),
            provider: provider.config.id.clone(),
            nonce: authorization.nonce,
            pkce_verifier: authorization.pkce_verifier,
            redirect_uri: redirect_uri.to_owned(),
            redirect_to,
            browser_hash: digest(&browser_binding),
            expires_at: now() + Duration::minutes(FLOW_LIFETIME_MINUTES),
        };
        self.store.insert_flow(&flow, now()).await?;
        Ok(StartedFlow {
            authorization_url: authorization.url,
            browser_binding,
        })
    }

    async fn callback(
        &self,
        provider_id: &str,
        params: CallbackParams,
        browser_binding: Option<&str>,
    ) -> Result<CallbackOutcome, OAuthError> {
        let provider = self.provider(provider_id)?;
        let state = params.state.as_deref().ok_or(OAuthError::InvalidState)?;
        let flow = self
            .store
            .take_flow(&digest(state))
            .await?
            .ok_or(OAuthError::InvalidState)?;
        if flow.provider != provider_id || flow.expires_at <= now() {
            return Err(OAuthError::InvalidState);
        }
        if browser_binding.map(digest).as_deref() != Some(flow.browser_hash.as_str()) {
            return Err(OAuthError::BrowserMismatch);
        }
        if let Some(error) = params.error {
            return Err(OAuthError::ProviderDenied(error));
        }
        let code = params.code.ok_or(OAuthError::InvalidState)?;
        let identity = provider
            .exchange(&code, &flow.pkce_verifier, &flow.redirect_uri, &flow.nonce)
            .await?;
        let apple_user = params
            .user
            .and_then(|u| serde_json::from_str::<AppleUser>(&u).ok());
        let linker = Linker {
            users: &self.users,
            oauth: &self.store,
            auth: self.auth.as_ref(),
            credentials: self.credentials.as_ref(),
        };
        let (user_id, linked) = linker
            .account_for(provider_id, identity, apple_user)
            .await?;
        let one_time = random_token();
        self.store
            .insert_code(
                &CodeRow {
                    code_hash: digest(&one_time),
                    user_id: user_id.clone(),
                    expires_at: now() + Duration::seconds(CODE_LIFETIME_SECS),
                },
                now(),
            )
            .await?;
        Ok(CallbackOutcome {
            code: one_time,
            redirect_to: flow.redirect_to,
            user_id,
            linked,
        })
    }

    async fn exchange(&self, code: &str, client: ClientInfo) -> Result<AuthResponse, OAuthError> {
        let row = self
            .store
            .take_code(&digest(code))
            .await?
            .ok_or(OAuthError::InvalidCode)?;
        if row.expires_at <= now() {
            return Err(OAuthError::InvalidCode);
        }
        self.auth
            .sign_in(&row.user_id, client)
            .await
            .map_err(|e| match e {
                crate::AuthError::Database(db) => OAuthError::Database(db),
                crate::AuthError::AccountDisabled => OAuthError::AccountDisabled,
                other => OAuthError::Internal(other.to_string()),
            })
    }

    async fn identities(&self, user_id: &str) -> Result<Vec<IdentityInfo>, OAuthError> {
        Ok(self
            .store
            .identities(user_id)
            .await?
            .into_iter()
            .map(|row| IdentityInfo {
                id: row.id,
                provider: row.provider,
                email: row.email,
                created_at: row.created_at,
            })
            .collect())
    }

    async fn unlink(&self, user_id: &str, identity_id: &str) -> Result<(), OAuthError> {
        let identities = self.store.identities(user_id).await?;
        if !identities.iter().any(|i| i.id == identity_id) {
            return Err(OAuthError::NotFound);
        }
        if identities.len() == 1 && !self.store.has_password(user_id).await? {
            return Err(OAuthError::LastSignInMethod);
        }
        if self.store.delete_identity(user_id, identity_id).await? {
            Ok(())
        } else {
            Err(OAuthError::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_are_accepted_as_redirects() {
        assert_eq!(safe_redirect(None).unwrap(), "/");
        assert_eq!(safe_redirect(Some("/chat?x=1")).unwrap(), "/chat?x=1");
        for bad in [
            "https://evil.com",
            "//evil.com",
            "/\\evil.com",
            "evil",
            "javascript:alert(1)",
        ] {
            assert!(safe_redirect(Some(bad)).is_err(), "{bad}");
        }
    }
}
