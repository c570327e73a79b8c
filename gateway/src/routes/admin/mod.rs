//! `/api/admin/*`: the operators' API. Every handler takes an [`AdminUser`] (an enabled admin
//! with a JWT; anyone else gets 401 or 403) and records each change it makes, or refuses, in the
//! audit log.
//!
//! [`AdminUser`]: crate::extractors::AdminUser

mod keys;
mod reports;
mod users;

use actix_web::web;
use serde::Deserialize;
use studio_core::PageRequest;

use crate::errors::ApiError;

/// This API's part of the OpenAPI document.
pub(crate) fn docs() -> [utoipa::openapi::OpenApi; 3] {
    use utoipa::OpenApi;
    [
        users::Doc::openapi(),
        keys::Doc::openapi(),
        reports::Doc::openapi(),
    ]
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/admin")
            .configure(users::configure)
            .configure(keys::configure)
            .configure(reports::configure),
    );
}

/// `?cursor=&limit=` of every listing. Flattened query structs see every value as a string
/// (serde_urlencoded), so numbers and booleans are parsed here, naming the parameter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Items per page, 1 to 100 (50 when absent).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

impl Paging {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        let limit =
            match self.limit.as_deref() {
                None | Some("") => None,
                Some(text) => Some(text.parse::<i64>().map_err(|_| {
                    ApiError::invalid_field("limit", "limit must be a whole number")
                })?),
            };
        PageRequest::new(self.cursor.clone(), limit)
            .map_err(|message| ApiError::invalid_field("limit", message))
    }
}

/// A `true`/`false` query parameter.
pub(crate) fn flag(name: &str, value: Option<&str>) -> Result<Option<bool>, ApiError> {
    match value {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid_field(
            name,
            format!("{name} must be true or false"),
        )),
    }
}
