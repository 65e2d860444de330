//! `mqnamesrv`: starts a name server, as Apache RocketMQ's `bin/mqnamesrv` is used.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

/// mimalloc: glibc malloc showed up as a third of the broker's CPU under load (many small
/// header/ext-field allocations across threads).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use rmq_nameserver::NamesrvConfig;

/// Command line of `mqnamesrv`.
#[derive(Parser, Debug)]
#[command(name = "mqnamesrv", version, about = "RocketMQ-compatible name server")]
struct Cli {
    /// Config file (properties format: listenPort, kvConfigPath, ...).
    #[arg(short = 'c', long = "configFile")]
    config_file: Option<PathBuf>,
    /// Print the effective configuration and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    print_config: bool,
    /// Override: port to listen on.
    #[arg(long = "listenPort")]
    listen_port: Option<u16>,
    /// Override: address to bind.
    #[arg(long = "bindAddress")]
    bind_address: Option<String>,
    /// Log directory (default ~/logs/rocketmqlogs, or ROCKETMQ_LOG_DIR).
    #[arg(long, env = "ROCKETMQ_LOG_DIR")]
    log_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (mut config, unknown) = match &cli.config_file {
        Some(path) => NamesrvConfig::from_file(path).with_context(|| format!("loading {}", path.display()))?,
        None => {
            let mut config = NamesrvConfig::default();
            config.load_store_copy().context("loading the runtime changes at configStorePath")?;
            (config, Vec::new())
        }
    };
    if let Some(p) = cli.listen_port {
        config.listen_port = p;
    }
    if let Some(b) = cli.bind_address {
        config.bind_address = b;
    }
    if cli.print_config {
        print!("{}", rmq_nameserver::config::render(&config.to_pairs()));
        return Ok(());
    }
    init_logs(cli.log_dir, &config)?;
    if !unknown.is_empty() {
        tracing::warn!(keys = ?unknown, "unknown config keys (ignored)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(rmq_nameserver::run(config, shutdown_signal())).context("name server failed")
}

/// Starts file logging as the name server's log keys say.
fn init_logs(dir: Option<PathBuf>, config: &NamesrvConfig) -> anyhow::Result<()> {
    let log_dir = dir.unwrap_or_else(rmq_logging::default_log_dir);
    let format = rmq_logging::LogFormat::parse(&config.log_format)
        .with_context(|| format!("logFormat={}: expected text or json", config.log_format))?;
    let opts =
        rmq_logging::LogOptions { format, max_file_size: config.log_max_file_size, max_files: config.log_max_files };
    rmq_logging::init_with(&log_dir, "namesrv.log", opts)?;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
