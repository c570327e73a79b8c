//! The model catalog: OpenAI's list format under `/v1`, camelCase for the frontend under `/api`.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Serialize;
use studio_models::{Model, ModelCatalog, ModelKind, Pricing};

use crate::{
    errors::OpenAiError,
    extractors::{ApiCaller, AuthUser},
    openapi::responses::{Jwt, V1Auth, V1Missing},
};

type Catalog = web::Data<dyn ModelCatalog>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/models").route(web::get().to(list_openai)))
        // Model ids may contain slashes (`meta-llama/Llama-3.1-8B`).
        .service(web::resource("/v1/models/{id:.+}").route(web::get().to(get_openai)))
        .service(web::resource("/api/models").route(web::get().to(list_api)));
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(list_openai, get_openai, list_api))]
pub(crate) struct Doc;

/// OpenAI's model object.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OpenAiModel, example = json!({"id": "llama-3.1-8b-instruct", "object": "model",
    "created": 1_700_000_000, "owned_by": "studio"}))]
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

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OpenAiModelList)]
struct OpenAiList<'a> {
    /// `list`
    object: &'static str,
    data: Vec<OpenAiModel<'a>>,
}

/// A catalog entry, for the frontend.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CatalogModel)]
struct ApiModel<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    #[serde(rename = "type")]
    kind: ModelKind,
    context_length: u32,
    max_output_tokens: u32,
    #[schema(value_type = Vec<String>)]
    capabilities: &'a [String],
    #[schema(required = true)]
    pricing: Option<Pricing>,
    /// Image models: the sizes offered, the first being the default.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sizes: Vec<String>,
}

/// The catalog, in OpenAI's format.
#[utoipa::path(get, path = "/v1/models", tag = "models", operation_id = "listModels",
    security(("apiKey" = []), ("jwt" = [])),
    responses((status = 200, description = "Every model", body = OpenAiList), V1Auth))]
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

/// One model, in OpenAI's format. Ids may contain slashes.
#[utoipa::path(get, path = "/v1/models/{id}", tag = "models", operation_id = "retrieveModel",
    params(("id" = String, Path, description = "A model id from the catalog")),
    security(("apiKey" = []), ("jwt" = [])),
    responses((status = 200, description = "The model", body = OpenAiModel), V1Auth, V1Missing))]
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

/// The catalog, camelCase, with what the frontend shows (image models list their `sizes`).
#[utoipa::path(get, path = "/api/models", tag = "models", operation_id = "catalog",
    security(("jwt" = [])),
    responses((status = 200, description = "Every model", body = Vec<ApiModel>), Jwt))]
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
