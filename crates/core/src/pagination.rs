//! Pagination parameters shared by every list endpoint (`?limit=&offset=`).

use serde::Deserialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default = "default_limit")]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
}

fn default_limit() -> i64 {
    DEFAULT_LIMIT
}

impl Default for Pagination {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl Pagination {
    /// Clamps the values into the accepted range, or says which one is wrong.
    pub fn validated(self) -> Result<Self, &'static str> {
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err("limit must be between 1 and 200");
        }
        if self.offset < 0 {
            return Err("offset must not be negative");
        }
        Ok(self)
    }
}
