//! Timestamps are stored as UTC `NaiveDateTime` (portable across SQLite and PostgreSQL).

use chrono::{DateTime, NaiveDateTime, Utc};

/// Now, in UTC, truncated to microseconds so a value survives a round trip through either database.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    let micros = now.and_utc().timestamp_micros();
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.naive_utc())
        .unwrap_or(now)
}

/// Renders a stored timestamp for JSON as RFC 3339 with a `Z`.
pub fn to_rfc3339(value: &NaiveDateTime) -> String {
    value
        .and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Serde helpers so API types can keep `NaiveDateTime` fields and still emit RFC 3339 UTC.
pub mod serde_utc {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(value: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_rfc3339(value))
    }

    pub mod option {
        use chrono::NaiveDateTime;
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            value: &Option<NaiveDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => s.serialize_str(&super::super::to_rfc3339(v)),
                None => s.serialize_none(),
            }
        }
    }
}
