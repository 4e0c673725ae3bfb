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

use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use ndarray::{ArrayBase, Data, DataOwned, Dimension, IxDyn, ShapeBuilder};
use ndarray_npy::npy::header::{Header, ParseHeaderError, ReadHeaderError};
use ndarray_npy::{NpzWriter, ReadDataError, ReadableElement, WritableElement, WriteNpyExt};
use py_literal::Value as PyValue;

use crate::io::{open, write_atomic};
use crate::{Error, Result};

/// The largest header (the Python dictionary after the magic string, version and length)
/// accepted, in bytes: NumPy's own reader refuses larger ones by default (`max_header_size`).
pub const MAX_HEADER_BYTES: usize = 10_000;

/// The deepest nesting of brackets accepted in a header. NumPy's headers nest two levels, a
/// structured dtype a few more; the header parser backtracks over nested lists and braces, so
/// its time doubles with each level.
pub const MAX_HEADER_NESTING: usize = 5;

/// What a message is about: the file, and the array inside an npz archive.
#[derive(Clone, Copy)]
struct Source<'a> {
    path: &'a Path,
    array: Option<&'a str>,
}

impl Source<'_> {
    fn error(self, message: impl std::fmt::Display) -> Error {
        let message = shorten(&message.to_string());
        Error::Npy {
            path: self.path.to_path_buf(),
            message: match self.array {
                Some(name) => format!("array `{}`: {message}", shorten(name)),
                None => message,
            },
        }
    }

    /// An I/O error while reading `what`: an end of input is a truncated file, the rest are the
    /// operating system's (or the zip reader's, a checksum for example).
    fn io_error(self, what: &str, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            self.error(format!("the file ends inside the {what} (truncated file?)"))
        } else {
            self.error(format!("reading the {what}: {e}"))
        }
    }
}

/// At most 200 characters of `text`, so an error stays one short line whatever the input.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut chars = one_line.chars();
    let head: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

