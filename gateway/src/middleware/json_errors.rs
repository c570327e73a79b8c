//! Makes sure no error ever leaves as HTML or an empty body: framework errors (unknown route,
//! wrong method, payload limits, CORS refusals) get the JSON body of the path's wire format.

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::{header, Method, StatusCode},
    middleware::Next,
    Error, HttpResponse,
};

use crate::errors::WireFormat;

pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let method = req.method().clone();
    let path = req.path().to_owned();
    let response = match next.call(req).await {
        Ok(response) => response.map_into_boxed_body(),
        // Middleware failures (rare: handlers' errors arrive as responses) are turned into an
        // error whose response is already the JSON body.
        Err(error) => {
            let rendered = ensure_json(
                error.error_response(),
                &method,
                &path,
                Some(error.to_string()),
            );
            return Err(InternalError::from_response(error, rendered).into());
        }
    };
    if response.status().as_u16() < 400 || is_json(response.response()) {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    Ok(ServiceResponse::new(
        request,
        ensure_json(response, &method, &path, None),
    ))
}

fn is_json(response: &HttpResponse) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn ensure_json(
    response: HttpResponse,
    method: &Method,
    path: &str,
    message: Option<String>,
) -> HttpResponse {
    let status = response.status();
    if status.as_u16() < 400 || is_json(&response) {
        return response;
    }
    let message = match status {
        StatusCode::NOT_FOUND => format!("no such endpoint: {method} {path}"),
        StatusCode::METHOD_NOT_ALLOWED => format!("method {method} is not allowed on {path}"),
        StatusCode::PAYLOAD_TOO_LARGE => "request body is too large".to_owned(),
        _ => message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
    };
    let mut rendered = WireFormat::for_path(path).render(status, message);
    // Keep headers the original response set for a reason (Allow, Retry-After, CORS).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}
