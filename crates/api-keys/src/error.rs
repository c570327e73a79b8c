use studio_core::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("API key not found")]
    NotFound,
    #[error("you already have {limit} active API keys; revoke one first")]
    TooManyKeys { limit: u32 },
    #[error("incorrect API key provided")]
    InvalidKey,
    #[error(transparent)]
    Database(#[from] DbError),
}
