use clap::Parser;

/// mimalloc: glibc's allocator spent two thirds of an import's parsing in malloc and free
/// (rows are parsed on one thread and freed on another), and a tenth of a request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() {
    asn_eligibility::telemetry::init();
    let cli = asn_eligibility::cli::Cli::parse();
    if let Err(e) = asn_eligibility::cli::run(cli).await {
        eprintln!("asn-eligibility: {e:#}");
        std::process::exit(1);
    }
}
