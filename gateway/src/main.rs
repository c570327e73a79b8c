use studio_core::Config;
use studio_gateway::{telemetry, Application};

fn main() -> std::process::ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            for error in errors {
                eprintln!("configuration error: {error}");
            }
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(config.is_production());
    // awc's rustls has no crypto provider of its own; without one the first client panics.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let migrate_only = std::env::args().nth(1).as_deref() == Some("migrate");
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
        let app = Application::build(config).await?;
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
