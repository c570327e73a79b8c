use serde::Deserialize;

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
pub enum ChatError {
    /// The request is not something Studio can forward; `param` names the field.
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
    /// No upstream could be reached or all answered 5xx.
    #[error("{0}")]
    BadGateway(String),
    /// The upstream took longer than one of its timeouts; the message says which.
    #[error("{0}")]
    Timeout(String),
    /// A rate limit, stream limit or budget says no; nothing reached the upstream.
    #[error("{}", .0.message)]
    Limited(Box<studio_limits::Refusal>),
}

impl ChatError {
    /// The HTTP status this error answers with, and records in usage: the one place it is
    /// decided.
    pub fn status(&self) -> u16 {
        match self {
            ChatError::InvalidRequest { .. } => 400,
            ChatError::ModelNotFound(_) => 404,
            ChatError::Upstream { status, .. } => *status,
            ChatError::BadGateway(_) => 502,
            ChatError::Timeout(_) => 504,
            ChatError::Limited(_) => 429,
        }
    }

    pub(crate) fn invalid(param: &str, message: impl Into<String>) -> Self {
        ChatError::InvalidRequest {
            param: Some(param.to_owned()),
            message: message.into(),
        }
    }
}
