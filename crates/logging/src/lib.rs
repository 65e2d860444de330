//! Log setup for the binaries: stdout and a file under the log dir, filtered by RUST_LOG.
//! Only binaries depend on this crate; libraries emit `tracing` events and leave the
//! subscriber to whoever runs them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// `~/logs/rocketmqlogs`, as the official scripts use.
#[must_use]
pub fn default_log_dir() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from).join("logs").join("rocketmqlogs")
}

/// Installs the global subscriber: stdout plus `<dir>/<file>` (appended).
pub fn init(dir: &Path, file: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(file))?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_target(false))
        .with(fmt::layer().with_ansi(false).with_target(false).with_writer(Mutex::new(log)))
        .try_init();
    Ok(())
}
