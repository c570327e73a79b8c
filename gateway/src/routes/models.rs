//! The model catalog: OpenAI's list format under `/v1`, camelCase for the frontend under `/api`.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Serialize;
use studio_models::{Model, ModelCatalog, ModelKind, Pricing};

use crate::{
    errors::OpenAiError,
    extractors::{ApiCaller, AuthUser},
};

type Catalog = web::Data<dyn ModelCatalog>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/models").route(web::get().to(list_openai)))
        // Model ids may contain slashes (`meta-llama/Llama-3.1-8B`).
        .service(web::resource("/v1/models/{id:.+}").route(web::get().to(get_openai)))
        .service(web::resource("/api/models").route(web::get().to(list_api)));
}

#[derive(Serialize)]
struct OpenAiModel<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    owned_by: &'a str,
}

impl<'a> From<&'a Model> for OpenAiModel<'a> {
    fn from(model: &'a Model) -> Self {
        OpenAiModel {
            id: &model.id,
            object: "model",
            created: model.created,
            owned_by: &model.owned_by,
        }
    }
}

#[derive(Serialize)]
struct OpenAiList<'a> {
    object: &'static str,
    data: Vec<OpenAiModel<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiModel<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    #[serde(rename = "type")]
    kind: ModelKind,
    context_length: u32,
    max_output_tokens: u32,
    capabilities: &'a [String],
    pricing: Option<Pricing>,
    /// Image models: the sizes offered, the first being the default.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sizes: Vec<String>,
}

async fn list_openai(catalog: Catalog, _caller: ApiCaller) -> HttpResponse {
    let data = catalog
        .models()
        .iter()
        .map(|m| OpenAiModel::from(m.as_ref()))
        .collect();
    HttpResponse::Ok().json(OpenAiList {
        object: "list",
        data,
    })
}

async fn get_openai(
    catalog: Catalog,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, OpenAiError> {
    let model = catalog.model(&id).ok_or_else(|| {
        OpenAiError::new(
            StatusCode::NOT_FOUND,
            format!("The model '{id}' does not exist"),
        )
        .with_param("model")
        .with_code("model_not_found")
    })?;
    Ok(HttpResponse::Ok().json(OpenAiModel::from(model.as_ref())))
}

async fn list_api(catalog: Catalog, _user: AuthUser) -> HttpResponse {
    let models: Vec<ApiModel<'_>> = catalog
        .models()
        .iter()
        .map(|m| ApiModel {
            id: &m.id,
            name: &m.name,
            description: &m.description,
            kind: m.kind,
            context_length: m.context_length,
            max_output_tokens: m.max_output_tokens,
            capabilities: &m.capabilities,
            pricing: m.pricing,
            sizes: catalog
                .image_sizes(&m.id)
                .iter()
                .map(ToString::to_string)
                .collect(),
        })
        .collect();
    HttpResponse::Ok().json(models)
}
