//! `POST /v1/images/generations` (OpenAI's wire format) and the gallery under `/api/images`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use studio_images::{
    Caller, GalleryQuery, GenerationResponse, ImageGenerator, ImageInfo, ImagePage, ImageService,
};

use super::media::MediaUrls;
use crate::{
    errors::{not_json, ApiError, OpenAiError},
    extractors::{ApiCaller, AuthUser},
    openapi::{
        responses::{Busy, Internal, Invalid, Jwt, Missing, V1Auth, V1Body, V1Upstream},
        wire::ImageGenerationRequest,
    },
};

type Gallery = web::Data<dyn ImageService>;

const DEFAULT_PAGE: i64 = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/images/generations").route(web::post().to(generate)))
        .service(web::resource("/api/images").route(web::get().to(list)))
        .service(
            web::resource("/api/images/{id}")
                .route(web::get().to(get))
                .route(web::delete().to(delete)),
        );
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(generate, list, get, delete))]
pub(crate) struct Doc;

/// OpenAI's image generation; the images are stored in the caller's gallery.
#[utoipa::path(post, path = "/v1/images/generations", tag = "images",
    operation_id = "createImage", request_body = ImageGenerationRequest,
    security(("apiKey" = []), ("jwt" = [])),
    responses((status = 200, description = "The images", body = GenerationResponse),
        V1Auth, V1Body, V1Upstream))]
async fn generate(
    req: HttpRequest,
    generator: web::Data<ImageGenerator>,
    urls: web::Data<MediaUrls>,
    caller: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, OpenAiError> {
    if let Some(refusal) = not_json(&req) {
        return Err(refusal);
    }
    let caller = Caller {
        user_id: caller.user_id.clone(),
        api_key_id: caller.api_key_id.clone(),
    };
    let response = generator
        .generate(&caller, &body, &urls.base_for(&req))
        .await?;
    Ok(HttpResponse::Ok().json(response))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListParams {
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Images per page, 1 to 100 (50 when absent).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Only this model's images.
    model: Option<String>,
}

/// The caller's images, newest first (unknown query parameters are refused).
#[utoipa::path(get, path = "/api/images", tag = "images", operation_id = "listImages", security(("jwt" = [])),
    params(ListParams),
    responses((status = 200, description = "A page", body = ImagePage), Invalid, Jwt, Busy))]
async fn list(
    req: HttpRequest,
    gallery: Gallery,
    urls: web::Data<MediaUrls>,
    user: AuthUser,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let query = GalleryQuery {
        cursor: params.cursor.filter(|c| !c.is_empty()),
        limit: params.limit.unwrap_or(DEFAULT_PAGE),
        model: params.model.filter(|m| !m.is_empty()),
    };
    let page = gallery
        .list(user.user_id(), query, &urls.base_for(&req))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One image of the caller's, with signed URLs.
#[utoipa::path(get, path = "/api/images/{id}", tag = "images", operation_id = "getImage", security(("jwt" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The image", body = ImageInfo), Jwt, Missing, Busy))]
async fn get(
    req: HttpRequest,
    gallery: Gallery,
    urls: web::Data<MediaUrls>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let image = gallery
        .get(user.user_id(), &id, &urls.base_for(&req))
        .await?;
    Ok(HttpResponse::Ok().json(image))
}

/// Deletes an image: its row and its files.
#[utoipa::path(delete, path = "/api/images/{id}", tag = "images", operation_id = "deleteImage", security(("jwt" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), Jwt, Missing, Busy, Internal))]
async fn delete(
    gallery: Gallery,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    gallery.delete(user.user_id(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
