//! Files left by failed allocations (a full disk, no file descriptors): a store file shorter
//! than its fixed size whose bytes are all zero never held data, because data is only written
//! through a mapping of the whole, allocated file. Such files are removed at start instead of
//! being allocated again blindly (which fails on the disk that made them, and stops the start).

use std::io::Read;
use std::path::Path;

/// Whether `path` is a leftover of a failed allocation of a `size`-byte store file: shorter
/// than `size` and nothing but zeros. A file that cannot be read is not one (it is left alone).
pub(crate) fn is_failed_allocation(path: &Path, size: usize) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    if !meta.is_file() || meta.len() >= size as u64 {
        return false;
    }
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => {
                if buf[..n].iter().any(|&b| b != 0) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

/// Removes `path`, a leftover of a failed allocation, with a warning naming `what`; true if it
/// is gone.
pub(crate) fn remove(path: &Path, what: &str) -> bool {
    match std::fs::remove_file(path) {
        Ok(()) => {
            tracing::warn!(file = %path.display(), "removed an unallocated {what} file left by a failed allocation");
            true
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), cause = %e, "cannot remove an unallocated {what} file");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_short_all_zero_files_are_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p("empty"), b"").unwrap();
        std::fs::write(p("zeros"), vec![0u8; 100]).unwrap();
        std::fs::write(p("data"), [0u8, 0, 1]).unwrap();
        std::fs::write(p("full"), vec![0u8; 1000]).unwrap();
        assert!(is_failed_allocation(&p("empty"), 1000));
        assert!(is_failed_allocation(&p("zeros"), 1000));
        assert!(!is_failed_allocation(&p("data"), 1000), "a short file with data is kept");
        assert!(!is_failed_allocation(&p("full"), 1000), "a whole file is kept");
        assert!(!is_failed_allocation(&p("missing"), 1000));
        assert!(remove(&p("empty"), "test"));
        assert!(!p("empty").exists());
    }
}
