//! Safe persistence of JSON config files (topics.json, consumerOffset.json, ...): write
//! `<file>.tmp`, keep the previous content as `<file>.bak`, rename tmp over the file. Loading
//! falls back to `.bak` when the main file is missing or unreadable.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Errors of config persistence.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// File system failure.
    #[error("{path}: {cause}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        cause: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
    move |cause| PersistError::Io { path: path.to_owned(), cause }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Atomically replaces `path` with `content`, keeping the old content in `<path>.bak`.
pub fn write_atomic(path: &Path, content: &str) -> Result<(), PersistError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = with_suffix(path, ".tmp");
    {
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(content.as_bytes()).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    if path.exists() {
        let bak = with_suffix(path, ".bak");
        std::fs::copy(path, &bak).map_err(io(&bak))?;
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Reads `path`, or `<path>.bak` when the main file is missing or `parse` rejects it.
/// `None` when neither holds usable content.
pub fn load_with_backup<T>(path: &Path, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    for candidate in [path.to_owned(), with_suffix(path, ".bak")] {
        if let Ok(text) = std::fs::read_to_string(&candidate) {
            if text.trim().is_empty() {
                continue;
            }
            if let Some(v) = parse(&text) {
                return Some(v);
            }
            tracing::warn!(file = %candidate.display(), "unparsable config file, trying backup");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_keeps_backup() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config").join("x.json");
        write_atomic(&p, "one").unwrap();
        write_atomic(&p, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(with_suffix(&p, ".bak")).unwrap(), "one");
    }

    #[test]
    fn falls_back_to_backup_when_main_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        write_atomic(&p, "1").unwrap();
        write_atomic(&p, "2").unwrap();
        std::fs::write(&p, "garbage").unwrap();
        let v = load_with_backup(&p, |t| t.trim().parse::<i32>().ok());
        assert_eq!(v, Some(1));
        std::fs::remove_file(&p).unwrap();
        assert_eq!(load_with_backup(&p, |t| t.trim().parse::<i32>().ok()), Some(1));
    }
}
