//! Everything built once at start-up and shared by the workers.

use std::{sync::Arc, time::Duration};

use actix_web::{dev::ServiceFactory, dev::ServiceRequest, web, App, Error};
use studio_api_keys::{ApiKeyService, ApiKeySettings, ApiKeys, KeyAdmin};
use studio_audit::AuditLog;
use studio_auth::{
    oauth::{AccountCredentials, OAuth, OAuthProviderConfig, OAuthService},
    Auth, AuthService, AuthSettings, MailSettings, UserAdmin,
};
use studio_chat::{ChatProxy, ChatSettings, LimitPolicy};
use studio_conversations::{ConversationService, ConversationSettings, Conversations};
use studio_core::{Config, DbPool};
use studio_images::{
    ImageGenerator, ImageService, Images, LocalStorage, MediaStorage, S3Settings, S3Storage,
    UrlSigner,
};
use studio_models::{Catalog, CatalogSource, Defaults, ModelCatalog};
use studio_usage::{UsageService, UsageSummaries, UsageWriter, UsageWriterSettings};

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
    pub limits: LimitPolicy,
    pub conversations: Arc<dyn ConversationService>,
    /// The sweep for replies abandoned by dead instances, stopped on shutdown.
    sweeping: Arc<tokio::task::AbortHandle>,
    pub images: Arc<Images>,
    pub user_admin: Arc<dyn UserAdmin>,
    pub key_admin: Arc<dyn KeyAdmin>,
    pub audit: AuditLog,
    pub exporter: crate::metrics::Exporter,
    /// Drains the metrics' histograms (when metrics are on), stopped on shutdown.
    metrics_upkeep: Option<Arc<tokio::task::AbortHandle>>,
}

