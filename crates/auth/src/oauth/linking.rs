//! Which Studio account a provider identity signs in to.
//!
//! A known identity signs in to its account. A new identity whose *verified* email matches an
//! account whose email is verified too is linked to it. If the matching account's email was
//! never verified, whoever made it never proved the address, and the provider sign-in just
//! did: the account is handed over to the provider's user. Its password is removed, every
//! session, API key and other linked identity of it is revoked, and the event is logged (the
//! new owner can set a password through reset). Without that, anyone could register someone
//! else's address with a password and read everything the real owner does after signing in
//! with Google ("pre-account takeover"). An unverified provider email never links to an
//! existing account. A new email gets a new account with no password.

use async_trait::async_trait;
use studio_core::{ids::new_id, time::now};

use super::{
    provider::VerifiedIdentity,
    store::{IdentityRow, OAuthStore},
    types::Linked,
    OAuthError,
};
use crate::{
    store::{Store, UserRow},
    AuthService,
};

/// Revokes what other crates hold for an account (API keys) when it is handed over; the
/// gateway wires it to the API key service.
#[async_trait]
pub trait AccountCredentials: Send + Sync {
    async fn revoke_all(&self, user_id: &str) -> Result<usize, String>;
}

/// What linking needs besides the identity: the accounts, and what to revoke on a hand-over.
pub struct Linker<'a> {
    pub users: &'a Store,
    pub oauth: &'a OAuthStore,
    pub auth: &'a dyn AuthService,
    pub credentials: &'a dyn AccountCredentials,
}

/// Names Apple sends once, on the first authorization, in the `user` form field.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppleUser {
    #[serde(default)]
    pub name: Option<AppleName>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppleName {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Linker<'_> {
    pub async fn account_for(
        &self,
        provider: &str,
        identity: VerifiedIdentity,
        apple_user: Option<AppleUser>,
    ) -> Result<(String, Linked), OAuthError> {
        if let Some(known) = self.oauth.identity(provider, &identity.subject).await? {
            return Ok((known.user_id, Linked::Known));
        }
        let email = identity.email.clone().ok_or(OAuthError::EmailRequired)?;
        let (user_id, linked) = match self.users.user_by_email(&email).await? {
            Some(existing) if identity.email_verified && existing.email_verified => {
                (existing.id, Linked::Linked)
            }
            Some(existing) if identity.email_verified => {
                self.hand_over(&existing.id, provider).await?;
                (existing.id, Linked::TakenOver)
            }
            Some(_) => return Err(OAuthError::UnverifiedEmail),
            None => {
                let name = apple_user.and_then(|u| u.name).unwrap_or_default();
                let created_at = now();
                let user = UserRow {
                    id: new_id(),
                    email: email.clone(),
                    password_hash: None,
                    first_name: name.first_name.or(identity.given_name).unwrap_or_default(),
                    last_name: name.last_name.or(identity.family_name).unwrap_or_default(),
                    avatar_url: None,
                    created_at,
                    updated_at: created_at,
                    email_verified: identity.email_verified,
                    role: crate::Role::User.as_str().to_owned(),
                    disabled_at: None,
                };
                self.users.insert_user(&user).await?;
                (user.id, Linked::Created)
            }
        };
        self.oauth
            .insert_identity(&IdentityRow {
                id: new_id(),
                user_id: user_id.clone(),
                provider: provider.to_owned(),
                subject: identity.subject,
                email: Some(email),
                created_at: now(),
            })
            .await?;
        Ok((user_id, linked))
    }

    async fn hand_over(&self, user_id: &str, provider: &str) -> Result<(), OAuthError> {
        let internal = |e: String| OAuthError::Internal(e);
        self.auth
            .hand_over(user_id)
            .await
            .map_err(|e| internal(e.to_string()))?;
        let identities = self.oauth.delete_identities(user_id).await?;
        let keys = self
            .credentials
            .revoke_all(user_id)
            .await
            .map_err(internal)?;
        tracing::warn!(
            user = user_id,
            provider,
            identities,
            keys,
            "unverified account taken over by a verified provider identity: password removed, \
             sessions, API keys and other identities revoked"
        );
        Ok(())
    }
}
