//! A log file rolled by size and by day, keeping a bounded number of old files: `<name>` is
//! written; when the next line would take it past `max_file_size` bytes, or the UTC day
//! changes, it becomes `<name>.1` (older ones shift to `.2`, ... and the one past `max_files`
//! is deleted), as logback's fixed-window rolling policy does for RocketMQ's logs.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The open file and what decides its next roll.
#[derive(Debug)]
pub struct RollingFile {
    path: PathBuf,
    file: File,
    size: u64,
    day: u64,
    max_file_size: u64,
    max_files: usize,
}

fn today() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400)
}

fn day_of(path: &Path) -> Option<u64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(modified.duration_since(UNIX_EPOCH).ok()?.as_secs() / 86_400)
}

impl RollingFile {
    /// Opens (appends to) `path`; rolls files larger than `max_file_size` (at least 1 byte)
    /// and keeps at most `max_files` rolled files.
    pub fn open(path: &Path, max_file_size: u64, max_files: usize) -> io::Result<Self> {
        let day = day_of(path).unwrap_or_else(today);
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        let mut r = Self { path: path.to_owned(), file, size, day, max_file_size: max_file_size.max(1), max_files };
        if r.day != today() {
            r.roll()?;
        }
        Ok(r)
    }

    fn rolled(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// Shifts `<name>.k` to `<name>.k+1` (dropping the oldest), `<name>` to `<name>.1`, and
    /// starts an empty `<name>`.
    fn roll(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.max_files == 0 {
            let _ = std::fs::remove_file(&self.path);
        } else {
            let _ = std::fs::remove_file(self.rolled(self.max_files));
            for n in (1..self.max_files).rev() {
                let _ = std::fs::rename(self.rolled(n), self.rolled(n + 1));
            }
            std::fs::rename(&self.path, self.rolled(1))?;
        }
        self.file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        self.size = 0;
        self.day = today();
        Ok(())
    }
}

impl Write for RollingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let full = self.size > 0 && self.size + buf.len() as u64 > self.max_file_size;
        if full || self.day != today() {
            self.roll()?;
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn rolls_by_size_and_keeps_at_most_max_files() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("broker.log");
        let mut f = RollingFile::open(&path, 20, 2)?;
        for i in 0..5 {
            f.write_all(format!("line {i} of 12 b\n").as_bytes())?;
        }
        f.flush()?;
        assert_eq!(files(dir.path()), ["broker.log", "broker.log.1", "broker.log.2"]);
        assert_eq!(std::fs::read_to_string(&path)?, "line 4 of 12 b\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("broker.log.1"))?, "line 3 of 12 b\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("broker.log.2"))?, "line 2 of 12 b\n");
        Ok(())
    }

    #[test]
    fn appends_below_the_size_and_rolls_a_file_from_an_earlier_day() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("namesrv.log");
        std::fs::write(&path, "old\n")?;
        let yesterday = SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
        File::options().write(true).open(&path)?.set_modified(yesterday)?;
        let mut f = RollingFile::open(&path, 1 << 20, 3)?;
        f.write_all(b"new\n")?;
        f.write_all(b"newer\n")?;
        assert_eq!(std::fs::read_to_string(&path)?, "new\nnewer\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("namesrv.log.1"))?, "old\n");
        Ok(())
    }
}
