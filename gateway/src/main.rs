/// mimalloc instead of glibc's malloc: fewer instructions per allocation on the request path and
/// less memory held per open connection (see README "Benchmarks").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    studio_gateway::run_from_env()
}
