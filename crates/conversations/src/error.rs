use studio_core::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    /// The session or message does not exist or belongs to someone else.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the session is archived; unarchive it to send messages")]
    Archived,
    #[error("the model '{0}' does not exist")]
    UnknownModel(String),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl ConversationError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ConversationError::InvalidField {
            field,
            message: message.into(),
        }
    }
}
