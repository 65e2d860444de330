//! `mqconsole`: the web console (`rmq-console`) on port 8080: cluster, topics, groups,
//! messages, traces and charts. Read-only unless started with `--admin`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use rmq_console::ConsoleConfig;

/// Command line of `mqconsole`; every flag is also a key of the `-c` properties file.
#[derive(Parser, Debug)]
#[command(name = "mqconsole", version, about = "RocketMQ web console")]
struct Cli {
    /// Properties file with the keys below (flags win).
    #[arg(short = 'c', long = "configFile")]
    config_file: Option<PathBuf>,
    /// Name server addresses, `host:port;host:port`.
    #[arg(short = 'n', long = "namesrvAddr", env = "NAMESRV_ADDR")]
    namesrv: Option<String>,
    /// Interface to serve on (default 127.0.0.1).
    #[arg(long = "listenAddress")]
    listen_address: Option<String>,
    /// HTTP port (default 8080).
    #[arg(long = "listenPort")]
    listen_port: Option<u16>,
    /// Allow changes: create/delete topics, reset offsets, resend messages.
    #[arg(long)]
    admin: bool,
    /// ACL AccessKey: sign every request with this account (with --secretKey).
    #[arg(long = "accessKey", env = "ROCKETMQ_ACCESS_KEY")]
    access_key: Option<String>,
    /// ACL SecretKey of --accessKey.
    #[arg(long = "secretKey", env = "ROCKETMQ_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Seconds between the charts' samples (default 10).
    #[arg(long = "sampleIntervalSecs")]
    sample_interval: Option<u64>,
    /// Minutes of samples kept (default 60).
    #[arg(long = "historyMinutes")]
    history: Option<u64>,
    /// Log directory (default ~/logs/rocketmqlogs, or ROCKETMQ_LOG_DIR).
    #[arg(long, env = "ROCKETMQ_LOG_DIR")]
    log_dir: Option<PathBuf>,
}

/// The file's keys, then the flags given.
fn load(cli: &Cli) -> anyhow::Result<ConsoleConfig> {
    let mut config = ConsoleConfig::default();
    let mut set = |k: &str, v: &str| config.set(k, v).map_err(anyhow::Error::msg);
    if let Some(path) = &cli.config_file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (k, v) in rmq_common::properties::read_properties(&text) {
            set(&k, &v)?;
        }
    }
    let flags = [
        ("namesrvAddr", cli.namesrv.clone()),
        ("listenAddress", cli.listen_address.clone()),
        ("listenPort", cli.listen_port.map(|p| p.to_string())),
        ("admin", cli.admin.then(|| "true".to_owned())),
        ("accessKey", cli.access_key.clone()),
        ("secretKey", cli.secret_key.clone()),
        ("sampleIntervalSecs", cli.sample_interval.map(|s| s.to_string())),
        ("historyMinutes", cli.history.map(|m| m.to_string())),
    ];
    for (k, v) in flags {
        if let Some(v) = v {
            set(k, &v)?;
        }
    }
    config.check().map_err(anyhow::Error::msg)?;
    if config.namesrv_addr.is_none() {
        anyhow::bail!("no name server: pass -n host:port or set NAMESRV_ADDR");
    }
    Ok(config)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = load(&cli)?;
    rmq_logging::init_server(cli.log_dir.clone(), "console.log", rmq_logging::LogOptions::default())
        .context("setting up logs")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let listener = rmq_console::bind(&config).await?;
        let console = rmq_console::Console::connect(config).await?;
        rmq_console::serve(console, listener).await
    })?;
    Ok(())
}
