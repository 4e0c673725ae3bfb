//! Shared machinery of the fuzz targets whose readers take a directory or a file path: the
//! fuzzer's bytes become files in a scratch directory.
//!
//! An input is a sequence of records `[file: u8][length: u16, little endian][bytes]`; `file`
//! (taken modulo the target's list of names) says which file of the directory the bytes are.
//! A record cut short by the end of the input takes what is left; a name given twice keeps
//! the last record. [`encode`] turns a directory written by the library into such an input,
//! which is how the seed corpora were made (see `seeds` below).

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Splits `data` into `(name index, bytes)` records (see the crate documentation).
pub fn decode<'a>(data: &'a [u8], names: &[&str]) -> Vec<(usize, &'a [u8])> {
    let mut records = Vec::new();
    let mut rest = data;
    while let [file, tail @ ..] = rest {
        let (len, tail) = match tail {
            [lo, hi, tail @ ..] => (usize::from(u16::from_le_bytes([*lo, *hi])), tail),
            _ => (tail.len(), &tail[tail.len()..]),
        };
        let len = len.min(tail.len());
        records.push((usize::from(*file) % names.len(), &tail[..len]));
        rest = &tail[len..];
    }
    records
}

/// The input that [`decode`] turns into the files `names` of `dir` (those that exist).
pub fn encode(dir: &Path, names: &[&str]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let bytes = std::fs::read(path)?;
        let len = u16::try_from(bytes.len()).map_err(std::io::Error::other)?;
        out.push(u8::try_from(i).map_err(std::io::Error::other)?);
        out.extend(len.to_le_bytes());
        out.extend(bytes);
    }
    Ok(out)
}

/// This process's scratch directory (in `/dev/shm` where there is one), emptied.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        base.join(format!("reduced-bases-fuzz-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("cannot create the scratch directory");
    dir
}

/// Writes the records of `data` as the files `names` of an emptied scratch directory and
/// returns it.
pub fn populate(data: &[u8], names: &[&str]) -> &'static Path {
    let dir = scratch();
    for (i, bytes) in decode(data, names) {
        let path = dir.join(names[i]);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("cannot create a scratch subdirectory");
        }
        std::fs::write(&path, bytes).expect("cannot write a scratch file");
    }
    dir
}

/// Writes `data` as the single file `name` of an emptied scratch directory; returns its path.
pub fn single_file(data: &[u8], name: &str) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, data).expect("cannot write a scratch file");
    path
}

/// Asserts that an error, if any, is one line (what the command-line tools print).
pub fn one_line<T, E: Display>(result: Result<T, E>) {
    if let Err(e) = result {
        let message = e.to_string();
        assert!(!message.contains('\n'), "{message}");
    }
}

/// The files of a dataset directory the `dataset` target writes.
pub const DATASET_FILES: [&str; 13] = [
    "meta.json",
    "stats.json",
    "inputs.npy",
    "solutions.npy",
    "data.npz",
    "parts/000000.json",
    "parts/000000.npz",
    "parts/000001.json",
    "parts/000001.npz",
    "systems/A_000000.mtx",
    "systems/b_000000.npy",
    "systems/A_000001.mtx",
    "systems/b_000001.npy",
];

/// The files of a snapshot directory the `snapshots` target writes.
pub const SNAPSHOT_FILES: [&str; 8] = [
    "description.json",
    "displacement.npy",
    "stress.npy",
    "state.npy",
    "weights.npy",
    "external_force.npy",
    "temperature_profile.npy",
    "strain_operator.npz",
];

/// The header `HyperReducedModel::save` writes before a payload, so that the fuzzer's
/// mutations of the payload reach the model checks instead of stopping at the checksum.
pub fn hyper_reduced_header(payload: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in payload {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!(
        "rom-core hyper-reduced model v1 len={} fnv64={hash:016x}\n",
        payload.len()
    )
}

#[cfg(test)]
mod seeds {
    //! `SEEDS=DIR cargo +nightly test -- --ignored` turns directories and files written by the
    //! library (see the fuzzing section of `docs/reliability.md`) in `DIR` into seed inputs
    //! under `corpus/`.
    use super::*;

    #[test]
    #[ignore = "writes the seed corpora from directories the library wrote"]
    fn write_seeds() -> std::io::Result<()> {
        let Ok(src) = std::env::var("SEEDS") else {
            return Ok(());
        };
        let src = Path::new(&src);
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        for entry in std::fs::read_dir(src)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let (target, bytes) = if name.starts_with("ds_") {
                ("dataset", encode(&path, &DATASET_FILES)?)
            } else if name.starts_with("snap_") {
                ("snapshots", encode(&path, &SNAPSHOT_FILES)?)
            } else if name.ends_with(".model") {
                // Mode byte 1: the file as written; mode 0: the payload, header added.
                let mut raw = vec![1];
                raw.extend(std::fs::read(&path)?);
                std::fs::write(corpus.join("reduced_model/seed-file"), raw)?;
                let text = std::fs::read(&path)?;
                let nl = text.iter().position(|&b| b == b'\n').unwrap_or(0);
                let mut payload = vec![0];
                payload.extend(&text[nl + 1..]);
                ("reduced_model", payload)
            } else if name.starts_with("space") {
                ("recycle_space", std::fs::read(&path)?)
            } else if name.starts_with("cnn") {
                ("dcdm_cnn", std::fs::read(&path)?)
            } else {
                continue;
            };
            let dir = corpus.join(target);
            std::fs::create_dir_all(&dir)?;
            let stem = name.split('.').next().unwrap_or(name);
            std::fs::write(dir.join(format!("seed-{stem}")), bytes)?;
        }
        Ok(())
    }

    #[test]
    fn records_round_trip() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("fuzz-roundtrip-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("parts"))?;
        std::fs::write(dir.join("meta.json"), b"{}")?;
        std::fs::write(dir.join("parts/000001.npz"), b"xyz")?;
        let data = encode(&dir, &DATASET_FILES)?;
        let records = decode(&data, &DATASET_FILES);
        assert_eq!(records, vec![(0, &b"{}"[..]), (8, &b"xyz"[..])]);
        std::fs::remove_dir_all(dir)
    }
}
