//! `mqbroker`: starts a broker, as Apache RocketMQ's `bin/mqbroker` is used.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

/// mimalloc: glibc malloc showed up as a third of the broker's CPU under load (many small
/// header/ext-field allocations across threads).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line of `mqbroker`.
#[derive(Parser, Debug)]
#[command(name = "mqbroker", version, about = "RocketMQ-compatible broker")]
struct Cli {
    /// Broker config file (properties format, official key names).
    #[arg(short = 'c', long = "configFile")]
    config_file: Option<PathBuf>,
    /// Name server addresses, `;`-separated (overrides the file and NAMESRV_ADDR).
    #[arg(short = 'n', long = "namesrvAddr")]
    namesrv_addr: Option<String>,
    /// Print the effective configuration and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    print_config: bool,
    /// Log directory (default ~/logs/rocketmqlogs, or ROCKETMQ_LOG_DIR).
    #[arg(long, env = "ROCKETMQ_LOG_DIR")]
    log_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (mut config, ignored) = match &cli.config_file {
        Some(path) => {
            let (mut config, ignored) =
                rmq_broker::BrokerConfig::from_file(path).with_context(|| format!("loading {}", path.display()))?;
            // UPDATE_BROKER_CONFIG persists to the file the broker was started with.
            config.identity.broker_config_path.get_or_insert_with(|| path.display().to_string());
            (config, ignored)
        }
        None => (rmq_broker::BrokerConfig::default(), Vec::new()),
    };
    if let Some(n) =
        cli.namesrv_addr.or_else(|| std::env::var("NAMESRV_ADDR").ok().filter(|_| config.net.namesrv_addr.is_none()))
    {
        config.net.namesrv_addr = Some(n);
    }
    config.validate().context("invalid broker configuration")?;
    if cli.print_config {
        print!("{}", rmq_broker::config::render(&config.to_pairs()));
        return Ok(());
    }
    init_logs(cli.log_dir, &config.log)?;
    if !ignored.is_empty() {
        tracing::warn!(keys = ?ignored, "unknown config keys (ignored)");
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(config.worker_threads()).enable_all().build()?;
    runtime.block_on(rmq_broker::run(config, shutdown_signal())).context("broker failed")
}

/// Starts file logging as the broker's log keys say.
fn init_logs(dir: Option<PathBuf>, log: &rmq_broker::config::groups::LogSettings) -> anyhow::Result<()> {
    let opts = rmq_logging::LogOptions::from_keys(&log.log_format, log.log_max_file_size, log.log_max_files)?;
    rmq_logging::init_server(dir, "broker.log", opts)?;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
