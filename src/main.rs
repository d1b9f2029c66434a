use clap::Parser;

/// mimalloc: glibc's allocator spent two thirds of an import's parsing in malloc and free
/// (rows are parsed on one thread and freed on another), and a tenth of a request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's own options (`mimalloc.h`, `mi_option_e`, mimalloc 3 as libmimalloc-sys 0.1
// builds it by default). libmimalloc-sys declares them only behind its `extended` feature,
// which brings a crate of its own, for one call.
extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// mimalloc 3 keeps the pages a thread freed resident for 1 000 ms (`purge_delay`) before it
/// gives them back, and each thread has a heap of its own: a batch's buffers (on its blocking
/// thread and the two it signs and renders on), freed while the next batch allocates on
/// other threads, added up to a peak RSS of 176–210 MiB on SQLite in `benches/http.sh`'s
/// sequence (the limit is 200 MB). At 100 ms the same sequence peaked at 163–170 MiB; at
/// 10 ms at 144–151 MiB, but a SQLite batch then cost 10–15 % more CPU (purging and faulting
/// its pages in again). See the README (2026-12-04). `MIMALLOC_PURGE_DELAY` still overrides it.
/// Only the server is set so: the CLI's commands (an import, `gen-data`) keep mimalloc's
/// default, with which `cargo bench --bench import` measures them.
fn give_freed_memory_back_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set only stores an option's value (an int in a static table,
        // read atomically by the allocator); 15 is `mi_option_purge_delay` in mimalloc 3's
        // `mi_option_e`, and any value is valid for it (milliseconds).
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    }
}

#[actix_web::main]
async fn main() {
    asn_eligibility::telemetry::init();
    let cli = asn_eligibility::cli::Cli::parse();
    if matches!(
        cli.command,
        None | Some(asn_eligibility::cli::Command::Serve)
    ) {
        give_freed_memory_back_soon();
    }
    if let Err(e) = asn_eligibility::cli::run(cli).await {
        eprintln!("asn-eligibility: {e:#}");
        std::process::exit(1);
    }
}
