//! `GET /api/chat/sessions`: keyset pages, newest first, with search.

use chrono::DateTime;

use crate::{
    store::{Cursor, SessionFilter, Store},
    ConversationError, ListSessions, Session, SessionPage,
};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

fn cursor_of(session: &Session) -> String {
    format!(
        "{}_{}",
        session.updated_at.and_utc().timestamp_micros(),
        session.id
    )
}

fn parse_cursor(value: &str) -> Result<Cursor, ConversationError> {
    let bad = || ConversationError::invalid("cursor", "cursor is not one this endpoint returned");
    let (micros, id) = value.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let updated_at = DateTime::from_timestamp_micros(micros)
        .ok_or_else(bad)?
        .naive_utc();
    Ok(Cursor {
        updated_at,
        id: id.to_owned(),
    })
}

/// A case-insensitive `LIKE` pattern matching `q` anywhere, its wildcards escaped.
fn pattern(q: &str) -> String {
    let mut out = String::from("%");
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(super) async fn list(
    store: &Store,
    user_id: &str,
    query: ListSessions,
) -> Result<SessionPage, ConversationError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ConversationError::invalid(
            "limit",
            "limit must be between 1 and 100",
        ));
    }
    let after = query.cursor.as_deref().map(parse_cursor).transpose()?;
    let rows = store
        .sessions(SessionFilter {
            user_id,
            archived: query.archived,
            pattern: query
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(pattern),
            after,
            limit: limit + 1,
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Session> = rows
        .into_iter()
        .take(limit as usize)
        .map(Session::from)
        .collect();
    let next_cursor = more.then(|| items.last().map(cursor_of)).flatten();
    Ok(SessionPage { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards_and_cursors_round_trip() {
        assert_eq!(pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
        let cursor = parse_cursor("1764547200000000_abc").unwrap();
        assert_eq!(cursor.id, "abc");
        assert!(parse_cursor("nope").is_err());
    }
}
