//! The metric series of every model and upstream of the catalog, resolved once when the proxies
//! are built: a request finds its model's handles with one map lookup and records through
//! atomics, with no registry lookup or lock.

use std::{collections::HashMap, sync::Arc};

use studio_core::metrics::{Counter, Gauge, Histogram, Metrics};

use crate::{ModelCatalog, ModelKind};

/// One upstream of one model (the `upstream` label is its base URL).
pub struct UpstreamSeries {
    base_url: String,
    /// Request to the end of the answer (the last byte of a stream).
    pub duration: Histogram,
    /// Request to the first content or tool-call delta (chat).
    pub first_token: Histogram,
    /// Attempts at this upstream that failed and moved on to another one.
    pub retries: Counter,
}

/// One model's series.
pub struct ModelSeries {
    pub prompt_tokens: Counter,
    pub completion_tokens: Counter,
    pub cancelled: Counter,
    pub active_streams: Gauge,
    upstreams: Vec<UpstreamSeries>,
}

impl ModelSeries {
    /// The series of the upstream with this base URL.
    pub fn upstream(&self, base_url: &str) -> Option<&UpstreamSeries> {
        self.upstreams.iter().find(|u| u.base_url == base_url)
    }
}

/// Every model's series, by model id.
#[derive(Clone, Default)]
pub struct CatalogSeries {
    models: Arc<HashMap<String, Arc<ModelSeries>>>,
}

impl CatalogSeries {
    /// Registers the series of every model of `kind` (chat: tokens, first token and streams
    /// too; images: durations, retries and cancellations).
    /// With metrics off there are none, and a request's lookup finds nothing at once.
    pub fn new(catalog: &dyn ModelCatalog, kind: ModelKind, metrics: &Metrics) -> Self {
        if !metrics.enabled() {
            return Self::default();
        }
        let kind_label = match kind {
            ModelKind::Chat => "chat",
            ModelKind::Image => "image",
        };
        let chat = kind == ModelKind::Chat;
        let models = catalog
            .models()
            .iter()
            .filter(|m| m.kind == kind)
            .map(|model| {
                let id = model.id.as_str();
                let tokens = |kind: &str| {
                    if !chat {
                        return Counter::noop();
                    }
                    metrics.counter(
                        "studio_chat_tokens_total",
                        "Tokens per model: type=prompt (in) or completion (out).",
                        &[("model", id), ("type", kind)],
                    )
                };
                let mut upstreams: Vec<UpstreamSeries> = Vec::new();
                for upstream in &model.upstreams {
                    if upstreams.iter().any(|u| u.base_url == upstream.base_url) {
                        continue;
                    }
                    let labels = [
                        ("kind", kind_label),
                        ("model", id),
                        ("upstream", upstream.base_url.as_str()),
                    ];
                    upstreams.push(UpstreamSeries {
                        base_url: upstream.base_url.clone(),
                        duration: metrics.histogram(
                            "studio_upstream_request_duration_seconds",
                            "Upstream requests, from the request to the end of the answer.",
                            &labels,
                        ),
                        first_token: if chat {
                            metrics.histogram(
                                "studio_chat_time_to_first_token_seconds",
                                "Chat requests, from the request to the first content delta.",
                                &labels[1..],
                            )
                        } else {
                            Histogram::noop()
                        },
                        retries: metrics.counter(
                            "studio_upstream_retries_total",
                            "Attempts that failed before the first byte and moved on to another upstream.",
                            &labels,
                        ),
                    });
                }
                let series = ModelSeries {
                    prompt_tokens: tokens("prompt"),
                    completion_tokens: tokens("completion"),
                    cancelled: metrics.counter(
                        "studio_requests_cancelled_total",
                        "Upstream requests cancelled because the client went away.",
                        &[("kind", kind_label), ("model", id)],
                    ),
                    active_streams: if chat {
                        metrics.gauge(
                            "studio_chat_active_streams",
                            "Chat streams being relayed right now.",
                            &[("model", id)],
                        )
                    } else {
                        Gauge::noop()
                    },
                    upstreams,
                };
                (model.id.clone(), Arc::new(series))
            })
            .collect();
        Self {
            models: Arc::new(models),
        }
    }

    pub fn model(&self, id: &str) -> Option<Arc<ModelSeries>> {
        self.models.get(id).cloned()
    }
}
