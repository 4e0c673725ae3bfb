//! Atomic file writing: a file is written under a temporary name beside its destination,
//! synced, then renamed over it (and the directory synced), so an interrupted job never leaves
//! a truncated file that looks whole.
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("hello.txt");
//! linalg::io::write_atomic(&path, |w| w.write_all(b"hello"))?;
//! assert_eq!(std::fs::read_to_string(&path)?, "hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// The temporary name used while `path` is being written: `.NAME.tmp-PID-N`, unique to this
/// process and this call, so that writers of the same file in several processes or threads
/// never share (and truncate) one temporary.
fn temporary_path(path: &Path) -> PathBuf {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tmp-{}-{call}", std::process::id()))
}

/// Writes `path` atomically with `write`: the contents go to a temporary file in the same
/// directory, which replaces `path` only once it is complete and synced.
///
/// # Errors
/// [`Error::Io`] if the directory does not exist or a write fails; on failure `path` is left
/// as it was and the temporary file is removed.
pub fn write_atomic<F>(path: impl AsRef<Path>, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
{
    let path = path.as_ref();
    let tmp = temporary_path(path);
    let result = (|| {
        let mut writer = BufWriter::new(File::create(&tmp)?);
        write(&mut writer)?;
        writer.flush()?;
        writer
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_parent(path);
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Makes the rename into `path` durable: syncs the directory that holds it (POSIX; a no-op
/// where directories cannot be opened). Best effort: the file is complete under its name
/// either way, and a failure here only means a power cut could undo the rename.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Opens `path` for reading, with the path in the error.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened.
pub fn open(path: impl AsRef<Path>) -> Result<File> {
    let path = path.as_ref();
    File::open(path).map_err(|e| Error::io(path, e))
}
