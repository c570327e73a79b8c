//! Makes sure no error ever leaves as HTML or an empty body: framework errors (unknown route,
//! wrong method, payload limits, CORS refusals) get the JSON body of the path's wire format.

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::{header, Method, StatusCode},
    middleware::Next,
    Error, HttpResponse,
};

use crate::errors::WireFormat;

pub async fn json_errors<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    // Only what an `Err` needs is kept up front; successful responses pass untouched (no
    // boxing, no copies).
    let format = WireFormat::for_path(req.path());
    let response = match next.call(req).await {
        Ok(response) => response,
        // Middleware failures (rare: handlers' errors arrive as responses) are turned into an
        // error whose response is already the JSON body.
        Err(error) => {
            let rendered = ensure_json(
                error.error_response(),
                format,
                None,
                Some(error.to_string()),
            );
            return Err(InternalError::from_response(error, rendered).into());
        }
    };
    if response.status().as_u16() < 400 || is_json(response.response()) {
        return Ok(response.map_into_left_body());
    }
    let (request, response) = response.into_parts();
    let response = ensure_json(
        response.map_into_boxed_body(),
        format,
        Some((request.method(), request.path())),
        None,
    );
    Ok(ServiceResponse::new(request, response).map_into_right_body())
}

fn is_json<B>(response: &HttpResponse<B>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn ensure_json(
    response: HttpResponse,
    format: WireFormat,
    route: Option<(&Method, &str)>,
    message: Option<String>,
) -> HttpResponse {
    let status = response.status();
    if status.as_u16() < 400 || is_json(&response) {
        return response;
    }
    let message = match (status, route) {
        (StatusCode::NOT_FOUND, Some((method, path))) => {
            format!("no such endpoint: {method} {path}")
        }
        (StatusCode::METHOD_NOT_ALLOWED, Some((method, path))) => {
            format!("method {method} is not allowed on {path}")
        }
        (StatusCode::PAYLOAD_TOO_LARGE, _) => "request body is too large".to_owned(),
        _ => message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
    };
    let mut rendered = format.render(status, message);
    // Keep headers the original response set for a reason (Allow, Retry-After, CORS).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}
