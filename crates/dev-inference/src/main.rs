//! The dev inference server as a process: configured from the environment, serves until
//! Ctrl-C (or SIGTERM), then lets in-flight requests finish.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let config = match studio_dev_inference::DevConfig::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("studio-dev-inference: {err}");
            std::process::exit(2);
        }
    };
    let server = studio_dev_inference::start(config).await?;
    println!("studio-dev-inference listening on {}", server.base_url());
    shutdown_signal().await?;
    server.handle.stop(true).await;
    Ok(())
}

#[cfg(unix)]
async fn shutdown_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
