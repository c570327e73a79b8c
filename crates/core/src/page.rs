//! Cursor pagination for listings: ask for `limit + 1` rows after the cursor; the extra row,
//! if there is one, says that another page exists and the last row kept becomes its cursor.

use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// Where a page starts (after the row whose key is `cursor`) and how long it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub cursor: Option<String>,
    pub limit: i64,
}

impl PageRequest {
    /// `limit` defaults to 50 and must be 1 to 100; an empty cursor is no cursor.
    pub fn new(cursor: Option<String>, limit: Option<i64>) -> Result<Self, String> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(format!("limit must be between 1 and {MAX_LIMIT}"));
        }
        Ok(Self {
            cursor: cursor.filter(|c| !c.is_empty()),
            limit,
        })
    }

    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `request.fetch()` rows, keyed for the next cursor by `key`.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as i64 > request.limit;
        rows.truncate(request.limit.max(0) as usize);
        let next_cursor = if more { rows.last().map(key) } else { None };
        Self {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_row_becomes_the_next_cursor_only_when_there_is_one() {
        let request = PageRequest::new(None, Some(2)).unwrap();
        let page = Page::from_rows(vec![1, 2, 3], &request, i32::to_string);
        assert_eq!(
            (page.items, page.next_cursor),
            (vec![1, 2], Some("2".into()))
        );
        let last = Page::from_rows(vec![1, 2], &request, i32::to_string);
        assert_eq!(last.next_cursor, None);
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert!(PageRequest::new(None, Some(101)).is_err());
    }
}
