//! Everything built once at start-up and shared by the workers.

use std::{sync::Arc, time::Duration};

use actix_web::{dev::ServiceFactory, dev::ServiceRequest, web, App, Error};
use studio_api_keys::{ApiKeyService, ApiKeySettings, ApiKeys};
use studio_auth::{
    oauth::{OAuth, OAuthService},
    Auth, AuthService, AuthSettings,
};
use studio_chat::{ChatProxy, ChatSettings};
use studio_core::{Config, DbPool};
use studio_images::{
    ImageGenerator, ImageService, Images, LocalStorage, MediaStorage, S3Settings, S3Storage,
    UrlSigner,
};
use studio_models::{Catalog, Defaults, ModelCatalog};
use studio_usage::{UsageService, UsageSummaries, UsageWriter};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
    pub auth: Arc<dyn AuthService>,
    pub oauth: Arc<dyn OAuthService>,
    pub api_keys: Arc<dyn ApiKeyService>,
    pub catalog: Arc<dyn ModelCatalog>,
    pub usage_writer: UsageWriter,
    pub usage: Arc<dyn UsageService>,
    pub images: Arc<Images>,
}

impl AppState {
    pub async fn build(config: Config, pool: DbPool) -> anyhow::Result<Self> {
        let auth = Auth::new(
            pool.clone(),
            AuthSettings {
                jwt_secret: config.jwt_secret.clone(),
                access_token_minutes: config.access_token_minutes,
                refresh_token_minutes: config.refresh_token_minutes,
                attempts_per_minute: config.auth_rate_limit_per_minute,
            },
        )
        .await?;
        let api_keys = ApiKeys::new(
            pool.clone(),
            ApiKeySettings {
                secret: config.secret_key.clone(),
                max_active_per_user: config.max_api_keys_per_user,
                last_used_flush: Duration::from_secs(config.last_used_flush_secs.max(1)),
            },
        );
        let catalog = Catalog::load(
            &config.models_file,
            &Defaults {
                inference_url: &config.inference_service_url,
                inference_api_key: config.inference_service_api_key.as_deref(),
                env: &|name| std::env::var(name).ok(),
            },
        )?;
        let usage_writer = UsageWriter::start(
            pool.clone(),
            Duration::from_millis(config.usage_flush_ms.max(10)),
        );
        let images = Arc::new(Images::new(
            pool.clone(),
            media_storage(&config)?,
            UrlSigner::new(config.secret_key.as_bytes(), config.media.url_ttl_secs),
        ));
        let auth: Arc<dyn AuthService> = Arc::new(auth);
        let oauth = OAuth::new(pool.clone(), config.oauth_providers.clone(), auth.clone());
        Ok(Self {
            oauth: Arc::new(oauth),
            usage: Arc::new(UsageSummaries::new(pool.clone())),
            usage_writer,
            config: Arc::new(config),
            pool,
            auth,
            api_keys: Arc::new(api_keys),
            catalog: Arc::new(catalog),
            images,
        })
    }

    /// Hands every service to the app as `web::Data`, so handlers name what they need.
    pub fn register<T>(&self, app: App<T>) -> App<T>
    where
        T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
    {
        app.app_data(web::Data::from(self.config.clone()))
            .app_data(web::Data::new(self.pool.clone()))
            .app_data(web::Data::from(self.auth.clone()))
            .app_data(web::Data::from(self.oauth.clone()))
            .app_data(web::Data::from(self.api_keys.clone()))
            .app_data(web::Data::from(self.catalog.clone()))
            .app_data(web::Data::from(self.usage.clone()))
            .app_data(web::Data::from(self.images.clone() as Arc<dyn ImageService>))
            .app_data(web::Data::new(crate::routes::MediaUrls::new(
                &self.config.media.url,
                self.config.public_url.clone(),
            )))
            .app_data(web::Data::new(self.chat_proxy()))
            .app_data(web::Data::new(self.image_generator()))
    }

    /// The upstream client of one worker (`awc::Client` is not `Send`).
    fn upstream_client() -> awc::Client {
        let connector = awc::Connector::new()
            .timeout(Duration::from_secs(10))
            .limit(16_384)
            .conn_keep_alive(Duration::from_secs(60));
        awc::Client::builder()
            .disable_redirects()
            .disable_timeout()
            .connector(connector)
            .finish()
    }

    fn image_generator(&self) -> ImageGenerator {
        ImageGenerator::new(
            Self::upstream_client(),
            self.catalog.clone(),
            self.usage_writer.clone(),
            self.images.clone(),
        )
    }

    /// The chat proxy of one worker: `awc::Client` is not `Send`, so each worker has its own
    /// (with its own pool of upstream connections).
    fn chat_proxy(&self) -> ChatProxy {
        ChatProxy::new(
            Self::upstream_client(),
            self.catalog.clone(),
            self.usage_writer.clone(),
            ChatSettings {
                keep_alive: Duration::from_secs(self.config.sse_keep_alive_secs.max(1)),
            },
        )
    }

    /// Flushes background writers; called once the server has stopped.
    pub async fn shutdown(&self) {
        self.api_keys.flush().await;
        self.usage_writer.flush().await;
    }
}

/// S3 when a bucket is configured, otherwise files under `MEDIA_ROOT`.
fn media_storage(config: &Config) -> anyhow::Result<Arc<dyn MediaStorage>> {
    Ok(match &config.media.s3 {
        Some(s3) => Arc::new(S3Storage::new(&S3Settings {
            bucket: s3.bucket.clone(),
            endpoint: s3.endpoint.clone(),
            region: s3.region.clone(),
            access_key_id: s3.access_key_id.clone(),
            secret_access_key: s3.secret_access_key.clone(),
        })?),
        None => Arc::new(LocalStorage::new(config.media.root.clone())),
    })
}
