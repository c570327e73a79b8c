use studio_core::DbError;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("unknown sign-in provider")]
    UnknownProvider,
    #[error("redirectTo must be a relative path on the frontend, like /chat")]
    InvalidRedirect,
    #[error("the sign-in has expired or was already used; start again")]
    InvalidState,
    #[error("the sign-in was started in another browser")]
    BrowserMismatch,
    #[error("the provider refused the sign-in: {0}")]
    ProviderDenied(String),
    #[error("the provider could not be reached or answered badly: {0}")]
    Provider(String),
    #[error("the provider's ID token is not valid: {0}")]
    InvalidIdToken(String),
    #[error("the provider did not give an email address")]
    EmailRequired,
    #[error("an account with this email exists; sign in with it first to link this provider")]
    UnverifiedEmail,
    #[error("the code is invalid, expired or already used")]
    InvalidCode,
    #[error("this is your only way to sign in; set a password first")]
    LastSignInMethod,
    #[error("not found")]
    NotFound,
    #[error("this account is disabled; contact the operators of this Studio")]
    AccountDisabled,
    #[error("too many sign-ins started; retry in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl OAuthError {
    /// The `error` the frontend receives in its callback URL.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::UnknownProvider => "unknown_provider",
            OAuthError::InvalidRedirect => "invalid_redirect",
            OAuthError::InvalidState => "invalid_state",
            OAuthError::BrowserMismatch => "browser_mismatch",
            OAuthError::ProviderDenied(_) => "access_denied",
            OAuthError::Provider(_) => "provider_error",
            OAuthError::InvalidIdToken(_) => "invalid_id_token",
            OAuthError::EmailRequired => "email_required",
            OAuthError::UnverifiedEmail => "account_exists",
            OAuthError::InvalidCode => "invalid_code",
            OAuthError::LastSignInMethod => "last_sign_in_method",
            OAuthError::NotFound => "not_found",
            OAuthError::AccountDisabled => "account_disabled",
            OAuthError::RateLimited { .. } => "rate_limited",
            OAuthError::Database(_) | OAuthError::Internal(_) => "server_error",
        }
    }
}
