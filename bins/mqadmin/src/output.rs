//! How results reach the user: aligned tables (default) or JSON (`--json`) on stdout, a running
//! count on stderr, and one-line errors with an exit code per kind of failure.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use rmq_admin::{AdminError, ErrorKind, Target};
use serde::Serialize;

/// Exit code: the server refused the request, or anything not listed below.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad arguments (also clap's own usage errors) or no name server given.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: no such topic, group, cluster, broker or message (no route info).
pub const EXIT_NOT_FOUND: u8 = 3;
/// Exit code: a name server or broker refused the connection or closed it.
pub const EXIT_UNREACHABLE: u8 = 4;
/// Exit code: a name server or broker did not answer in time.
pub const EXIT_TIMEOUT: u8 = 5;

/// `-b brokerAddr` or `-c clusterName`, exactly one.
#[derive(Args, Debug, Clone)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// Broker address, host:port.
    #[arg(short = 'b', long = "brokerAddr")]
    broker: Option<String>,
    /// Cluster name (its masters).
    #[arg(short = 'c', long = "clusterName")]
    cluster: Option<String>,
}

impl TargetArgs {
    /// The admin API's target.
    pub fn target(&self) -> Target {
        match (&self.broker, &self.cluster) {
            (Some(b), _) => Target::Broker(b.trim().to_owned()),
            (None, Some(c)) => Target::Cluster(c.trim().to_owned()),
            (None, None) => Target::Cluster(String::new()),
        }
    }
}

/// Where and how to print.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
    progress: bool,
    tty: bool,
}

impl Output {
    /// Tables unless `json`; progress on stderr when it is a terminal or MQADMIN_PROGRESS=1.
    pub fn new(json: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let forced = std::env::var("MQADMIN_PROGRESS").is_ok_and(|v| v == "1");
        Self { json, progress: tty || forced, tty }
    }

    /// Prints `data` as JSON, or the text `table` renders.
    pub fn print<T: Serialize>(&self, data: &T, table: impl FnOnce() -> String) -> anyhow::Result<()> {
        let text = if self.json { serde_json::to_string_pretty(data)? + "\n" } else { table() };
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// A `(done, total)` reporter: one rewritten line on a terminal, plain lines otherwise.
    pub fn progress(&self, unit: &'static str) -> impl Fn(usize, usize) + Sync {
        let Self { progress, tty, .. } = *self;
        move |done: usize, total: usize| {
            if !progress || total == 0 {
                return;
            }
            let mut err = std::io::stderr().lock();
            let _ = if tty {
                let end = if done >= total { "\r\x1b[K" } else { "" };
                write!(err, "\r{unit}: {done}/{total}{end}")
            } else {
                writeln!(err, "{unit}: {done}/{total}")
            };
        }
    }
}

/// An aligned text table with `#`-prefixed headers, as the official tools print.
#[derive(Debug)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(headers: &[&str]) -> Self {
        Self { headers: headers.iter().map(|h| format!("#{h}")).collect(), rows: Vec::new() }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, columns two spaces apart, the last one unpadded.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let mut out = String::new();
        for r in std::iter::once(&self.headers).chain(&self.rows) {
            let last = r.len().saturating_sub(1);
            for (i, c) in r.iter().enumerate() {
                if i == last {
                    out.push_str(c);
                } else {
                    let pad = widths.get(i).copied().unwrap_or(0);
                    out.push_str(&format!("{c:<pad$}  "));
                }
            }
            out.push('\n');
        }
        out
    }
}

/// A time for humans (`N/A` when unset).
pub fn time(ms: i64) -> String {
    if ms <= 0 {
        "N/A".to_owned()
    } else {
        rmq_admin::time::display(ms)
    }
}

/// Prints the error as one line on stderr and returns its exit code.
pub fn fail(e: &anyhow::Error) -> ExitCode {
    let code = match e.downcast_ref::<AdminError>().map(AdminError::kind) {
        Some(ErrorKind::NotFound) => EXIT_NOT_FOUND,
        Some(ErrorKind::Unreachable) => EXIT_UNREACHABLE,
        Some(ErrorKind::Timeout) => EXIT_TIMEOUT,
        Some(ErrorKind::Invalid) => EXIT_USAGE,
        Some(ErrorKind::Failed) | None => EXIT_FAILED,
    };
    let text: String = format!("{e:#}").split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("mqadmin: error: {text}");
    ExitCode::from(code)
}