impl AppState {
    pub async fn build(
        config: Config,
        oauth_providers: Vec<OAuthProviderConfig>,
        pool: DbPool,
    ) -> anyhow::Result<Self> {
        let exporter = crate::metrics::Exporter::new(&config)?;
        let metrics = exporter.metrics().clone();
        let mut auth = Auth::new(pool.clone(), auth_settings(&config)).await?;
        auth.observe(&metrics);
        if config.email_smtp_url.is_none() {
            tracing::warn!("EMAIL_SMTP_URL is not set: verification and reset mail is only logged");
        }
        let api_keys = ApiKeys::new(pool.clone(), api_key_settings(&config)).observed(&metrics);
        let (catalog, source) = Catalog::load_configured(
            config.models_file.as_deref(),
            &Defaults {
                inference_url: &config.inference_service_url,
                inference_api_key: config.inference_service_api_key.as_deref(),
                env: &|name| std::env::var(name).ok(),
            },
        )?;
        match source {
            CatalogSource::File(file) => tracing::info!(%file, "model catalog loaded"),
            CatalogSource::BuiltIn => tracing::info!(
                "no STUDIO_MODELS_FILE and no config/models.toml here: using the built-in catalog"
            ),
        }
        let usage_writer = UsageWriter::start(
            pool.clone(),
            UsageWriterSettings {
                queue_size: config.usage_queue_size.max(1),
                flush_interval: Duration::from_millis(config.usage_flush_ms.max(10)),
                journal_path: config.usage_journal.clone(),
                dead_letter_path: config.usage_dead_letter.clone(),
            },
        );
        let usage: Arc<dyn UsageService> = Arc::new(UsageSummaries::new(pool.clone()));
        let limits = crate::limits::policy(&config, usage.clone(), &metrics).await;
        let catalog: Arc<dyn ModelCatalog> = Arc::new(catalog);
        let conversations = Conversations::new(
            pool.clone(),
            catalog.clone(),
            ConversationSettings {
                checkpoint_every: Duration::from_millis(config.chat_checkpoint_ms.max(10)),
                checkpoint_chunks: config.chat_checkpoint_tokens.max(1),
                keep_alive: Duration::from_secs(config.sse_keep_alive_secs.max(1)),
            },
        );
        let conversations: Arc<dyn ConversationService> = Arc::new(conversations);
        // Replies a dead process left `streaming` become `error` (their text is kept), now
        // and from time to time (another instance may die while this one runs).
        conversations.fail_abandoned().await?;
        let sweeper = conversations.clone();
        let sweeping = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(10));
            loop {
                every.tick().await;
                if let Err(error) = sweeper.fail_abandoned().await {
                    tracing::warn!(%error, "sweeping abandoned chat replies failed");
                }
            }
        });
        let images = Arc::new(Images::new(
            pool.clone(),
            media_storage(&config)?,
            UrlSigner::new(config.secret_key.as_bytes(), config.media.url_ttl_secs),
        ));
        let auth = Arc::new(auth);
        let user_admin: Arc<dyn UserAdmin> = auth.clone();
        let auth: Arc<dyn AuthService> = auth;
        let api_keys = Arc::new(api_keys);
        let key_admin: Arc<dyn KeyAdmin> = api_keys.clone();
        let api_keys: Arc<dyn ApiKeyService> = api_keys;
        let keys = Arc::new(KeysOfAccount(api_keys.clone()));
        let oauth = OAuth::new(pool.clone(), oauth_providers, auth.clone(), keys);
        Ok(Self {
            oauth: Arc::new(oauth),
            usage,
            limits,
            usage_writer,
            user_admin,
            key_admin,
            audit: AuditLog::start(pool.clone()),
            config: Arc::new(config),
            pool,
            auth,
            api_keys,
            catalog,
            conversations,
            sweeping: Arc::new(sweeping.abort_handle()),
            images,
            metrics_upkeep: exporter
                .spawn_upkeep()
                .map(|task| Arc::new(task.abort_handle())),
            exporter,
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
            .app_data(web::Data::from(self.conversations.clone()))
            .app_data(web::Data::new(self.usage_writer.clone()))
            .app_data(web::Data::from(self.limits.limits.clone()))
            .app_data(web::Data::from(self.images.clone() as Arc<dyn ImageService>))
            .app_data(web::Data::new(crate::routes::MediaUrls::new(
                &self.config.media.url,
                self.config.public_url.clone(),
            )))
            .app_data(web::Data::from(self.user_admin.clone()))
            .app_data(web::Data::from(self.key_admin.clone()))
            .app_data(web::Data::new(self.audit.clone()))
            .app_data(web::Data::new(self.chat_proxy()))
            .app_data(web::Data::new(self.image_generator()))
            .app_data(web::Data::new(self.exporter.clone()))
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
        .observed(self.exporter.metrics())
    }

    /// The chat proxy of one worker: `awc::Client` is not `Send`, so each worker has its own
    /// (with its own pool of upstream connections).
    fn chat_proxy(&self) -> ChatProxy {
        ChatProxy::new(
            self.catalog.clone(),
            self.usage_writer.clone(),
            ChatSettings {
                keep_alive: Duration::from_secs(self.config.sse_keep_alive_secs.max(1)),
                limits: Some(self.limits.clone()),
                metrics: self.exporter.metrics().clone(),
            },
        )
    }

    /// Flushes background writers; called once the server has stopped.
    pub async fn shutdown(&self) {
        self.sweeping.abort();
        if let Some(upkeep) = &self.metrics_upkeep {
            upkeep.abort();
        }
        if let Err(error) = self.conversations.shutdown().await {
            tracing::warn!(%error, "marking unfinished chat replies failed");
        }
        self.api_keys.flush().await;
        self.usage_writer.close().await;
        self.audit.close().await;
    }
}

/// The accounts service's settings (shared with `studio-gateway admin`).
pub fn auth_settings(config: &Config) -> AuthSettings {
    AuthSettings {
        jwt_secret: config.jwt_secret.clone(),
        access_token_minutes: config.access_token_minutes,
        refresh_token_minutes: config.refresh_token_minutes,
        attempts_per_minute: config.auth_rate_limit_per_minute,
        refresh_grace: Duration::from_secs(config.refresh_grace_secs),
        janitor_interval: Duration::from_secs(config.janitor_interval_secs),
        admin_emails: config.admin_emails.clone(),
        audit_retention_days: i64::from(config.audit_retention_days),
        mail: MailSettings {
            smtp_url: config.email_smtp_url.clone(),
            from: config.email_from.clone(),
            frontend_url: config.frontend_url.clone(),
            log_links: !config.is_production(),
        },
    }
}

pub fn api_key_settings(config: &Config) -> ApiKeySettings {
    ApiKeySettings {
        secret: config.secret_key.clone(),
        max_active_per_user: config.max_api_keys_per_user,
        last_used_flush: Duration::from_secs(config.last_used_flush_secs.max(1)),
    }
}

/// Lets an account hand-over (OAuth linking) revoke the account's API keys without the auth
/// crate knowing the API key crate.
struct KeysOfAccount(Arc<dyn ApiKeyService>);

#[async_trait::async_trait]
impl AccountCredentials for KeysOfAccount {
    async fn revoke_all(&self, user_id: &str) -> Result<usize, String> {
        self.0.revoke_all(user_id).await.map_err(|e| e.to_string())
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
