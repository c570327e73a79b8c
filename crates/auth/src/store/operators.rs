//! What operators change on the users table: roles, the disabled switch, listing, deletion.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use studio_core::{db_run, schema::users, DbError, PageRequest};

use super::{Store, UserRow};
use crate::Role;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// What `GET /api/admin/users` filters on.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// A substring of the email, first or last name (case-insensitive).
    pub q: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// `text` as a LIKE pattern matching it anywhere, its wildcards taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    pub async fn set_role(&self, id: &str, role: Role, now: NaiveDateTime) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| diesel::update(users::table.find(id))
            .set((users::role.eq(role.as_str()), users::updated_at.eq(now)))
            .execute(conn)
            .await)
        .map(drop)
    }

    /// Disables (keeping the first time it was disabled) or enables the account.
    pub async fn set_disabled(
        &self,
        id: &str,
        disabled: bool,
        now: NaiveDateTime,
    ) -> Result<(), DbError> {
        db_run!(&self.pool, |conn| {
            if disabled {
                diesel::update(users::table.find(id).filter(users::disabled_at.is_null()))
                    .set((users::disabled_at.eq(now), users::updated_at.eq(now)))
                    .execute(conn)
                    .await?;
            } else {
                diesel::update(users::table.find(id))
                    .set((
                        users::disabled_at.eq(None::<NaiveDateTime>),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(())
        })
    }

    /// Enabled admins other than `id`: the last-admin rule counts these.
    pub async fn other_enabled_admins(&self, id: &str) -> Result<i64, DbError> {
        db_run!(&self.pool, |conn| users::table
            .filter(users::role.eq(Role::Admin.as_str()))
            .filter(users::disabled_at.is_null())
            .filter(users::id.ne(id))
            .count()
            .get_result(conn)
            .await)
    }

    /// Users in creation order (ids are UUIDv7), after `page.cursor`.
    pub async fn users_page(
        &self,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Vec<UserRow>, DbError> {
        let pattern = filter.q.as_deref().map(contains_pattern);
        let cursor = page.cursor.clone().unwrap_or_default();
        db_run!(&self.pool, |conn| {
            let mut query = users::table
                .filter(users::id.gt(&cursor))
                .order(users::id.asc())
                .limit(page.fetch())
                .select(UserRow::as_select())
                .into_boxed();
            if let Some(pattern) = &pattern {
                query = query.filter(
                    users::email
                        .like(pattern)
                        .escape('\\')
                        .or(lower(users::first_name).like(pattern).escape('\\'))
                        .or(lower(users::last_name).like(pattern).escape('\\')),
                );
            }
            if let Some(role) = filter.role {
                query = query.filter(users::role.eq(role.as_str()));
            }
            match filter.disabled {
                Some(true) => query = query.filter(users::disabled_at.is_not_null()),
                Some(false) => query = query.filter(users::disabled_at.is_null()),
                None => {}
            }
            query.load(conn).await
        })
    }

    /// Deletes the account; its sessions, keys, identities, tokens and usage go with it
    /// (`ON DELETE CASCADE`). `false` if there was no such account.
    pub async fn delete_user(&self, id: &str) -> Result<bool, DbError> {
        db_run!(&self.pool, |conn| diesel::delete(users::table.find(id))
            .execute(conn)
            .await)
        .map(|deleted| deleted == 1)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_in_a_search_are_literal() {
        assert_eq!(super::contains_pattern("A_b%"), "%a\\_b\\%%");
    }
}
