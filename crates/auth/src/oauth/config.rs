//! Sign-in providers from the environment: Google, Apple and any number of OpenID Connect
//! issuers. A provider is enabled when its client id is set; every issuer can be overridden
//! (staging, tests) with `<PREFIX>_ISSUER`.

use studio_core::config::{ConfigError, Vars};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthKind {
    Google,
    Apple,
    Oidc,
}

impl OAuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthKind::Google => "google",
            OAuthKind::Apple => "apple",
            OAuthKind::Oidc => "oidc",
        }
    }
}

/// What Apple needs to sign its client secret (an ES256 JWT).
#[derive(Clone, PartialEq, Eq)]
pub struct AppleSigning {
    pub team_id: String,
    pub key_id: String,
    /// The `.p8` PEM.
    pub private_key_pem: String,
}

impl std::fmt::Debug for AppleSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AppleSigning {{ team_id: {}, key_id: {} }}",
            self.team_id, self.key_id
        )
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct OAuthProviderConfig {
    pub id: String,
    pub name: String,
    pub kind: OAuthKind,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub apple: Option<AppleSigning>,
}

impl std::fmt::Debug for OAuthProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OAuthProvider {{ id: {}, issuer: {} }}",
            self.id, self.issuer
        )
    }
}

/// Every provider the environment enables, or every problem with their variables.
pub fn providers_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<OAuthProviderConfig>, Vec<ConfigError>> {
    let mut vars = Vars::new(lookup);
    let providers = Providers(&mut vars).all();
    vars.finish()?;
    Ok(providers)
}

struct Providers<'a, F>(&'a mut Vars<F>);

impl<F: Fn(&str) -> Option<String>> Providers<'_, F> {
    fn all(&mut self) -> Vec<OAuthProviderConfig> {
        let mut providers = Vec::new();
        if let Some(client_id) = self.0.optional("GOOGLE_OAUTH_CLIENT_ID") {
            let client_secret =
                self.required_with("GOOGLE_OAUTH_CLIENT_SECRET", "GOOGLE_OAUTH_CLIENT_ID");
            providers.push(OAuthProviderConfig {
                id: "google".into(),
                name: "Google".into(),
                kind: OAuthKind::Google,
                issuer: self
                    .0
                    .url("GOOGLE_OAUTH_ISSUER", "https://accounts.google.com"),
                client_id,
                client_secret,
                apple: None,
            });
        }
        if let Some(client_id) = self.0.optional("APPLE_OAUTH_CLIENT_ID") {
            let team_id = self.required_with("APPLE_TEAM_ID", "APPLE_OAUTH_CLIENT_ID");
            let key_id = self.required_with("APPLE_KEY_ID", "APPLE_OAUTH_CLIENT_ID");
            let key = self
                .required_with("APPLE_PRIVATE_KEY", "APPLE_OAUTH_CLIENT_ID")
                .and_then(|k| self.pem(k));
            providers.push(OAuthProviderConfig {
                id: "apple".into(),
                name: "Apple".into(),
                kind: OAuthKind::Apple,
                issuer: self
                    .0
                    .url("APPLE_OAUTH_ISSUER", "https://appleid.apple.com"),
                client_id,
                client_secret: None,
                apple: match (team_id, key_id, key) {
                    (Some(team_id), Some(key_id), Some(private_key_pem)) => Some(AppleSigning {
                        team_id,
                        key_id,
                        private_key_pem,
                    }),
                    _ => None,
                },
            });
        }
        for name in self.0.list("OIDC_PROVIDERS", "") {
            providers.push(self.generic(&name));
        }
        providers
    }

    fn generic(&mut self, name: &str) -> OAuthProviderConfig {
        let prefix = format!("OIDC_{}", name.to_ascii_uppercase().replace('-', "_"));
        let var = |suffix: &str| -> &'static str {
            Box::leak(format!("{prefix}_{suffix}").into_boxed_str())
        };
        let issuer_var = var("ISSUER");
        let issuer = match self.0.optional(issuer_var) {
            Some(_) => self.0.url(issuer_var, ""),
            None => {
                self.0.fail(
                    issuer_var,
                    format!("must be set because OIDC_PROVIDERS names {name}"),
                );
                String::new()
            }
        };
        let client_id = self
            .required_with(var("CLIENT_ID"), "OIDC_PROVIDERS")
            .unwrap_or_default();
        OAuthProviderConfig {
            id: name.to_ascii_lowercase(),
            name: self
                .0
                .optional(var("NAME"))
                .unwrap_or_else(|| name.to_owned()),
            kind: OAuthKind::Oidc,
            issuer,
            client_id,
            client_secret: self.0.optional(var("CLIENT_SECRET")),
            apple: None,
        }
    }

    fn required_with(&mut self, var: &'static str, because: &str) -> Option<String> {
        let value = self.0.optional(var);
        if value.is_none() {
            self.0.fail(var, format!("must be set when {because} is"));
        }
        value
    }

    /// A PEM given inline, or the path of a file holding it.
    fn pem(&mut self, value: String) -> Option<String> {
        if value.contains("-----BEGIN") {
            return Some(value.replace("\\n", "\n"));
        }
        match std::fs::read_to_string(&value) {
            Ok(pem) if pem.contains("-----BEGIN") => Some(pem),
            _ => {
                self.0.fail(
                    "APPLE_PRIVATE_KEY",
                    "must be the .p8 PEM or the path of a file holding it",
                );
                None
            }
        }
    }
}
