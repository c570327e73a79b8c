//! The model catalog: which models Studio offers and which OpenAI-compatible upstreams serve them.
//!
//! Loaded once from a TOML file (`config/models.toml`), validated at start-up, then read-only.

mod attempts;
mod catalog;
mod file;
mod series;
mod validate;

pub use attempts::{attempt_order, MAX_ATTEMPTS};
pub use catalog::{
    Catalog, CatalogError, CatalogSource, Defaults, ImageSize, Model, ModelCatalog, ModelKind,
    Pricing, Upstream,
};
pub use series::{CatalogSeries, ModelSeries, UpstreamSeries};
