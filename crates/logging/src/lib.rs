//! Log setup for the binaries: stdout and a rolled file under the log dir, filtered by
//! RUST_LOG. Only binaries depend on this crate; libraries emit `tracing` events and leave the
//! subscriber to whoever runs them.
//!
//! The file rolls by size and by day with a cap on kept files ([`rolling::RollingFile`]);
//! colour escapes go to stdout only when it is a terminal (never into files, never under
//! nohup); `logFormat=json` writes JSON lines ([`json::JsonLines`]) to both.

pub mod json;
pub mod rolling;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer, Registry};

/// `~/logs/rocketmqlogs`, as the official scripts use.
#[must_use]
pub fn default_log_dir() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from).join("logs").join("rocketmqlogs")
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// `text` or `json` (any case); `None` for anything else.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "" => Some(Self::Text),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// Log options (the `logFormat`, `logMaxFileSize`, `logMaxFiles` config keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOptions {
    /// Line format; default text.
    pub format: LogFormat,
    /// A file rolls before it passes this many bytes; default 128 MiB.
    pub max_file_size: u64,
    /// Rolled files kept (`<name>.1` .. `<name>.N`); default 10.
    pub max_files: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self { format: LogFormat::Text, max_file_size: 128 * 1024 * 1024, max_files: 10 }
    }
}

impl LogOptions {
    /// The options a server's `logFormat`, `logMaxFileSize` and `logMaxFiles` keys give; an
    /// InvalidInput error naming the key when the format is neither `text` nor `json`.
    pub fn from_keys(format: &str, max_file_size: u64, max_files: usize) -> std::io::Result<Self> {
        let Some(format) = LogFormat::parse(format) else {
            let msg = format!("logFormat={format}: expected text or json");
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, msg));
        };
        Ok(Self { format, max_file_size, max_files })
    }
}

/// Installs a server's subscriber: stdout plus `<dir>/<file>` (`dir` unset: the default log
/// directory), rolled as `opts` says.
pub fn init_server(dir: Option<PathBuf>, file: &str, opts: LogOptions) -> std::io::Result<()> {
    init_with(&dir.unwrap_or_else(default_log_dir), file, opts)
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// A layer writing to `writer` in `format`, with colour only when `ansi`.
fn layer<W>(format: LogFormat, ansi: bool, writer: W) -> BoxedLayer
where
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => fmt::layer().with_ansi(ansi).with_target(false).with_writer(writer).boxed(),
        LogFormat::Json => fmt::layer().event_format(json::JsonLines).with_ansi(false).with_writer(writer).boxed(),
    }
}

/// Installs the global subscriber with the default options: stdout plus `<dir>/<file>`.
pub fn init(dir: &Path, file: &str) -> std::io::Result<()> {
    init_with(dir, file, LogOptions::default())
}

/// Installs the global subscriber: stdout plus `<dir>/<file>`, rolled as `opts` says.
pub fn init_with(dir: &Path, file: &str, opts: LogOptions) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let log = rolling::RollingFile::open(&dir.join(file), opts.max_file_size, opts.max_files)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let layers = vec![
        layer(opts.format, std::io::stdout().is_terminal(), std::io::stdout),
        layer(opts.format, false, Mutex::new(log)),
    ];
    let _ = tracing_subscriber::registry().with(layers).with(filter).try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::ErrorKind::Other)?.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(format: LogFormat, ansi: bool) -> String {
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::registry().with(vec![layer(format, ansi, move || out.clone())]);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(topic = "T", queues = 4, "topic created");
        });
        let bytes = buf.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    #[test]
    fn json_lines_carry_level_message_and_fields() {
        let text = capture(LogFormat::Json, false);
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_default();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "topic created");
        assert_eq!(line["topic"], "T");
        assert_eq!(line["queues"], 4);
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{text}");
    }

    #[test]
    fn text_has_no_colour_escapes_unless_asked() {
        let plain = capture(LogFormat::Text, false);
        assert!(plain.contains("topic created") && !plain.contains('\u{1b}'), "{plain:?}");
        let coloured = capture(LogFormat::Text, true);
        assert!(coloured.contains('\u{1b}'), "{coloured:?}");
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!(LogFormat::parse("JSON"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("xml"), None);
    }
}
