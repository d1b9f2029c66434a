use clap::Parser;

#[actix_web::main]
async fn main() {
    asn_eligibility::telemetry::init();
    let cli = asn_eligibility::cli::Cli::parse();
    if let Err(e) = asn_eligibility::cli::run(cli).await {
        eprintln!("asn-eligibility: {e:#}");
        std::process::exit(1);
    }
}
