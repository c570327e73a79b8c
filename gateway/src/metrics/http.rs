//! `studio_http_requests_total{method, route, status}` and
//! `studio_http_request_duration_seconds{method, route}`, by route pattern (`/api/keys/{id}`),
//! never the raw path: a path label would grow without bound.
//!
//! Each worker keeps the handles of the routes it has served (the first request of a route
//! registers them): a request then costs a map lookup in the worker's own map and two
//! atomic updates, never the registry's lock.

use std::{cell::RefCell, collections::HashMap, rc::Rc, time::Instant};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    Error, HttpRequest,
};
use studio_core::{
    metrics::{Counter, Histogram},
    Metrics,
};

/// The label of requests no route matched (404s of unknown paths, probes, scanners).
const UNMATCHED: &str = "unmatched";

struct RouteSeries {
    route: String,
    methods: Vec<MethodSeries>,
}

struct MethodSeries {
    method: &'static str,
    duration: Histogram,
    by_status: Vec<(u16, Counter)>,
}

/// One worker's route series (not shared between threads, so no lock), keyed by route pattern.
pub struct HttpSeries {
    metrics: Metrics,
    routes: RefCell<HashMap<String, RouteSeries>>,
}

impl HttpSeries {
    pub fn new(metrics: Metrics) -> Self {
        Self {
            metrics,
            routes: RefCell::new(HashMap::new()),
        }
    }

    /// Records one request (`None`: it failed before reaching a route). A path that is itself
    /// a known pattern (every route without parameters, the hot ones among them) is found
    /// without asking actix for the pattern, which matches the path against every route a
    /// second time and allocates.
    fn observe(&self, req: Option<&HttpRequest>, method: &'static str, status: u16, secs: f64) {
        let mut routes = self.routes.borrow_mut();
        if let Some(by_method) = req.and_then(|req| routes.get_mut(req.path())) {
            return self.record(by_method, method, status, secs);
        }
        let route = req
            .and_then(HttpRequest::match_pattern)
            .unwrap_or_else(|| UNMATCHED.to_owned());
        let by_method = routes.entry(route).or_insert_with_key(|route| RouteSeries {
            route: route.clone(),
            methods: Vec::new(),
        });
        self.record(by_method, method, status, secs);
    }

    fn record(&self, series: &mut RouteSeries, method: &'static str, status: u16, secs: f64) {
        let index = match series.methods.iter().position(|m| m.method == method) {
            Some(index) => index,
            None => {
                let duration = self.metrics.histogram(
                    "studio_http_request_duration_seconds",
                    "HTTP requests by method and route pattern, to the response head.",
                    &[("method", method), ("route", &series.route)],
                );
                series.methods.push(MethodSeries {
                    method,
                    duration,
                    by_status: Vec::new(),
                });
                series.methods.len() - 1
            }
        };
        let route = &series.route;
        let method_series = &mut series.methods[index];
        method_series.duration.record(secs);
        if let Some((_, counter)) = method_series.by_status.iter().find(|(s, _)| *s == status) {
            counter.increment(1);
            return;
        }
        let counter = self.metrics.counter(
            "studio_http_requests_total",
            "HTTP requests by method, route pattern and status.",
            &[
                ("method", method),
                ("route", route),
                ("status", &status.to_string()),
            ],
        );
        counter.increment(1);
        method_series.by_status.push((status, counter));
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
            let status = response.status().as_u16();
            let secs = started.elapsed().as_secs_f64();
            series.observe(Some(response.request()), method, status, secs);
            Ok(response)
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            series.observe(None, method, status, started.elapsed().as_secs_f64());
            Err(error)
        }
    }
}
