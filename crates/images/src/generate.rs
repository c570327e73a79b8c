//! `POST /v1/images/generations`: validate, ask an upstream (retrying others before anything
//! was received), check every image, store it, and answer as OpenAI does.

use std::sync::Arc;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use studio_core::Metrics;
use studio_core::{ids::new_id, time::now};
use studio_models::{CatalogSeries, ModelCatalog, ModelKind};
use studio_usage::UsageWriter;

use crate::{
    decode,
    fetch::{self, Reply},
    request::{GenerationRequest, ResponseFormat},
    service::{Images, NewImage},
    storage::{MediaKey, Variant},
    store::ImageRow,
    types::*,
    upstream, ImageError,
};

/// Holds an `awc::Client`, which is not `Send`: build one per worker thread.
pub struct ImageGenerator {
    client: awc::Client,
    catalog: Arc<dyn ModelCatalog>,
    usage: UsageWriter,
    images: Arc<Images>,
    series: CatalogSeries,
}

impl ImageGenerator {
    pub fn new(
        client: awc::Client,
        catalog: Arc<dyn ModelCatalog>,
        usage: UsageWriter,
        images: Arc<Images>,
    ) -> Self {
        Self {
            client,
            catalog,
            usage,
            images,
            series: CatalogSeries::default(),
        }
    }

    /// Records upstream durations, retries and cancellations per model in `metrics`.
    pub fn observed(mut self, metrics: &Metrics) -> Self {
        self.series = CatalogSeries::new(self.catalog.as_ref(), ModelKind::Image, metrics);
        self
    }

    /// Generates, checks and stores the images; URLs are signed under `media_base`.
    pub async fn generate(
        &self,
        caller: &Caller,
        body: &[u8],
        media_base: &str,
    ) -> Result<GenerationResponse, ImageError> {
        let request = GenerationRequest::parse(body, self.catalog.as_ref())?;
        let mut accounting = crate::usage::Accounting::new(&self.usage, caller, &request.model.id);
        accounting.observe(self.series.model(&request.model.id));
        let size = request.size.to_string();
        match self
            .run(caller, &request, &mut accounting, media_base)
            .await
        {
            Ok(response) => {
                accounting.finish(200, response.data.len(), &size);
                Ok(response)
            }
            Err(error) => {
                accounting.finish(error.status(), 0, &size);
                Err(error)
            }
        }
    }

    async fn run(
        &self,
        caller: &Caller,
        request: &GenerationRequest,
        accounting: &mut crate::usage::Accounting,
        media_base: &str,
    ) -> Result<GenerationResponse, ImageError> {
        let mut last_error = None;
        for upstream in upstream::attempt_order(&request.model.upstreams) {
            accounting.upstream(&upstream.base_url);
            let body = request.upstream_body(&upstream.model);
            let mut response = match upstream::send(&self.client, upstream, body).await {
                Ok(response) => response,
                Err((true, error)) => {
                    accounting.retrying();
                    last_error = Some(error);
                    continue;
                }
                Err((false, error)) => return Err(error),
            };
            if !response.status().is_success() {
                match upstream::refusal(&mut response, upstream.timeout).await {
                    (true, error) => {
                        accounting.retrying();
                        last_error = Some(error);
                        continue;
                    }
                    (false, error) => return Err(error),
                }
            }
            let reply = fetch::reply(response, upstream.timeout).await?;
            accounting.answered();
            return self
                .keep(caller, request, reply, upstream.timeout, media_base)
                .await;
        }
        Err(last_error
            .unwrap_or_else(|| ImageError::BadGateway("the model has no upstream".into())))
    }

    /// Checks every image (all or nothing), stores them, and writes the answer.
    async fn keep(
        &self,
        caller: &Caller,
        request: &GenerationRequest,
        reply: Reply,
        timeout: std::time::Duration,
        media_base: &str,
    ) -> Result<GenerationResponse, ImageError> {
        let mut raw = Vec::with_capacity(reply.data.len());
        for image in reply.data.iter().take(request.n as usize) {
            raw.push(fetch::image_bytes(&self.client, image, timeout).await?);
        }
        // Decoding and encoding take milliseconds to seconds of CPU: never on the workers.
        let checked = tokio::task::spawn_blocking(move || {
            raw.iter()
                .map(|bytes| decode::check(bytes))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|_| ImageError::BadGateway("checking the images was interrupted".into()))?
        .map_err(|e| ImageError::BadGateway(e.to_string()))?;
        let created_at = now();
        let images: Vec<NewImage> = checked
            .into_iter()
            .zip(&reply.data)
            .map(|(checked, image)| NewImage {
                row: row(
                    caller,
                    request,
                    &checked,
                    image.revised_prompt.clone(),
                    created_at,
                ),
                checked,
            })
            .collect();
        // Committed in its own task: a client that goes away now cannot stop it half-way
        // (files without rows); the images are kept and show up in the gallery.
        let shared = self.images.clone();
        let committed = tokio::spawn(async move {
            let result = shared.commit(&images).await;
            (images, result)
        });
        let (images, result) = committed
            .await
            .map_err(|_| ImageError::Storage("storing the images was interrupted".into()))?;
        result?;
        let unix = created_at.and_utc().timestamp();
        let data = images
            .into_iter()
            .map(|image| GeneratedImage {
                url: (request.response_format == ResponseFormat::Url).then(|| {
                    self.images
                        .signer()
                        .url(media_base, &image.row.id, Variant::Image, unix)
                }),
                b64_json: (request.response_format == ResponseFormat::B64Json)
                    .then(|| STANDARD.encode(&image.checked.bytes)),
                revised_prompt: image.row.revised_prompt,
            })
            .collect();
        Ok(GenerationResponse {
            created: unix,
            data,
        })
    }
}

fn row(
    caller: &Caller,
    request: &GenerationRequest,
    checked: &decode::CheckedImage,
    revised_prompt: Option<String>,
    created_at: chrono::NaiveDateTime,
) -> ImageRow {
    let name = |variant, digest: &str, format| {
        MediaKey::new(variant, digest, format)
            .map(|k| k.as_str().to_owned())
            .unwrap_or_default()
    };
    ImageRow {
        id: new_id(),
        user_id: caller.user_id.clone(),
        api_key_id: caller.api_key_id.clone(),
        model: request.model.id.clone(),
        prompt: request.prompt.clone(),
        revised_prompt,
        size: request.size.to_string(),
        width: checked.width as i32,
        height: checked.height as i32,
        format: checked.format.name().to_owned(),
        bytes: checked.bytes.len() as i64,
        file_name: name(Variant::Image, &checked.digest, checked.format),
        thumbnail_name: match &checked.thumbnail {
            Some((_, digest)) => name(Variant::Thumbnail, digest, decode::Format::Jpeg),
            None => name(Variant::Image, &checked.digest, checked.format),
        },
        created_at,
    }
}
