use serde::Deserialize;
use studio_core::DbError;

// mirrors studio-chat's UpstreamErrorBody; to be shared
/// An upstream's own OpenAI error, passed on to the client as it was.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpstreamErrorBody {
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub param: Option<String>,
    pub code: Option<serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The request is not something Studio can generate; `param` names the field.
    #[error("{message}")]
    InvalidRequest {
        param: Option<String>,
        message: String,
    },
    #[error("The model '{0}' does not exist or you do not have access to it.")]
    ModelNotFound(String),
    /// The upstream answered 4xx (or 429); the status and its error are passed on.
    #[error("upstream refused the request with status {status}")]
    Upstream {
        status: u16,
        error: Box<UpstreamErrorBody>,
        retry_after: Option<String>,
    },
    /// No upstream could be reached, all answered 5xx, or one answered something that is not
    /// an image Studio accepts.
    #[error("{0}")]
    BadGateway(String),
    #[error("the model did not answer within {0} seconds")]
    Timeout(u64),
    /// Media storage (disk, S3) failed: nothing was kept.
    #[error("image storage is unavailable; try again later")]
    Storage(String),
    #[error("image not found")]
    NotFound,
    /// A media URL whose signature is wrong, foreign or expired.
    #[error("this image link is invalid or has expired")]
    Forbidden,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl ImageError {
    pub(crate) fn invalid(param: &str, message: impl Into<String>) -> Self {
        ImageError::InvalidRequest {
            param: Some(param.to_owned()),
            message: message.into(),
        }
    }

    /// The status recorded in usage (and answered by the gateway).
    pub fn status(&self) -> u16 {
        match self {
            ImageError::InvalidRequest { .. } => 400,
            ImageError::ModelNotFound(_) | ImageError::NotFound => 404,
            ImageError::Forbidden => 403,
            ImageError::Upstream { status, .. } => *status,
            ImageError::BadGateway(_) => 502,
            ImageError::Timeout(_) => 504,
            ImageError::Storage(_) | ImageError::Database(_) => 503,
        }
    }
}
