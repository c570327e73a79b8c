use studio_core::DbError;

/// What can go wrong in accounts and sessions; each variant is something a caller acts on.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("email or password is incorrect")]
    InvalidCredentials,
    #[error("the current password is incorrect")]
    WrongCurrentPassword,
    #[error("missing bearer token")]
    MissingToken,
    #[error("the access token is invalid or expired")]
    InvalidToken,
    #[error("the refresh token is invalid, expired or already used")]
    InvalidRefreshToken,
    #[error("not found")]
    NotFound,
    #[error("too many attempts; retry in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("the account's address is already verified")]
    AlreadyVerified,
    #[error("the link is invalid, expired or already used")]
    InvalidEmailToken,
    #[error("this account is disabled; contact the operators of this Studio")]
    AccountDisabled,
    #[error("this would leave no enabled admin; promote another admin first")]
    LastAdmin,
    #[error("too many sign-ins at once; retry in a second")]
    Busy,
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AuthError {
    pub(crate) fn field(field: &'static str, message: impl Into<String>) -> Self {
        AuthError::InvalidField {
            field,
            message: message.into(),
        }
    }
}
