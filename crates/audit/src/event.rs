//! One audit event, as stored and as shown (camelCase).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use studio_core::{ids::new_id, schema::audit_events, time::now, time::serde_utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Refused: bad credentials, a missing role, a rule such as the last admin.
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Refused => "refused",
        }
    }
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema,
)]
#[diesel(table_name = audit_events)]
#[diesel(treat_none_as_default_value = false)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: String,
    #[serde(with = "serde_utc")]
    pub created_at: NaiveDateTime,
    /// What happened, `area.verb`: `auth.sign_in`, `admin.user.disable`, …
    pub action: String,
    /// `succeeded` or `refused`.
    pub outcome: String,
    /// Who did it (`null`: nobody signed in, such as a failed sign-in).
    #[schema(required = true)]
    pub actor_id: Option<String>,
    /// Whom it was done to (an account id).
    #[schema(required = true)]
    pub subject_id: Option<String>,
    #[schema(required = true)]
    pub ip_address: Option<String>,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// A little context as JSON text (never a password or a secret).
    #[schema(required = true)]
    pub details: Option<String>,
}

impl AuditEvent {
    pub fn new(action: &str, outcome: Outcome) -> Self {
        Self {
            id: new_id(),
            created_at: now(),
            action: action.to_owned(),
            outcome: outcome.as_str().to_owned(),
            actor_id: None,
            subject_id: None,
            ip_address: None,
            user_agent: None,
            request_id: None,
            details: None,
        }
    }

    pub fn actor(mut self, id: Option<&str>) -> Self {
        self.actor_id = id.map(str::to_owned);
        self
    }

    pub fn subject(mut self, id: Option<&str>) -> Self {
        self.subject_id = id.map(str::to_owned);
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details.to_string());
        self
    }
}

/// What `GET /api/admin/audit` filters on.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub subject_id: Option<String>,
    /// An exact action, or a prefix ending in `.` (`admin.`).
    pub action: Option<String>,
    /// Events whose actor or subject this account is (a user's own activity).
    pub involving: Option<String>,
}
