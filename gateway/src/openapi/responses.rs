//! The error answers every operation lists, as named sets (`responses((status = 200, …), Jwt,
//! Internal)`). Each status is described once under `components/responses` for each wire format
//! and referenced from the operations.

use std::collections::BTreeMap;

use utoipa::{
    openapi::{
        header::HeaderBuilder, ContentBuilder, Ref, RefOr, Response, ResponseBuilder,
        ResponsesBuilder,
    },
    IntoResponses,
};

/// Which error body: `/api`'s or OpenAI's.
#[derive(Clone, Copy)]
enum Format {
    Api,
    OpenAi,
}

impl Format {
    fn prefix(self) -> &'static str {
        match self {
            Format::Api => "ApiError",
            Format::OpenAi => "OpenAiError",
        }
    }
}

/// Every status an error set may hold, with what it means.
const STATUSES: &[(u16, &str)] = &[
    (
        400,
        "The request is invalid (for `/api`, `details.field` names the field at fault).",
    ),
    (401, "Credentials are missing, invalid, expired or revoked."),
    (403, "The caller may not do this."),
    (404, "No such resource (or it is not the caller's)."),
    (409, "The request conflicts with the current state."),
    (
        413,
        "The request body is larger than `STUDIO_MAX_BODY_BYTES`.",
    ),
    (415, "`Content-Type` must be `application/json`."),
    (429, "Too many requests: retry after `Retry-After` seconds."),
    (
        500,
        "Studio failed; the cause is logged with the request id. Try again.",
    ),
    (
        502,
        "The upstream inference server failed or could not be reached.",
    ),
    (
        503,
        "Temporarily unavailable: retry after `Retry-After` seconds when it is given.",
    ),
    (504, "The upstream inference server did not answer in time."),
];

fn response(format: Format, status: u16, description: &str) -> Response {
    let schema = Ref::from_schema_name(match format {
        Format::Api => "ApiErrorBody",
        Format::OpenAi => "OpenAiErrorBody",
    });
    let mut builder = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(schema)).build(),
    );
    let text = || utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String);
    if status == 401 {
        builder = builder.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(Some(text()))
                .description(Some("`Bearer`"))
                .build(),
        );
    }
    if status == 429 || status == 503 {
        builder = builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(text()))
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
    builder.build()
}

/// The named error responses of both formats, for `components/responses`.
pub fn components() -> BTreeMap<String, RefOr<Response>> {
    let mut all = BTreeMap::new();
    for format in [Format::Api, Format::OpenAi] {
        for (status, description) in STATUSES {
            all.insert(
                format!("{}{status}", format.prefix()),
                RefOr::T(response(format, *status, description)),
            );
        }
    }
    let other = "Any other error status an upstream answered, passed on with its body.";
    all.insert(
        "OpenAiErrorDefault".to_owned(),
        RefOr::T(response(Format::OpenAi, 0, other)),
    );
    all
}

fn refs(format: Format, statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    // Status 0 stands for `default`: any status not listed.
    let builder = statuses
        .iter()
        .fold(ResponsesBuilder::new(), |b, s| match s {
            0 => b.response("default", Ref::from_response_name("OpenAiErrorDefault")),
            s => b.response(
                s.to_string(),
                Ref::from_response_name(format!("{}{s}", format.prefix())),
            ),
        });
    builder.build().responses.into_iter().collect()
}

macro_rules! error_set {
    ($($(#[$doc:meta])* $name:ident = $format:ident [$($status:literal),*];)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                refs(Format::$format, &[$($status),*])
            }
        }
    )*};
}

error_set! {
    /// A JWT access token is required.
    Jwt = Api [401];
    /// An enabled admin's JWT is required.
    Admin = Api [401, 403];
    /// Refused: the account is disabled, or the caller may not.
    Forbidden = Api [403];
    /// A JSON body: malformed or invalid, too large, or not JSON.
    Body = Api [400, 413, 415];
    /// A query string or field that can be invalid.
    Invalid = Api [400];
    /// A resource named in the path.
    Missing = Api [404];
    /// A conflict with the current state.
    Conflict = Api [409];
    /// A rate limit.
    Limited = Api [429];
    /// A route that needs the database: 503 (with `Retry-After`) while it is down or busy,
    /// 500 for anything unexpected.
    Internal = Api [500, 503];
    /// A sign-in provider that failed.
    ProviderDown = Api [502];
    /// Password hashing is saturated or storage is down.
    Busy = Api [503];
    /// `/v1`: an API key or a JWT is required; key checks need the database on a cache miss.
    V1Auth = OpenAi [401, 503];
    /// `/v1`: a JSON body that Studio reads.
    V1Body = OpenAi [400, 413, 415];
    /// `/v1`: a model id that may not be in the catalog.
    V1Missing = OpenAi [404];
    /// `/v1`: the call goes upstream: limits apply, and the upstream's own 4xx keep their status
    /// and body (any status: `default`).
    V1Upstream = OpenAi [404, 429, 500, 502, 503, 504, 0];
}
