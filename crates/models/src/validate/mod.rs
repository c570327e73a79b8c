//! Turning the file into models, collecting one line per problem (file, model, field).

use std::{collections::HashMap, time::Duration};

use crate::{
    catalog::{
        Defaults, DEFAULT_CONNECT_TIMEOUT, DEFAULT_FIRST_TOKEN_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
        DEFAULT_TIMEOUT,
    },
    file::{CatalogFile, ModelEntry, UpstreamEntry},
    CatalogError, ImageSize, Model, ModelKind, Pricing, Upstream,
};

/// The sizes of each image model, by id.
pub(crate) type ImageSizes = HashMap<String, Vec<ImageSize>>;

pub(crate) fn models(
    source: &str,
    file: CatalogFile,
    created: i64,
    defaults: &Defaults<'_>,
) -> Result<(Vec<Model>, ImageSizes), CatalogError> {
    let mut problems = Vec::new();
    let mut models: Vec<Model> = Vec::new();
    let mut all_sizes = HashMap::new();
    for entry in file.models {
        let mut fail = |field: &str, problem: String| {
            problems.push(format!(
                "{source}: model {:?}: {field}: {problem}",
                entry.id
            ));
        };
        if entry.id.trim().is_empty() || entry.id.chars().any(char::is_whitespace) {
            fail("id", "must be a non-empty name without spaces".into());
        }
        if models.iter().any(|m| m.id == entry.id) {
            fail("id", "duplicate id".into());
        }
        let kind = match entry.kind.as_str() {
            "chat" => ModelKind::Chat,
            "image" => ModelKind::Image,
            other => {
                fail(
                    "type",
                    format!("unknown type {other:?} (expected chat or image)"),
                );
                ModelKind::Chat
            }
        };
        let upstreams = upstreams(&entry, defaults, &mut fail);
        if let Some(p) = &entry.pricing {
            if p.input_per_million < 0.0 || p.output_per_million < 0.0 {
                fail("pricing", "prices must not be negative".into());
            }
        }
        let sizes = sizes(&entry, kind, &mut fail);
        if !sizes.is_empty() {
            all_sizes.insert(entry.id.clone(), sizes);
        }
        models.push(model(entry, kind, created, upstreams));
    }
    if problems.is_empty() {
        Ok((models, all_sizes))
    } else {
        Err(CatalogError { problems })
    }
}

/// Image models must list their sizes; chat models must not.
fn sizes(
    entry: &ModelEntry,
    kind: ModelKind,
    fail: &mut impl FnMut(&str, String),
) -> Vec<ImageSize> {
    if kind == ModelKind::Chat {
        if !entry.sizes.is_empty() {
            fail("sizes", "only image models have sizes".into());
        }
        return Vec::new();
    }
    if entry.sizes.is_empty() {
        fail(
            "sizes",
            "an image model must list its sizes, e.g. [\"1024x1024\"]".into(),
        );
    }
    let mut sizes: Vec<ImageSize> = Vec::new();
    for (i, text) in entry.sizes.iter().enumerate() {
        match ImageSize::parse(text) {
            Some(size) if sizes.contains(&size) => {
                fail(&format!("sizes[{i}]"), "duplicate size".into())
            }
            Some(size) => sizes.push(size),
            None => fail(
                &format!("sizes[{i}]"),
                format!("{text:?} is not WIDTHxHEIGHT with sides from 1 to 8192"),
            ),
        }
    }
    sizes
}

fn model(entry: ModelEntry, kind: ModelKind, created: i64, upstreams: Vec<Upstream>) -> Model {
    Model {
        name: entry.name.unwrap_or_else(|| entry.id.clone()),
        id: entry.id,
        description: entry.description,
        kind,
        context_length: entry.context_length.unwrap_or(8192),
        max_output_tokens: entry.max_output_tokens.unwrap_or(4096),
        capabilities: entry.capabilities,
        pricing: entry.pricing.map(|p| Pricing {
            input_per_million: p.input_per_million,
            output_per_million: p.output_per_million,
        }),
        enabled: entry.enabled,
        owned_by: entry.owned_by.unwrap_or_else(|| "studio".into()),
        created: entry.created.unwrap_or(created),
        upstreams,
    }
}

fn upstreams(
    entry: &ModelEntry,
    defaults: &Defaults<'_>,
    fail: &mut impl FnMut(&str, String),
) -> Vec<Upstream> {
    if entry.upstreams.is_empty() {
        return vec![Upstream {
            base_url: defaults.inference_url.trim_end_matches('/').to_owned(),
            api_key: defaults.inference_api_key.map(str::to_owned),
            model: entry.id.clone(),
            weight: 1,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            first_token_timeout: DEFAULT_FIRST_TOKEN_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }];
    }
    entry
        .upstreams
        .iter()
        .enumerate()
        .map(|(i, upstream)| one_upstream(entry, i, upstream, defaults, fail))
        .collect()
}

fn one_upstream(
    entry: &ModelEntry,
    index: usize,
    upstream: &UpstreamEntry,
    defaults: &Defaults<'_>,
    fail: &mut impl FnMut(&str, String),
) -> Upstream {
    let field = |name: &str| format!("upstreams[{index}].{name}");
    match url::Url::parse(&upstream.base_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
        _ => fail(
            &field("baseUrl"),
            format!("{:?} is not an http(s) URL", upstream.base_url),
        ),
    }
    let api_key = upstream.api_key_env.as_ref().and_then(|var| {
        let value = (defaults.env)(var).filter(|v| !v.is_empty());
        if value.is_none() {
            fail(
                &field("apiKeyEnv"),
                format!("environment variable {var} is not set"),
            );
        }
        value
    });
    if upstream.weight == 0 {
        fail(&field("weight"), "must be at least 1".into());
    }
    let mut seconds = |name: &str, value: Option<u64>, default: Duration| {
        if value == Some(0) {
            fail(&field(name), "must be at least 1 second".into());
        }
        value.map_or(default, Duration::from_secs)
    };
    let timeout = seconds("timeoutSecs", upstream.timeout_secs, DEFAULT_TIMEOUT);
    let connect_timeout = seconds(
        "connectTimeoutSecs",
        upstream.connect_timeout_secs,
        DEFAULT_CONNECT_TIMEOUT,
    );
    let first_token_timeout = seconds(
        "firstTokenTimeoutSecs",
        upstream.first_token_timeout_secs,
        DEFAULT_FIRST_TOKEN_TIMEOUT,
    );
    let idle_timeout = seconds(
        "idleTimeoutSecs",
        upstream.idle_timeout_secs,
        DEFAULT_IDLE_TIMEOUT,
    );
    Upstream {
        base_url: upstream.base_url.trim_end_matches('/').to_owned(),
        api_key,
        model: upstream.model.clone().unwrap_or_else(|| entry.id.clone()),
        weight: upstream.weight.max(1),
        // No stage may outlast the whole exchange.
        connect_timeout: connect_timeout.min(timeout),
        first_token_timeout: first_token_timeout.min(timeout),
        idle_timeout: idle_timeout.min(timeout),
        timeout,
    }
}

#[cfg(test)]
mod tests;
