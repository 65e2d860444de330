//! `mqadmin`: the admin command line, with the official mqadmin's command names and flags.
//! Each command lives in the module of its group; output and exit codes in `output`.

mod acl;
mod auth;
mod cluster;
mod controller;
mod export;
mod group;
mod message;
mod offset;
mod ops;
mod output;
mod topic;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rmq_admin::Admin;

const EXIT_CODES: &str = "Exit codes: 0 ok, 1 refused by the server, 2 bad arguments or no name server, \
3 no such topic/group/cluster/broker/message, 4 connection refused or closed, 5 timeout.";

/// Command line of `mqadmin`.
#[derive(Parser, Debug)]
#[command(name = "mqadmin", version, about = "RocketMQ admin tool", after_help = EXIT_CODES)]
struct Cli {
    /// Name server addresses, `host:port;host:port`.
    #[arg(short = 'n', long = "namesrvAddr", global = true, env = "NAMESRV_ADDR")]
    namesrv: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Timeout of each request, ms.
    #[arg(long = "timeoutMillis", global = true, default_value_t = 3000)]
    timeout_ms: u64,
    /// ACL AccessKey: sign every request with this account (with --secretKey).
    #[arg(long = "accessKey", global = true, env = "ROCKETMQ_ACCESS_KEY")]
    access_key: Option<String>,
    /// ACL SecretKey of --accessKey.
    #[arg(long = "secretKey", global = true, env = "ROCKETMQ_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Connect with TLS (as the Java tool's `-Dtls.enable=true`), trusting any server certificate.
    #[arg(long, global = true)]
    tls: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Cluster(cluster::Cmd),
    #[command(flatten)]
    Topic(topic::Cmd),
    #[command(flatten)]
    Group(group::Cmd),
    #[command(flatten)]
    Offset(offset::Cmd),
    #[command(flatten)]
    Message(message::Cmd),
    #[command(flatten)]
    Ops(ops::Cmd),
    #[command(flatten)]
    Export(export::Cmd),
    #[command(flatten)]
    Controller(controller::Cmd),
    #[command(flatten)]
    Acl(acl::Cmd),
    #[command(flatten)]
    Auth(auth::Cmd),
}

/// The ACL account of `--accessKey`/`--secretKey` (both or neither).
fn credentials(ak: Option<String>, sk: Option<String>) -> anyhow::Result<Option<rmq_acl::Credentials>> {
    match (ak, sk) {
        (Some(ak), Some(sk)) => Ok(Some(rmq_acl::Credentials::new(ak, sk))),
        (None, None) => Ok(None),
        _ => anyhow::bail!(rmq_admin::AdminError::Invalid("--accessKey and --secretKey go together".into())),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Controller commands talk to the controller only: it stands in for the name server.
    let controller_only = match &cli.command {
        Command::Controller(c) if !c.needs_namesrv() => Some(c.controller_addr()),
        _ => None,
    };
    let namesrv = cli.namesrv.filter(|n| !n.trim().is_empty()).or(controller_only);
    if namesrv.is_none() {
        anyhow::bail!(rmq_admin::AdminError::Invalid("no name server: pass -n host:port or set NAMESRV_ADDR".into()));
    }
    let mut config = Admin::config(namesrv.as_deref(), Duration::from_millis(cli.timeout_ms));
    config.credentials = credentials(cli.access_key, cli.secret_key)?;
    if cli.tls {
        config = config.with_tls();
    }
    let admin = Admin::connect_with(config).await?;
    let result = dispatch(cli.command, &admin, output::Output::new(cli.json)).await;
    admin.shutdown();
    result
}

/// Runs one command family against a connected admin.
async fn dispatch(command: Command, admin: &Admin, out: output::Output) -> anyhow::Result<()> {
    match command {
        Command::Cluster(c) => c.run(admin, out).await,
        Command::Topic(c) => c.run(admin, out).await,
        Command::Group(c) => c.run(admin, out).await,
        Command::Offset(c) => c.run(admin, out).await,
        Command::Message(c) => c.run(admin, out).await,
        Command::Ops(c) => c.run(admin, out).await,
        Command::Export(c) => c.run(admin, out).await,
        Command::Controller(c) => c.run(admin, out).await,
        Command::Acl(c) => c.run(admin, out).await,
        Command::Auth(c) => c.run(admin, out).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(controller::rewrite_args(std::env::args()));
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return output::fail(&e.into()),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => output::fail(&e),
    }
}
