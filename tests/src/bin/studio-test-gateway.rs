//! The gateway binary, built with the tests so that a test can run it as its own process
//! (and measure that process alone).

fn main() -> std::process::ExitCode {
    studio_gateway::run_from_env()
}
