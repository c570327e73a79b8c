//! The Studio gateway: composes the domain crates into one actix-web application.
//! Wiring, routing and middleware only; behaviour lives in the crates.

pub mod app;
pub mod cli;
pub mod errors;
pub mod extractors;
pub mod fd_limit;
mod limits;
pub mod metrics;
pub mod middleware;
pub mod negotiate;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use startup::Application;

/// The binary: configuration from the environment (and `.env`), then `migrate` or serve until
/// a signal. Exit code 2 for bad configuration.
pub fn run_from_env() -> std::process::ExitCode {
    // `studio-gateway openapi`: the OpenAPI document, needing no configuration.
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        print!("{}", openapi::to_json(&openapi::document()));
        return std::process::ExitCode::SUCCESS;
    }
    let config = studio_core::Config::from_env();
    // `from_env` has loaded `.env`, so the providers see the same variables.
    let oauth = studio_auth::oauth::providers_from_lookup(|name| std::env::var(name).ok());
    let (config, oauth) = match (config, oauth) {
        (Ok(config), Ok(oauth)) => (config, oauth),
        (config, oauth) => {
            let errors = config.err().into_iter().chain(oauth.err()).flatten();
            for error in errors {
                eprintln!("configuration error: {error}");
            }
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(config.is_production());
    // awc's rustls has no crypto provider of its own; without one the first client panics.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let migrate_only = args.first().map(String::as_str) == Some("migrate");
    if args.first().map(String::as_str) == Some("admin") {
        let ran = actix_web::rt::System::new().block_on(cli::run(config, &args[1..]));
        return ran.unwrap_or_else(|error| {
            eprintln!("studio-gateway admin: {error:#}");
            std::process::ExitCode::FAILURE
        });
    }
    let result = actix_web::rt::System::new().block_on(async move {
        if migrate_only {
            let applied = studio_core::db::run_migrations(&config.database).await?;
            println!(
                "applied {} migration(s): {}",
                applied.len(),
                applied.join(", ")
            );
            return anyhow::Ok(());
        }
        let app = startup::Application::build(config, oauth).await?;
        app.run_until_stopped().await?;
        anyhow::Ok(())
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("studio-gateway: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
