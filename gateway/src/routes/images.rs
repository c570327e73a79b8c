//! `POST /v1/images/generations` (OpenAI's wire format) and the gallery under `/api/images`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use studio_images::{Caller, GalleryQuery, ImageGenerator, ImageService};

use super::media::MediaUrls;
use crate::{
    errors::{not_json, ApiError, OpenAiError},
    extractors::{ApiCaller, AuthUser},
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListParams {
    cursor: Option<String>,
    limit: Option<i64>,
    model: Option<String>,
}

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

async fn delete(
    gallery: Gallery,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    gallery.delete(user.user_id(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
