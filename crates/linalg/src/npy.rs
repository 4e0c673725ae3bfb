//! npy and npz files for ndarray arrays (NumPy's formats), read with clear errors and written
//! atomically.
//!
//! # Example
//!
//! ```
//! use ndarray::array;
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("a.npy");
//! let a = array![[1.0, 2.0], [3.0, 4.0]];
//! linalg::npy::write_npy(&path, &a)?;
//! let b: ndarray::Array2<f64> = linalg::npy::read_npy(&path)?;
//! assert_eq!(a, b);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::BufReader;
use std::path::Path;

use ndarray::{ArrayBase, Data, DataOwned, Dimension};
use ndarray_npy::{
    NpzReader, NpzWriter, ReadNpyExt, ReadableElement, WritableElement, WriteNpyExt,
};

use crate::io::{open, write_atomic};
use crate::{Error, Result};

fn npy_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Npy {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Reads an array from an npy file. The element type and the number of dimensions must match
/// the file's (`f64` for `<f8`, `i64` for `<i8`, ...).
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Npy`] for a malformed or truncated
/// file, a wrong dtype or a wrong number of dimensions.
pub fn read_npy<S, D>(path: impl AsRef<Path>) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    let path = path.as_ref();
    let reader = BufReader::new(open(path)?);
    ArrayBase::<S, D>::read_npy(reader).map_err(|e| npy_error(path, e))
}

/// Writes an array to an npy file, atomically.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
pub fn write_npy<S, D>(path: impl AsRef<Path>, array: &ArrayBase<S, D>) -> Result<()>
where
    S: Data,
    S::Elem: WritableElement,
    D: Dimension,
{
    write_atomic(path, |w| array.write_npy(w).map_err(std::io::Error::other))
}

/// Reads the array called `name` from an npz archive.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Npy`] if it is not an npz archive,
/// has no array called `name`, or the array has the wrong dtype or dimensions.
pub fn read_npz<S, D>(path: impl AsRef<Path>, name: &str) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    let path = path.as_ref();
    let mut npz = NpzReader::new(BufReader::new(open(path)?)).map_err(|e| npy_error(path, e))?;
    npz.by_name(name)
        .map_err(|e| npy_error(path, format!("array `{name}`: {e}")))
}

/// Writes named arrays (of one element type) into an uncompressed npz archive, atomically.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
pub fn write_npz<A: WritableElement, D: Dimension>(
    path: impl AsRef<Path>,
    arrays: &[(&str, ndarray::ArrayView<'_, A, D>)],
) -> Result<()> {
    write_atomic(path, |w| {
        let mut npz = NpzWriter::new(w);
        for (name, array) in arrays {
            npz.add_array(*name, array).map_err(std::io::Error::other)?;
        }
        npz.finish().map(|_| ()).map_err(std::io::Error::other)
    })
}
