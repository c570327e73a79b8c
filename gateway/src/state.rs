//! Everything built once at start-up and shared by the workers.

use std::sync::Arc;

use actix_web::{dev::ServiceFactory, dev::ServiceRequest, web, App, Error};
use studio_core::{Config, DbPool};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: DbPool,
}

impl AppState {
    pub async fn build(config: Config, pool: DbPool) -> anyhow::Result<Self> {
        Ok(Self {
            config: Arc::new(config),
            pool,
        })
    }

    /// Hands every service to the app as `web::Data`, so handlers name what they need.
    pub fn register<T>(&self, app: App<T>) -> App<T>
    where
        T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
    {
        app.app_data(web::Data::from(self.config.clone()))
            .app_data(web::Data::new(self.pool.clone()))
    }

    /// Flushes background writers; called once the server has stopped.
    pub async fn shutdown(&self) {}
}
