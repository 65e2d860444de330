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

/// The config file (or the defaults with the runtime changes) and the command-line overrides;
/// with the file's unknown keys.
fn load_config(cli: &Cli) -> anyhow::Result<(NamesrvConfig, Vec<String>)> {
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
    if let Some(b) = &cli.bind_address {
        config.bind_address.clone_from(b);
    }
    Ok((config, unknown))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (config, unknown) = load_config(&cli)?;
    if cli.print_config {
        print!("{}", rmq_nameserver::config::render(&config.to_pairs()));
        return Ok(());
    }
    let controller = embedded_controller(&cli, &config)?;
    init_logs(cli.log_dir.clone(), &config)?;
    // Keys of the embedded controller are not unknown.
    let unknown: Vec<String> = match &controller {
        Some((_, rest)) => unknown.into_iter().filter(|k| rest.contains(k)).collect(),
        None => unknown,
    };
    if !unknown.is_empty() {
        tracing::warn!(keys = ?unknown, "unknown config keys (ignored)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    match controller {
        None => runtime.block_on(rmq_nameserver::run(config, shutdown_signal())).context("name server failed"),
        Some((controller, _)) => runtime.block_on(serve_both(config, controller)),
    }
}

/// The name server and its embedded controller, stopped together by one signal.
async fn serve_both(config: NamesrvConfig, controller: rmq_controller::ControllerConfig) -> anyhow::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let signal = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    let (_, ns, ctl) = tokio::join!(
        signal,
        rmq_nameserver::run(config, wait(stopped.clone())),
        rmq_controller::run(controller, wait(stopped))
    );
    ns.context("name server failed")?;
    ctl.context("controller failed")
}

/// With `enableControllerInNamesrv=true`, the controller's settings from the same file and
/// the keys that neither knows.
fn embedded_controller(
    cli: &Cli,
    config: &NamesrvConfig,
) -> anyhow::Result<Option<(rmq_controller::ControllerConfig, Vec<String>)>> {
    if !config.enable_controller_in_namesrv {
        return Ok(None);
    }
    let path = cli.config_file.as_ref().context("enableControllerInNamesrv needs a config file (-c)")?;
    let found = rmq_controller::ControllerConfig::embedded(path, NamesrvConfig::KEYS).context("controller settings")?;
    Ok(Some(found))
}

/// Starts file logging as the name server's log keys say.
fn init_logs(dir: Option<PathBuf>, config: &NamesrvConfig) -> anyhow::Result<()> {
    let opts = rmq_logging::LogOptions::from_keys(&config.log_format, config.log_max_file_size, config.log_max_files)?;
    rmq_logging::init_server(dir, "namesrv.log", opts)?;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
