//! `mqcontroller`: starts a standalone controller, as Apache RocketMQ's `bin/mqcontroller`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use rmq_controller::ControllerConfig;

/// See mqnamesrv: mimalloc for the many small allocations of the transport.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line of `mqcontroller`.
#[derive(Parser, Debug)]
#[command(name = "mqcontroller", version, about = "RocketMQ-compatible controller (controller mode)")]
struct Cli {
    /// Config file (controller.conf: controllerDLegerPeers, controllerDLegerSelfId, ...).
    #[arg(short = 'c', long = "configFile")]
    config_file: Option<PathBuf>,
    /// Print the effective configuration and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    print_config: bool,
    /// Log directory (default ~/logs/rocketmqlogs, or ROCKETMQ_LOG_DIR).
    #[arg(long, env = "ROCKETMQ_LOG_DIR")]
    log_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (config, unknown) = match &cli.config_file {
        Some(path) => ControllerConfig::from_file(path).with_context(|| format!("loading {}", path.display()))?,
        None => (ControllerConfig::default(), Vec::new()),
    };
    if cli.print_config {
        print!("{}", rmq_controller::config::render(&config.to_pairs()));
        return Ok(());
    }
    init_logs(cli.log_dir, &config)?;
    if !unknown.is_empty() {
        tracing::warn!(keys = ?unknown, "unknown config keys (ignored)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(rmq_controller::run(config, shutdown_signal())).context("controller failed")
}

/// Starts file logging as the controller's log keys say.
fn init_logs(dir: Option<PathBuf>, config: &ControllerConfig) -> anyhow::Result<()> {
    let opts = rmq_logging::LogOptions::from_keys(&config.log_format, config.log_max_file_size, config.log_max_files)?;
    rmq_logging::init_server(dir, "controller.log", opts)?;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