/// Reads an array from an npy file. The element type and the number of dimensions must match
/// the file's (`f64` for `<f8` or `>f8`, `i64` for `<i8`, ...); C and Fortran order are both
/// read (a Fortran-order file gives an array with Fortran strides and the same values).
///
/// What is checked before anything is allocated, each failure an error naming the file: the
/// magic string and version (1.0, 2.0, 3.0); the header length against the file length and
/// [`MAX_HEADER_BYTES`]; the header dictionary (`descr`, `fortran_order`, `shape`, nothing
/// else); the number of dimensions; the item size of the dtype against the element type;
/// the shape product (no overflow); the data length the header declares against the bytes the
/// file actually holds (short: truncated; long: trailing bytes). Memory is allocated only for
/// data the file holds. Values are not checked (NaN and infinities are read as they are; the
/// functions that take the array check them).
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Npy`] for each failed check above, for
/// a dtype of the right size but the wrong kind (an `<i8` file read as `f64`) and for invalid
/// data (a `bool` byte other than 0 or 1).
pub fn read_npy<S, D>(path: impl AsRef<Path>) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    let path = path.as_ref();
    let file = open(path)?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let source = Source { path, array: None };
    read_bounded(&mut BufReader::new(file), len, source)
}

/// Reads an array from npy bytes held in memory, with the same checks as [`read_npy`]; `path`
/// only labels errors.
///
/// # Errors
/// As [`read_npy`].
pub fn parse_npy<S, D>(bytes: &[u8], path: &Path) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    let source = Source { path, array: None };
    read_bounded(&mut { bytes }, bytes.len() as u64, source)
}

/// The item size of a simple dtype such as `<f8`, `|u1`, `>c16`; `None` for anything else
/// (structured, sub-array or non-numeric dtypes).
fn item_size(descr: &PyValue) -> Option<usize> {
    let PyValue::String(s) = descr else {
        return None;
    };
    let rest = s.strip_prefix(['<', '>', '|', '=']).unwrap_or(s);
    let digits = rest.strip_prefix(['f', 'i', 'u', 'c', 'b'])?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Reads one npy array from `reader`, which holds exactly `len` bytes (the file, the bytes in
/// memory, or the declared size of an npz entry).
fn read_bounded<S, D, R: Read>(
    reader: &mut R,
    len: u64,
    source: Source<'_>,
) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    const MAGIC: &[u8] = b"\x93NUMPY";
    // Magic string and version.
    let mut prefix = vec![0u8; 8];
    if len < 10 {
        return Err(source.error(format!(
            "{len} bytes is too short for an npy file (its header alone takes at least 10)"
        )));
    }
    reader
        .read_exact(&mut prefix)
        .map_err(|e| source.io_error("header", e))?;
    if &prefix[..6] != MAGIC {
        return Err(source.error("not an npy file (it does not start with \\x93NUMPY)"));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let header_len = match (major, minor) {
        (1, 0) => {
            let mut b = [0u8; 2];
            reader
                .read_exact(&mut b)
                .map_err(|e| source.io_error("header", e))?;
            prefix.extend_from_slice(&b);
            u64::from(u16::from_le_bytes(b))
        }
        (2 | 3, 0) => {
            let mut b = [0u8; 4];
            reader
                .read_exact(&mut b)
                .map_err(|e| source.io_error("header", e))?;
            prefix.extend_from_slice(&b);
            u64::from(u32::from_le_bytes(b))
        }
        _ => {
            return Err(source.error(format!(
                "unsupported npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)"
            )));
        }
    };
    let after_prefix = len.saturating_sub(prefix.len() as u64);
    if header_len > after_prefix {
        return Err(source.error(format!(
            "the header declares {header_len} bytes, but the file holds only {after_prefix} \
             after the magic string (truncated file?)"
        )));
    }
    if header_len > MAX_HEADER_BYTES as u64 {
        return Err(source.error(format!(
            "the header declares {header_len} bytes, more than the {MAX_HEADER_BYTES} accepted"
        )));
    }
    let mut header_bytes = prefix;
    let prefix_len = header_bytes.len();
    // `header_len` ≤ MAX_HEADER_BYTES: the cast is exact.
    header_bytes.resize(prefix_len + header_len as usize, 0);
    reader
        .read_exact(&mut header_bytes[prefix_len..])
        .map_err(|e| source.io_error("header", e))?;
    let mut depth = 0usize;
    for &b in &header_bytes[prefix_len..] {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_HEADER_NESTING {
                    return Err(source.error(format!(
                        "the header nests brackets deeper than {MAX_HEADER_NESTING} levels"
                    )));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let header = Header::from_reader(&mut Cursor::new(&header_bytes)).map_err(|e| match e {
        ReadHeaderError::Parse(ParseHeaderError::DictParse(_)) => {
            source.error("malformed header: not a Python dictionary literal")
        }
        ReadHeaderError::Parse(ParseHeaderError::MissingKey(key)) => {
            // ndarray-npy spells the missing `shape` key `shaper`.
            let key = if key == "shaper" { "shape".into() } else { key };
            source.error(format!("malformed header: no `{key}` key"))
        }
        ReadHeaderError::Parse(e) => source.error(format!("malformed header: {e}")),
        ReadHeaderError::Io(e) => source.io_error("header", e),
    })?;

    let shape = &header.shape;
    if let Some(ndim) = D::NDIM
        && ndim != shape.len()
    {
        return Err(source.error(format!(
            "the array has {} dimensions (shape {shape:?}), {ndim} expected",
            shape.len()
        )));
    }
    let elem_size = std::mem::size_of::<S::Elem>();
    let descr = &header.type_descriptor;
    match item_size(descr) {
        Some(size) if size == elem_size => {}
        Some(size) => {
            return Err(source.error(format!(
                "dtype {descr} has {size}-byte items; the requested element type has {elem_size}"
            )));
        }
        None => return Err(source.error(format!("unsupported dtype {descr}"))),
    }
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .filter(|&c| c <= isize::MAX as usize);
    let data_bytes = count
        .and_then(|c| c.checked_mul(elem_size))
        .filter(|&b| b <= isize::MAX as usize);
    let (Some(count), Some(data_bytes)) = (count, data_bytes) else {
        return Err(source.error(format!(
            "shape {shape:?} of dtype {descr} has more elements than memory can address"
        )));
    };
    let remaining = after_prefix - header_len;
    let data_bytes = data_bytes as u64;
    if data_bytes > remaining {
        return Err(source.error(format!(
            "shape {shape:?} of dtype {descr} needs {data_bytes} bytes of data, but the file holds \
             only {remaining} (truncated file?)"
        )));
    }
    if data_bytes < remaining {
        return Err(source.error(format!(
            "{} bytes follow the {data_bytes} bytes of data of shape {shape:?}",
            remaining - data_bytes
        )));
    }
    // The allocation below is `count` elements: exactly the bytes the input holds.
    let data = S::Elem::read_to_end_exact_vec(reader.take(remaining), descr, count).map_err(
        |e| match e {
            ReadDataError::Io(e) => source.io_error("data", e),
            ReadDataError::WrongDescriptor(d) => source.error(format!(
                "dtype {d} cannot be read as the requested element type"
            )),
            ReadDataError::MissingData => {
                source.error("the file ends inside the data (truncated file?)")
            }
            ReadDataError::ExtraBytes(n) => {
                source.error(format!("{n} bytes follow the data of shape {shape:?}"))
            }
            other => source.error(format!("invalid data: {other}")),
        },
    )?;
    let dim = IxDyn(shape).set_f(header.layout.is_fortran());
    ArrayBase::<S, IxDyn>::from_shape_vec(dim, data)
        .map_err(|e| source.error(format!("shape {shape:?}: {e}")))?
        .into_dimensionality()
        .map_err(|e| source.error(format!("shape {shape:?}: {e}")))
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

/// Reads the array called `name` (or `name.npy`) from an npz archive, as written by
/// `numpy.savez` (uncompressed).
///
/// The archive's directory is read by the `zip` crate, which checks the declared number of
/// entries and offsets against the file; then the entry must be stored uncompressed, declare no
/// more bytes than the archive holds, and hold a valid npy array under the checks of
/// [`read_npy`] (with the entry's declared size as the file length); its CRC-32 is checked.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Npy`] if it is not a zip archive, has no
/// array called `name` (the message lists the arrays it has), the entry is compressed
/// (`numpy.savez_compressed`) or declares more bytes than the archive holds, its checksum is
/// wrong, or the array fails a check of [`read_npy`].
pub fn read_npz<S, D>(path: impl AsRef<Path>, name: &str) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    let path = path.as_ref();
    let file = open(path)?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    read_npz_bounded(BufReader::new(file), len, name, path)
}

