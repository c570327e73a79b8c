//! Proving an address: verification links, and password reset by mail.
//!
//! Tokens are 256 random bits, mailed once, stored as SHA-256 digests, single use, and expire
//! (24 hours for verification, 1 hour for reset). A reset sets the password, counts as proof
//! of the address, and ends every session of the account.

use std::sync::Arc;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Duration;
use studio_core::{secrets::random_bytes, time::now};

use crate::{
    auth::Auth,
    mail::{Mail, Mailer},
    refresh::digest,
    store::{EmailTokenRow, Purpose, Store, UserRow},
    tokens::AccessClaims,
    types::*,
    validation::{check_password, normalize_email},
    AuthError,
};

const VERIFY_LIFETIME: Duration = Duration::hours(24);
const RESET_LIFETIME: Duration = Duration::hours(1);

async fn mail_token(store: &Store, user: &UserRow, purpose: Purpose) -> Result<String, AuthError> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes(32));
    let created_at = now();
    let lifetime = match purpose {
        Purpose::Verify => VERIFY_LIFETIME,
        Purpose::Reset => RESET_LIFETIME,
    };
    store
        .insert_email_token(&EmailTokenRow {
            token_hash: digest(&token),
            user_id: user.id.clone(),
            purpose: purpose.as_str().to_owned(),
            email: user.email.clone(),
            created_at,
            expires_at: created_at + lifetime,
            used_at: None,
        })
        .await?;
    Ok(token)
}

/// Looks the address up and mails a reset link if it has an account (run in the background).
async fn mail_reset(
    store: Arc<Store>,
    mailer: Arc<Mailer>,
    email: String,
) -> Result<(), AuthError> {
    let Some(user) = store.user_by_email(&email).await? else {
        tracing::info!("password reset asked for an address with no account");
        return Ok(());
    };
    let token = mail_token(&store, &user, Purpose::Reset).await?;
    let link = mailer.link("reset-password", &token);
    mailer.send_later(Mail {
        to: user.email.clone(),
        subject: "Reset your Studio password",
        text: format!(
            "Choose a new password by opening this link within an hour:\r\n\r\n{link}\r\n\r\n\
             If you did not ask for this, ignore this mail; your password stays as it is.\r\n"
        ),
    });
    Ok(())
}

impl Auth {
    pub(crate) async fn mail_verification(&self, user: &UserRow) -> Result<(), AuthError> {
        let token = mail_token(&self.store, user, Purpose::Verify).await?;
        let link = self.mailer.link("verify-email", &token);
        self.mailer.send_later(Mail {
            to: user.email.clone(),
            subject: "Confirm your email address for Studio",
            text: format!(
                "Confirm that this address is yours by opening this link within 24 hours:\r\n\r\n\
                 {link}\r\n\r\nIf you did not create a Studio account, ignore this mail.\r\n"
            ),
        });
        Ok(())
    }

    pub(crate) async fn confirm_email(&self, token: &str) -> Result<User, AuthError> {
        let row = self
            .store
            .take_email_token(&digest(token), Purpose::Verify, now())
            .await?
            .ok_or(AuthError::InvalidEmailToken)?;
        // The address may have changed since the link was mailed: then it proves nothing.
        if !self
            .store
            .mark_verified(&row.user_id, &row.email, now())
            .await?
        {
            return Err(AuthError::InvalidEmailToken);
        }
        Ok(self.existing_user(&row.user_id).await?.into())
    }

    pub(crate) async fn resend(&self, caller: &AccessClaims) -> Result<(), AuthError> {
        self.limits.attempt("resend", &[&caller.sub])?;
        let user = self.existing_user(&caller.sub).await?;
        if user.email_verified {
            return Err(AuthError::AlreadyVerified);
        }
        self.mail_verification(&user).await
    }

    /// Always answers the same way, at once: the lookup and the mail happen in the background.
    pub(crate) fn forgot(&self, email: &str, client: &ClientInfo) -> Result<(), AuthError> {
        let network = crate::limits::network_of(client.ip.as_deref());
        self.limits.attempt("forgot", &[&network])?;
        let Ok(email) = normalize_email(email) else {
            return Ok(());
        };
        // Per address, silently: a stranger must not be able to fill someone's mailbox.
        if self.limits.attempt("forgot-address", &[&email]).is_err() {
            return Ok(());
        }
        let (store, mailer) = (self.store.clone(), self.mailer.clone());
        tokio::spawn(async move {
            if let Err(error) = mail_reset(store, mailer, email).await {
                tracing::error!(%error, "cannot prepare a password reset mail");
            }
        });
        Ok(())
    }

    /// Returns the account whose password was reset.
    pub(crate) async fn reset(&self, token: &str, password: String) -> Result<String, AuthError> {
        check_password("password", &password)?;
        let row = self
            .store
            .take_email_token(&digest(token), Purpose::Reset, now())
            .await?
            .ok_or(AuthError::InvalidEmailToken)?;
        let hash = self.hashing.hash(password).await?;
        self.store.set_password(&row.user_id, &hash, now()).await?;
        self.store
            .mark_verified(&row.user_id, &row.email, now())
            .await?;
        self.store
            .spend_email_tokens(&row.user_id, Purpose::Reset, now())
            .await?;
        tracing::info!(user = %row.user_id, "password reset by mail; every session ended");
        self.end_sessions(&row.user_id, None).await?;
        Ok(row.user_id)
    }

    /// A verified provider identity proved the address of an account nobody had verified: the
    /// password someone set on it goes, and so does every session.
    pub(crate) async fn hand_over_account(&self, user_id: &str) -> Result<(), AuthError> {
        self.store
            .remove_password_and_verify(user_id, now())
            .await?;
        self.store
            .spend_email_tokens(user_id, Purpose::Reset, now())
            .await?;
        self.end_sessions(user_id, None).await
    }
}
