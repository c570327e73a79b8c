//! Mail to an account's address (verification and reset links), over SMTP with lettre.
//!
//! Mail is sent in the background, so an answer never waits on the mail server and takes the
//! same time whether or not a mail went out (`forgot` must not reveal which addresses have
//! accounts). With no SMTP server configured, the mail is written to the log instead: with its
//! link in development, without it in production (a reset link in a log is a password).

use std::{sync::Arc, time::Duration};

use lettre::{
    message::{header::ContentType, Body, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::AuthError;

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host:port` (plain or STARTTLS with `?tls=required`) or `smtps://user:pass@host`.
    pub smtp_url: Option<String>,
    pub from: String,
    pub frontend_url: String,
    /// Whether logged mail may include its link (not in production).
    pub log_links: bool,
}

pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    frontend_url: String,
    log_links: bool,
}

pub struct Mail {
    pub to: String,
    pub subject: &'static str,
    pub text: String,
}

impl Mailer {
    pub fn new(settings: MailSettings) -> Result<Self, AuthError> {
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| AuthError::Internal(format!("EMAIL_FROM: {e}")))?;
        let transport = match &settings.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| AuthError::Internal(format!("EMAIL_SMTP_URL: {e}")))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        Ok(Self {
            transport,
            from,
            frontend_url: settings.frontend_url,
            log_links: settings.log_links,
        })
    }

    /// `FRONTEND_URL/<page>?token=<token>`.
    pub fn link(&self, page: &str, token: &str) -> String {
        format!("{}/{page}?token={token}", self.frontend_url)
    }

    /// Sends `mail` from a background task; failures are logged, never returned.
    pub fn send_later(self: &Arc<Self>, mail: Mail) {
        let mailer = self.clone();
        tokio::spawn(async move { mailer.send(mail).await });
    }

    async fn send(&self, mail: Mail) {
        let Some(transport) = &self.transport else {
            if self.log_links {
                tracing::info!(to = %mail.to, subject = mail.subject, text = %mail.text,
                    "no EMAIL_SMTP_URL: mail written to the log");
            } else {
                tracing::warn!(to = %mail.to, subject = mail.subject,
                    "no EMAIL_SMTP_URL: mail not sent");
            }
            return;
        };
        let message = match self.message(&mail) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(to = %mail.to, %error, "cannot build mail");
                return;
            }
        };
        match transport.send(message).await {
            Ok(_) => tracing::info!(to = %mail.to, subject = mail.subject, "mail sent"),
            Err(error) => tracing::error!(to = %mail.to, %error, "sending mail failed"),
        }
    }

    fn message(&self, mail: &Mail) -> Result<Message, String> {
        // lettre picks the transfer encoding (quoted-printable for lines as long as a link).
        let body = Body::new(mail.text.clone());
        Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse::<Mailbox>().map_err(|e| e.to_string())?)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }
}
