//! `studio_http_requests_total{method, route, status}` and
//! `studio_http_request_duration_seconds{method, route}`, by route pattern (`/api/keys/{id}`),
//! never the raw path: a path label would grow without bound.
//!
//! Each worker keeps the handles of the routes it has served (the first request of a route
//! registers them): a request then costs a map lookup in the worker's own map and two
//! atomic updates, never the registry's lock.

use std::{
    cell::RefCell,
    collections::{hash_map::Entry, HashMap},
    rc::Rc,
    time::Instant,
};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    Error,
};
use studio_core::{
    metrics::{Counter, Histogram},
    Metrics,
};

/// The label of requests no route matched (404s of unknown paths, probes, scanners).
const UNMATCHED: &str = "unmatched";

struct RouteSeries {
    route: String,
    duration: Histogram,
    by_status: Vec<(u16, Counter)>,
}

/// One worker's route series (not shared between threads, so no lock).
pub struct HttpSeries {
    metrics: Metrics,
    routes: RefCell<HashMap<(&'static str, String), RouteSeries>>,
}

impl HttpSeries {
    pub fn new(metrics: Metrics) -> Self {
        Self {
            metrics,
            routes: RefCell::new(HashMap::new()),
        }
    }

    fn observe(&self, method: &'static str, route: Option<String>, status: u16, secs: f64) {
        let route = route.unwrap_or_else(|| UNMATCHED.to_owned());
        let mut routes = self.routes.borrow_mut();
        let series = match routes.entry((method, route)) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => {
                let duration = self.metrics.histogram(
                    "studio_http_request_duration_seconds",
                    "HTTP requests by method and route pattern, to the response head.",
                    &[("method", method), ("route", &new.key().1)],
                );
                let route = new.key().1.clone();
                new.insert(RouteSeries {
                    route,
                    duration,
                    by_status: Vec::new(),
                })
            }
        };
        series.duration.record(secs);
        if let Some((_, counter)) = series.by_status.iter().find(|(s, _)| *s == status) {
            counter.increment(1);
            return;
        }
        let counter = self.metrics.counter(
            "studio_http_requests_total",
            "HTTP requests by method, route pattern and status.",
            &[
                ("method", method),
                ("route", &series.route),
                ("status", &status.to_string()),
            ],
        );
        counter.increment(1);
        series.by_status.push((status, counter));
    }
}

/// A method outside the standard ones is `other` (a client may send any token there).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The middleware (installed only when metrics are on).
pub async fn observe_requests<B: MessageBody + 'static>(
    series: Rc<HttpSeries>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    match next.call(req).await {
        Ok(response) => {
            let route = response.request().match_pattern();
            let status = response.status().as_u16();
            series.observe(method, route, status, started.elapsed().as_secs_f64());
            Ok(response)
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            series.observe(method, None, status, started.elapsed().as_secs_f64());
            Err(error)
        }
    }
}
