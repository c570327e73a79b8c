//! The loaded catalog and the service trait the gateway and the chat proxy read it through.

use std::{collections::HashMap, path::Path, sync::Arc, time::Duration};

use serde::Serialize;

use crate::{file::CatalogFile, validate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Chat,
    Image,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

/// One OpenAI-compatible server that serves a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    /// Base URL including the version path, e.g. `http://127.0.0.1:8001/v1` (no trailing slash).
    pub base_url: String,
    pub api_key: Option<String>,
    /// The model's name on that server.
    pub model: String,
    pub weight: u32,
    /// The whole exchange, request to last byte (`timeoutSecs`).
    pub timeout: Duration,
    /// Opening the connection (`connectTimeoutSecs`).
    pub connect_timeout: Duration,
    /// Request to the first content or tool-call delta (`firstTokenTimeoutSecs`); also bounds
    /// the wait for the response head.
    pub first_token_timeout: Duration,
    /// The longest silence between two events of a stream (`idleTimeoutSecs`).
    pub idle_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: ModelKind,
    pub context_length: u32,
    pub max_output_tokens: u32,
    pub capabilities: Vec<String>,
    pub pricing: Option<Pricing>,
    pub enabled: bool,
    pub owned_by: String,
    pub created: i64,
    pub upstreams: Vec<Upstream>,
}

/// An image size as OpenAI writes it: `1024x1024`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    pub width: u32,
    pub height: u32,
}

impl ImageSize {
    /// Parses `WIDTHxHEIGHT` with both sides from 1 to 8192.
    pub fn parse(text: &str) -> Option<Self> {
        let (width, height) = text.split_once('x')?;
        let side = |s: &str| {
            s.parse::<u32>()
                .ok()
                .filter(|n| (1..=8192).contains(n) && !s.starts_with('0') && !s.starts_with('+'))
        };
        Some(Self {
            width: side(width)?,
            height: side(height)?,
        })
    }
}

impl std::fmt::Display for ImageSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{}", .problems.join("\n"))]
pub struct CatalogError {
    /// One line per problem: file, model and field.
    pub problems: Vec<String>,
}

/// Read access to the catalog. Only enabled models are visible through it.
pub trait ModelCatalog: Send + Sync {
    fn models(&self) -> &[Arc<Model>];
    fn model(&self, id: &str) -> Option<Arc<Model>>;
    /// The sizes an image model offers, the first being the default (empty for chat models).
    // Kept beside `Model` rather than in it so that code building `Model` values by hand
    // keeps compiling; the next change to `Model` should fold it in.
    fn image_sizes(&self, id: &str) -> &[ImageSize];
}

/// The default upstream for models that name none, and where to find API keys.
pub struct Defaults<'a> {
    pub inference_url: &'a str,
    pub inference_api_key: Option<&'a str>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

pub struct Catalog {
    models: Vec<Arc<Model>>,
    by_id: HashMap<String, Arc<Model>>,
    sizes: HashMap<String, Vec<ImageSize>>,
}

/// Where the catalog came from, so start-up can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    File(String),
    /// No file configured or found: the `config/models.toml` this binary was built with.
    BuiltIn,
}

/// The catalog a binary ships with, so it starts with no configuration at all.
pub const BUILT_IN: &str = include_str!("../../../config/models.toml");
const DEFAULT_FILE: &str = "config/models.toml";

impl Catalog {
    /// The configured file (which must be readable), else `config/models.toml` in the working
    /// directory when there is one, else the built-in catalog.
    pub fn load_configured(
        path: Option<&Path>,
        defaults: &Defaults<'_>,
    ) -> Result<(Self, CatalogSource), CatalogError> {
        let path = match path {
            Some(path) => path,
            None if Path::new(DEFAULT_FILE).exists() => Path::new(DEFAULT_FILE),
            None => {
                let catalog = Self::parse("built-in catalog", BUILT_IN, 0, defaults)?;
                return Ok((catalog, CatalogSource::BuiltIn));
            }
        };
        let catalog = Self::load(path, defaults)?;
        Ok((catalog, CatalogSource::File(path.display().to_string())))
    }

    pub fn load(path: &Path, defaults: &Defaults<'_>) -> Result<Self, CatalogError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CatalogError {
            problems: vec![format!("{source}: cannot read the model catalog: {e}")],
        })?;
        let created = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        Self::parse(&source, &text, created, defaults)
    }

    pub fn parse(
        source: &str,
        text: &str,
        created: i64,
        defaults: &Defaults<'_>,
    ) -> Result<Self, CatalogError> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| CatalogError {
            problems: vec![format!(
                "{source}: {}",
                e.to_string().trim().replace('\n', " ")
            )],
        })?;
        let (models, sizes) = validate::models(source, file, created, defaults)?;
        Ok(Self::from_models(models).with_image_sizes(sizes))
    }

    /// Sets the sizes of image models (by id).
    pub fn with_image_sizes(mut self, sizes: HashMap<String, Vec<ImageSize>>) -> Self {
        self.sizes = sizes;
        self
    }

    pub fn from_models(models: Vec<Model>) -> Self {
        let models: Vec<Arc<Model>> = models
            .into_iter()
            .filter(|m| m.enabled)
            .map(Arc::new)
            .collect();
        let by_id = models.iter().map(|m| (m.id.clone(), m.clone())).collect();
        Self {
            models,
            by_id,
            sizes: HashMap::new(),
        }
    }
}

impl ModelCatalog for Catalog {
    fn models(&self) -> &[Arc<Model>] {
        &self.models
    }

    fn model(&self, id: &str) -> Option<Arc<Model>> {
        self.by_id.get(id).cloned()
    }

    fn image_sizes(&self, id: &str) -> &[ImageSize] {
        self.sizes.get(id).map_or(&[], Vec::as_slice)
    }
}

pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const DEFAULT_FIRST_TOKEN_TIMEOUT: Duration = Duration::from_secs(120);
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
