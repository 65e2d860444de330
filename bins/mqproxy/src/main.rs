//! `mqproxy`: starts the gRPC proxy in cluster mode, as Apache RocketMQ's `bin/mqproxy`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use rmq_proxy::ProxyConfig;

/// Command line of `mqproxy`.
#[derive(Parser, Debug)]
#[command(name = "mqproxy", version, about = "RocketMQ 5.x gRPC proxy (cluster mode)")]
struct Cli {
    /// Config file (properties format: grpcServerPort, namesrvAddr, ...).
    #[arg(short = 'c', long = "configFile")]
    config_file: Option<PathBuf>,
    /// Override: name servers, `host:port;host:port`.
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
    let mut config = match &cli.config_file {
        Some(path) => ProxyConfig::from_file(path).with_context(|| format!("loading {}", path.display()))?,
        None => ProxyConfig::default(),
    };
    if let Some(n) = cli.namesrv_addr {
        config.namesrv_addr = n;
    }
    if cli.print_config {
        print!("{}", rmq_proxy::config::render(&config.to_pairs()));
        return Ok(());
    }
    let log_dir = cli.log_dir.unwrap_or_else(rmq_logging::default_log_dir);
    rmq_logging::init(&log_dir, "proxy.log")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(rmq_proxy::run(config, shutdown_signal())).context("proxy failed")
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
