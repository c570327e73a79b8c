//! Image files behind signed, expiring URLs (no bearer token: they work in an `<img>` tag),
//! with `ETag`/`If-None-Match` and single `Range` requests.

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use serde::Deserialize;
use studio_images::{ImageService, MediaFile, Variant};

use crate::errors::ApiError;

/// Where media URLs point: `MEDIA_URL`, made absolute from `STUDIO_PUBLIC_URL` or the request
/// when it is only a path.
#[derive(Debug, Clone)]
pub struct MediaUrls {
    prefix: String,
    public_url: Option<String>,
}

impl MediaUrls {
    pub fn new(media_url: &str, public_url: Option<String>) -> Self {
        Self {
            prefix: media_url.to_owned(),
            public_url,
        }
    }

    /// The path the files are served under (`/media/`).
    pub fn path(&self) -> String {
        if self.prefix.starts_with('/') {
            return self.prefix.clone();
        }
        url::Url::parse(&self.prefix).map_or_else(|_| "/media/".to_owned(), |u| u.path().to_owned())
    }

    /// The absolute base of the URLs handed out in answer to `req`.
    pub fn base_for(&self, req: &HttpRequest) -> String {
        if !self.prefix.starts_with('/') {
            return self.prefix.clone();
        }
        let origin = self.public_url.clone().unwrap_or_else(|| {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        });
        format!("{origin}{}", self.prefix)
    }
}

pub fn configure(path: &str) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        cfg.service(
            web::resource(format!("{path}images/{{id}}"))
                .route(web::get().to(image))
                .route(web::head().to(image)),
        )
        .service(
            web::resource(format!("{path}images/{{id}}/thumbnail"))
                .route(web::get().to(thumbnail))
                .route(web::head().to(thumbnail)),
        );
    }
}

#[derive(Deserialize)]
struct Signed {
    #[serde(default)]
    expires: String,
    #[serde(default)]
    signature: String,
}

async fn image(
    req: HttpRequest,
    images: web::Data<dyn ImageService>,
    id: web::Path<String>,
    signed: web::Query<Signed>,
) -> Result<HttpResponse, ApiError> {
    serve(&req, images, &id, Variant::Image, &signed).await
}

async fn thumbnail(
    req: HttpRequest,
    images: web::Data<dyn ImageService>,
    id: web::Path<String>,
    signed: web::Query<Signed>,
) -> Result<HttpResponse, ApiError> {
    serve(&req, images, &id, Variant::Thumbnail, &signed).await
}

async fn serve(
    req: &HttpRequest,
    images: web::Data<dyn ImageService>,
    id: &str,
    variant: Variant,
    signed: &Signed,
) -> Result<HttpResponse, ApiError> {
    let file = images
        .media(id, variant, &signed.expires, &signed.signature)
        .await?;
    Ok(respond(req, file))
}

fn respond(req: &HttpRequest, file: MediaFile) -> HttpResponse {
    let etag = format!("\"{}\"", file.etag);
    let max_age = (file.expires - chrono::Utc::now().timestamp()).max(0);
    let mut builder = HttpResponse::build(StatusCode::OK);
    builder
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, format!("private, max-age={max_age}")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    let header_text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header_text(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    let total = file.bytes.len();
    // A Range applies only if the client's copy is this one (If-Range), as RFC 9110 says.
    let range = header_text(header::RANGE)
        .filter(|_| header_text(header::IF_RANGE).is_none_or(|tag| tag.trim() == etag));
    match range.map(|r| parse_range(r, total)) {
        None | Some(RangeAnswer::Whole) => builder.content_type(file.content_type).body(file.bytes),
        Some(RangeAnswer::Part(start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .content_type(file.content_type)
            .insert_header((
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{total}"),
            ))
            .body(file.bytes.slice(start..=end)),
        Some(RangeAnswer::Unsatisfiable) => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .insert_header((header::CONTENT_RANGE, format!("bytes */{total}")))
            .finish(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum RangeAnswer {
    /// Not a single byte range Studio serves (several ranges, another unit): the whole file.
    Whole,
    /// Inclusive byte positions.
    Part(usize, usize),
    Unsatisfiable,
}

fn parse_range(value: &str, total: usize) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Whole;
    };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeAnswer::Whole;
    };
    let number = |s: &str| s.trim().parse::<usize>().ok();
    let (start, end) = match (start.trim().is_empty(), number(start), number(end)) {
        // `bytes=-N`: the last N bytes.
        (true, _, Some(suffix)) if suffix > 0 => {
            (total.saturating_sub(suffix), total.saturating_sub(1))
        }
        (true, _, _) => return RangeAnswer::Unsatisfiable,
        (false, Some(start), None) if end.trim().is_empty() => (start, total.saturating_sub(1)),
        (false, Some(start), Some(end)) if start <= end => {
            (start, end.min(total.saturating_sub(1)))
        }
        _ => return RangeAnswer::Whole,
    };
    if total == 0 || start >= total {
        return RangeAnswer::Unsatisfiable;
    }
    RangeAnswer::Part(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_ranges_are_parsed_as_rfc_9110_says() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-9", 100), Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=-500", 100), Part(0, 99));
        assert_eq!(parse_range("bytes=50-500", 100), Part(50, 99));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=9-2", 100), Whole);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Whole);
        assert_eq!(parse_range("items=0-1", 100), Whole);
        assert_eq!(parse_range("bytes=x-y", 100), Whole);
    }
}
