use std::collections::HashMap;

use super::*;

fn config_from(pairs: &[(&str, &str)]) -> Result<Config, Vec<ConfigError>> {
    let vars: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

const STRONG: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn defaults_need_no_configuration() {
    let config = config_from(&[]).unwrap();
    assert_eq!(config.environment, Environment::Development);
    assert_eq!(config.bind.to_string(), "127.0.0.1:8000");
    assert_eq!(
        config.database,
        DatabaseTarget::Sqlite(PathBuf::from("./data/studio.db"))
    );
    assert_eq!(
        config.generated_secrets,
        vec!["JWT_SECRET_KEY", "SECRET_KEY"]
    );
    assert!(config.jwt_secret.len() >= MIN_SECRET_BYTES);
    assert_eq!(config.cors_allowed_origins, vec!["http://localhost:5173"]);
    assert_eq!(config.max_body_bytes, 1024 * 1024);
}

#[test]
fn production_refuses_missing_and_weak_secrets() {
    let errors =
        config_from(&[("STUDIO_ENV", "production"), ("JWT_SECRET_KEY", "short")]).unwrap_err();
    let vars: Vec<_> = errors.iter().map(|e| e.var).collect();
    assert_eq!(vars, vec!["JWT_SECRET_KEY", "SECRET_KEY"]);
    assert!(errors[0].to_string().contains("too weak"));
    assert!(errors[1].to_string().contains("must be set"));
}

#[test]
fn production_accepts_strong_secrets() {
    let config = config_from(&[
        ("STUDIO_ENV", "production"),
        ("JWT_SECRET_KEY", STRONG),
        ("SECRET_KEY", STRONG),
    ])
    .unwrap();
    assert!(config.generated_secrets.is_empty());
    assert!(config.cors_allowed_origins.is_empty());
}

#[test]
fn each_bad_value_is_named_with_its_problem() {
    let errors = config_from(&[
        ("STUDIO_ENV", "staging"),
        ("STUDIO_BIND", "localhost"),
        ("DATABASE_URL", "mysql://x"),
        ("FRONTEND_URL", "not a url"),
        ("CORS_ALLOWED_ORIGINS", "http://ok.example, nope"),
        ("JWT_ACCESS_TOKEN_LIFETIME", "0"),
    ])
    .unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for var in [
        "STUDIO_ENV",
        "STUDIO_BIND",
        "DATABASE_URL",
        "FRONTEND_URL",
        "CORS_ALLOWED_ORIGINS",
        "JWT_ACCESS_TOKEN_LIFETIME",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("{var}: "))),
            "{var} missing from {lines:?}"
        );
    }
}

#[test]
fn database_url_scheme_picks_the_backend() {
    let sqlite = config_from(&[("DATABASE_URL", "sqlite:///tmp/x/studio.db")]).unwrap();
    assert_eq!(
        sqlite.database,
        DatabaseTarget::Sqlite(PathBuf::from("/tmp/x/studio.db"))
    );
    let pg = config_from(&[("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")]).unwrap();
    assert_eq!(
        pg.database,
        DatabaseTarget::Postgres("postgres://postgres@127.0.0.1:5432/test".into())
    );
    assert!(config_from(&[("DATABASE_URL", "sqlite://:memory:")]).is_err());
}

#[test]
fn media_defaults_to_local_files_and_s3_needs_a_bucket() {
    let config = config_from(&[]).unwrap();
    assert_eq!(config.media.root, PathBuf::from("./media"));
    assert_eq!(config.media.url, "/media/");
    assert_eq!(config.media.url_ttl_secs, 3600);
    assert!(config.media.s3.is_none());
    let config = config_from(&[
        ("MEDIA_URL", "https://studio.example.com/files"),
        ("STUDIO_S3_BUCKET", "images"),
        ("STUDIO_S3_ENDPOINT", "http://127.0.0.1:9000/"),
        ("AWS_SECRET_ACCESS_KEY", "very-secret"),
    ])
    .unwrap();
    assert_eq!(config.media.url, "https://studio.example.com/files/");
    let s3 = config.media.s3.unwrap();
    assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(s3.region, "us-east-1");
    assert!(!format!("{s3:?}").contains("very-secret"));
    let errors = config_from(&[
        ("MEDIA_URL", "/media/../etc"),
        ("STUDIO_MEDIA_URL_TTL_SECS", "0"),
        ("STUDIO_S3_BUCKET", "images"),
        ("STUDIO_S3_ENDPOINT", "ftp://x"),
    ])
    .unwrap_err();
    let vars: Vec<_> = errors.iter().map(|e| e.var).collect();
    assert_eq!(
        vars,
        vec![
            "MEDIA_URL",
            "STUDIO_MEDIA_URL_TTL_SECS",
            "STUDIO_S3_ENDPOINT"
        ]
    );
}

#[test]
fn max_connections_defaults_to_actix_and_parses() {
    assert_eq!(config_from(&[]).unwrap().max_connections, 25_000);
    let config = config_from(&[("STUDIO_MAX_CONNECTIONS", "12000")]).unwrap();
    assert_eq!(config.max_connections, 12_000);
    let errors = config_from(&[("STUDIO_MAX_CONNECTIONS", "lots")]).unwrap_err();
    assert_eq!(errors[0].var, "STUDIO_MAX_CONNECTIONS");
    assert!(errors[0]
        .to_string()
        .contains("not a number of connections"));
}

#[test]
fn metrics_are_off_by_default_and_their_variables_are_checked() {
    let config = config_from(&[]).unwrap();
    assert!(!config.metrics_enabled());
    let on = config_from(&[("STUDIO_METRICS_BIND", "127.0.0.1:9100")]).unwrap();
    assert_eq!(on.metrics_bind, Some("127.0.0.1:9100".parse().unwrap()));
    assert!(on.metrics_enabled());
    let errors = config_from(&[("STUDIO_METRICS_BIND", "nine thousand")]).unwrap_err();
    assert_eq!(errors[0].var, "STUDIO_METRICS_BIND");
    let weak = config_from(&[
        ("STUDIO_ENV", "production"),
        ("JWT_SECRET_KEY", STRONG),
        ("SECRET_KEY", STRONG),
        ("STUDIO_METRICS_TOKEN", "short"),
    ])
    .unwrap_err();
    assert_eq!(weak[0].var, "STUDIO_METRICS_TOKEN");
}
