//! Which Studio account a provider identity signs in to.
//!
//! A known identity signs in to its account. A new identity whose *verified* email matches an
//! account is linked to it. An unverified email never links to an existing account (that
//! would let anyone who can claim an address at some provider take the account over). A new
//! email gets a new account with no password.

use studio_core::{ids::new_id, time::now};

use super::{
    provider::VerifiedIdentity,
    store::{IdentityRow, OAuthStore},
    OAuthError,
};
use crate::store::{Store, UserRow};

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

pub async fn account_for(
    users: &Store,
    oauth: &OAuthStore,
    provider: &str,
    identity: VerifiedIdentity,
    apple_user: Option<AppleUser>,
) -> Result<String, OAuthError> {
    if let Some(known) = oauth.identity(provider, &identity.subject).await? {
        return Ok(known.user_id);
    }
    let email = identity.email.clone().ok_or(OAuthError::EmailRequired)?;
    let user_id = match users.user_by_email(&email).await? {
        Some(existing) if identity.email_verified => existing.id,
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
            };
            users.insert_user(&user).await?;
            user.id
        }
    };
    oauth
        .insert_identity(&IdentityRow {
            id: new_id(),
            user_id: user_id.clone(),
            provider: provider.to_owned(),
            subject: identity.subject,
            email: Some(email),
            created_at: now(),
        })
        .await?;
    Ok(user_id)
}