/// Reads the array called `name` from npz bytes held in memory, with the same checks as
/// [`read_npz`]; `path` only labels errors.
///
/// # Errors
/// As [`read_npz`].
pub fn parse_npz<S, D>(bytes: &[u8], name: &str, path: &Path) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    read_npz_bounded(Cursor::new(bytes), bytes.len() as u64, name, path)
}

fn read_npz_bounded<S, D, R: Read + Seek>(
    reader: R,
    len: u64,
    name: &str,
    path: &Path,
) -> Result<ArrayBase<S, D>>
where
    S: DataOwned,
    S::Elem: ReadableElement,
    D: Dimension,
{
    let archive_source = Source { path, array: None };
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| archive_source.error(format!("not a readable npz (zip) archive: {e}")))?;
    let source = Source {
        path,
        array: Some(name),
    };
    let with_suffix = format!("{name}.npy");
    let Some(index) = zip
        .index_for_name(name)
        .or_else(|| zip.index_for_name(&with_suffix))
    else {
        const LISTED: usize = 8;
        let mut names: Vec<String> = zip
            .file_names()
            .take(LISTED)
            .map(|n| format!("`{}`", shorten(n.strip_suffix(".npy").unwrap_or(n))))
            .collect();
        if zip.len() > LISTED {
            names.push(format!("and {} more", zip.len() - LISTED));
        }
        let held = if names.is_empty() {
            "the archive is empty".to_string()
        } else {
            format!("the archive holds {}", names.join(", "))
        };
        return Err(source.error(format!("not found ({held})")));
    };
    // The entry's metadata first (`by_index_raw` decompresses nothing), so a compressed entry
    // gets its own message.
    let (compression, declared, stored) = {
        let raw = zip
            .by_index_raw(index)
            .map_err(|e| source.error(format!("unreadable entry: {e}")))?;
        (raw.compression(), raw.size(), raw.compressed_size())
    };
    if compression != zip::CompressionMethod::Stored {
        return Err(source.error(format!(
            "entry is compressed ({}); only uncompressed npz archives \
             (numpy.savez, not numpy.savez_compressed) are read",
            match format!("{compression}").as_str() {
                "Unsupported(8)" | "Deflated" => "deflate".to_string(),
                other => format!("zip method {other}"),
            }
        )));
    }
    if declared != stored {
        return Err(source.error(format!(
            "uncompressed entry declares {declared} bytes but stores {stored}"
        )));
    }
    if declared > len {
        return Err(source.error(format!(
            "entry declares {declared} bytes, but the archive holds only {len}"
        )));
    }
    let mut entry = zip
        .by_index(index)
        .map_err(|e| source.error(format!("unreadable entry: {e}")))?;
    let array = read_bounded(&mut entry, declared, source)?;
    // Reading to the end of the entry makes the zip reader check its CRC-32.
    let mut rest = [0u8; 1];
    match entry.read(&mut rest) {
        Ok(0) => Ok(array),
        Ok(_) => Err(source.error("entry holds more bytes than it declares")),
        Err(e) => Err(source.io_error("entry", e)),
    }
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
