fn main() -> std::process::ExitCode {
    studio_gateway::run_from_env()
}
