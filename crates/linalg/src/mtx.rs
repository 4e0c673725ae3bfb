//! Matrix Market files (the NIST exchange format for sparse matrices).
//!
//! Reads the `coordinate` format with `real`, `integer` or `pattern` fields and `general`,
//! `symmetric` or `skew-symmetric` symmetry, and the dense `array` format with `real` or
//! `integer` fields; writes `coordinate real general`, atomically.
//!
//! # Example
//!
//! ```
//! use linalg::mtx::{read_matrix_market, write_matrix_market};
//! use linalg::sparse::csr_from_triplets;
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("a.mtx");
//! let a = csr_from_triplets(2, 3, &[(0, 0, 1.5), (1, 2, -2.0)])?;
//! write_matrix_market(&path, a.as_ref())?;
//! let b = read_matrix_market(&path)?;
//! assert_eq!(a.to_dense(), b.to_dense());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use faer::sparse::SparseRowMatRef;

use crate::io::{open, write_atomic};
use crate::sparse::{CsrMatrix, csr_from_triplets, triplets};
use crate::{Error, Result};

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Real,
    Integer,
    Pattern,
}

#[derive(Clone, Copy, PartialEq)]
enum Symmetry {
    General,
    Symmetric,
    SkewSymmetric,
}

/// Bytes that one stored entry takes at least: `"1 1\n"` in a coordinate file, `"1\n"` in an
/// array file (the last line may lack its newline, which the bounds below allow for).
const MIN_COORDINATE_ENTRY_BYTES: u64 = 4;
const MIN_ARRAY_ENTRY_BYTES: u64 = 2;

/// Entries reserved up front when the length of the input is not known (the vector grows as
/// entries arrive beyond this).
const RESERVED_ENTRIES_UNKNOWN_LENGTH: usize = 1 << 12;

/// Rows and columns a file may declare whatever its entries: the CSR row pointers (and the
/// column pointers faer builds on the way) cost 8 bytes per row and per column even when the
/// matrix is empty, so larger shapes must be justified by stored entries (see
/// [`read_matrix_market`]).
pub const MAX_DIMENSION_WITHOUT_ENTRIES: usize = 1 << 24;

/// Rows and columns allowed per stored entry beyond [`MAX_DIMENSION_WITHOUT_ENTRIES`].
pub const MAX_DIMENSION_PER_ENTRY: usize = 8;

/// Reads a Matrix Market file into a CSR matrix.
///
/// What is checked, each failure an error naming the file and the line:
/// - the header (`%%MatrixMarket matrix <format> <field> <symmetry>`) and the size line
///   (non-negative integers, square for the symmetric kinds);
/// - the declared number of entries against the shape (at most `rows · cols`, `n (n + 1) / 2`
///   for symmetric and `n (n − 1) / 2` for skew-symmetric matrices) and against the length of
///   the file (an entry takes at least 4 bytes, 2 in the array format), so that a header
///   claiming 10¹² entries is refused before anything is allocated: memory grows with the
///   entries actually read, never with what the header claims;
/// - the shape against the entries: rows and columns above
///   max([`MAX_DIMENSION_WITHOUT_ENTRIES`], [`MAX_DIMENSION_PER_ENTRY`] × entries) are refused,
///   since the CSR row pointers alone would cost 8 bytes per row;
/// - every entry: indices in range (one-based), a parseable value, no trailing text, no
///   diagonal entry in a skew-symmetric matrix, the exact number of entries declared
///   (a shorter file is reported as truncated), UTF-8 text.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Parse`] (with the line number) for
/// everything listed above and for NaN or infinite values (including overflowing literals
/// such as `1e400`).
pub fn read_matrix_market(path: impl AsRef<Path>) -> Result<CsrMatrix> {
    let path = path.as_ref();
    let file = open(path)?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    parse(BufReader::new(file), path, Some(len))
}

/// Parses Matrix Market text from any reader; `path` only labels errors. The same checks as
/// [`read_matrix_market`], except the bound by the file length (the length of a reader is not
/// known): memory still grows only with the entries read.
///
/// # Errors
/// As [`read_matrix_market`].
pub fn parse_matrix_market(reader: impl BufRead, path: &Path) -> Result<CsrMatrix> {
    parse(reader, path, None)
}

/// Parses Matrix Market bytes held in memory (the same checks as [`read_matrix_market`], with
/// the length of `bytes` as the file length); `path` only labels errors.
///
/// # Errors
/// As [`read_matrix_market`].
pub fn parse_matrix_market_bytes(bytes: &[u8], path: &Path) -> Result<CsrMatrix> {
    parse(bytes, path, Some(bytes.len() as u64))
}

fn parse(reader: impl BufRead, path: &Path, byte_len: Option<u64>) -> Result<CsrMatrix> {
    let parse_err = |line: usize, message: String| Error::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut lines = reader.lines().enumerate().map(|(i, l)| (i + 1, l));
    let mut next_line = || -> Result<Option<(usize, String)>> {
        match lines.next() {
            None => Ok(None),
            Some((n, Ok(l))) => Ok(Some((n, l))),
            Some((n, Err(e))) if e.kind() == std::io::ErrorKind::InvalidData => Err(Error::Parse {
                path: path.to_path_buf(),
                line: n,
                message: "line is not valid UTF-8 text".into(),
            }),
            Some((_, Err(e))) => Err(Error::io(path, e)),
        }
    };

    let (_, header) = next_line()?.ok_or_else(|| parse_err(1, "empty file".into()))?;
    let words: Vec<String> = header.split_whitespace().map(str::to_lowercase).collect();
    if words.len() != 5 || words[0] != "%%matrixmarket" || words[1] != "matrix" {
        return Err(parse_err(
            1,
            format!(
                "expected `%%MatrixMarket matrix <format> <field> <symmetry>`, found `{}`",
                shorten(&header)
            ),
        ));
    }
    let dense = match words[2].as_str() {
        "coordinate" => false,
        "array" => true,
        other => {
            return Err(parse_err(
                1,
                format!("unsupported format `{}`", shorten(other)),
            ));
        }
    };
    let field = match words[3].as_str() {
        "real" | "double" => Field::Real,
        "integer" => Field::Integer,
        "pattern" if !dense => Field::Pattern,
        other => {
            return Err(parse_err(
                1,
                format!("unsupported field `{}`", shorten(other)),
            ));
        }
    };
    let symmetry = match words[4].as_str() {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "skew-symmetric" => Symmetry::SkewSymmetric,
        other => {
            return Err(parse_err(
                1,
                format!("unsupported symmetry `{}`", shorten(other)),
            ));
        }
    };

    // Skip comments and blank lines up to the size line.
    let (size_line_no, size_line) = loop {
        match next_line()? {
            None => return Err(parse_err(1, "missing size line".into())),
            Some((_, l)) if l.trim().is_empty() || l.trim_start().starts_with('%') => continue,
            Some(found) => break found,
        }
    };
    let sizes: Vec<usize> = size_line
        .split_whitespace()
        .map(|w| w.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            parse_err(
                size_line_no,
                format!(
                    "malformed size line `{}` (non-negative integers expected)",
                    shorten(&size_line)
                ),
            )
        })?;
    let expected_sizes = if dense { 2 } else { 3 };
    if sizes.len() != expected_sizes {
        return Err(parse_err(
            size_line_no,
            format!(
                "size line needs {expected_sizes} integers, found `{}`",
                shorten(&size_line)
            ),
        ));
    }
    let (nrows, ncols) = (sizes[0], sizes[1]);
    if symmetry != Symmetry::General && nrows != ncols {
        return Err(parse_err(
            size_line_no,
            format!("a symmetric matrix must be square, found {nrows} x {ncols}"),
        ));
    }
    // Positions the shape has room for (`None`: more than `usize` counts, no bound).
    let room = match symmetry {
        Symmetry::General => nrows.checked_mul(ncols),
        Symmetry::Symmetric => nrows.checked_mul(nrows.saturating_add(1)).map(|p| p / 2),
        Symmetry::SkewSymmetric => nrows.checked_mul(nrows.saturating_sub(1)).map(|p| p / 2),
    };
    let declared = if dense {
        room.ok_or_else(|| {
            parse_err(
                size_line_no,
                format!("a dense {nrows} x {ncols} array has more entries than memory can address"),
            )
        })?
    } else {
        let nnz = sizes[2];
        if let Some(room) = room
            && nnz > room
        {
            let kind = match symmetry {
                Symmetry::General => "",
                Symmetry::Symmetric => " symmetric (lower triangle)",
                Symmetry::SkewSymmetric => " skew-symmetric (strict lower triangle)",
            };
            return Err(parse_err(
                size_line_no,
                format!(
                    "header declares {nnz} entries, more than the {room} positions of a{kind} \
                     {nrows} x {ncols} matrix"
                ),
            ));
        }
        nnz
    };
    let min_entry_bytes = if dense {
        MIN_ARRAY_ENTRY_BYTES
    } else {
        MIN_COORDINATE_ENTRY_BYTES
    };
    if let Some(len) = byte_len {
        let fits = (len + 1) / min_entry_bytes;
        if declared as u64 > fits {
            return Err(parse_err(
                size_line_no,
                format!(
                    "header declares {declared} entries, but a file of {len} bytes holds at most \
                     {fits} (truncated file or corrupt size line?)"
                ),
            ));
        }
    }
    // Stored entries of the result: an off-diagonal entry of a symmetric file is stored twice;
    // dense arrays store their zeros too in this bound, which only widens it.
    let stored = if symmetry == Symmetry::General {
        declared
    } else {
        declared.saturating_mul(2)
    };
    let dimension_cap =
        MAX_DIMENSION_WITHOUT_ENTRIES.max(stored.saturating_mul(MAX_DIMENSION_PER_ENTRY));
    if nrows.max(ncols) > dimension_cap {
        return Err(parse_err(
            size_line_no,
            format!(
                "a {nrows} x {ncols} matrix with {declared} entries is refused: rows and columns \
                 may be at most max({MAX_DIMENSION_WITHOUT_ENTRIES}, \
                 {MAX_DIMENSION_PER_ENTRY} x stored entries) = {dimension_cap}"
            ),
        ));
    }

    // Dense arrays are stored column by column (lower triangle for symmetric ones).
    let dense_positions = (0..ncols).flat_map(move |j| {
        let first = match symmetry {
            Symmetry::General => 0,
            Symmetry::Symmetric => j,
            Symmetry::SkewSymmetric => j + 1,
        };
        (first..nrows).map(move |i| (i, j))
    });
    let mut dense_positions = dense_positions.take(declared);

    // Reserve no more than the input can hold; the vector grows as entries arrive.
    let reservable = match byte_len {
        Some(len) => usize::try_from((len + 1) / min_entry_bytes).unwrap_or(usize::MAX),
        None => RESERVED_ENTRIES_UNKNOWN_LENGTH,
    };
    let mut entries = Vec::with_capacity(stored.min(reservable));
    let mut count = 0usize;
    while let Some((n, line)) = next_line()? {
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        if count == declared {
            return Err(parse_err(
                n,
                format!("more entries than the {declared} declared"),
            ));
        }
        let mut words = t.split_whitespace();
        let (i, j) = if dense {
            dense_positions
                .next()
                .ok_or_else(|| parse_err(n, "too many entries".into()))?
        } else {
            let mut index = |name: &str, max: usize| -> Result<usize> {
                let w = words
                    .next()
                    .ok_or_else(|| parse_err(n, format!("missing {name} index")))?;
                let v: usize = w.parse().map_err(|_| {
                    parse_err(n, format!("malformed {name} index `{}`", shorten(w)))
                })?;
                if v == 0 || v > max {
                    return Err(parse_err(n, format!("{name} index {v} outside 1..={max}")));
                }
                Ok(v - 1)
            };
            let i = index("row", nrows)?;
            let j = index("column", ncols)?;
            if i == j && symmetry == Symmetry::SkewSymmetric {
                return Err(parse_err(
                    n,
                    format!(
                        "diagonal entry ({}, {}) in a skew-symmetric matrix",
                        i + 1,
                        j + 1
                    ),
                ));
            }
            (i, j)
        };
        let value = if field == Field::Pattern {
            1.0
        } else {
            let w = words
                .next()
                .ok_or_else(|| parse_err(n, "missing value".into()))?;
            let v: f64 = w
                .parse()
                .map_err(|_| parse_err(n, format!("malformed value `{}`", shorten(w))))?;
            if !v.is_finite() {
                return Err(parse_err(
                    n,
                    format!("entry ({}, {}) is {v}: values must be finite", i + 1, j + 1),
                ));
            }
            v
        };
        if words.next().is_some() {
            return Err(parse_err(
                n,
                format!("trailing text in entry `{}`", shorten(t)),
            ));
        }
        count += 1;
        if dense && value == 0.0 {
            continue;
        }
        entries.push((i, j, value));
        if i != j {
            match symmetry {
                Symmetry::General => {}
                Symmetry::Symmetric => entries.push((j, i, value)),
                Symmetry::SkewSymmetric => entries.push((j, i, -value)),
            }
        }
    }
    if count != declared {
        return Err(parse_err(
            size_line_no,
            format!("declared {declared} entries, found {count} (truncated file?)"),
        ));
    }
    csr_from_triplets(nrows, ncols, &entries)
}

/// At most 60 characters of `text`, so that an error message stays one short line however long
/// the offending input.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut chars = text.chars().map(|c| if c.is_control() { ' ' } else { c });
    let head: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

/// Writes a sparse matrix as `coordinate real general`, atomically, with values printed to
/// full precision (`{:e}` round-trips every `f64`).
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
pub fn write_matrix_market(
    path: impl AsRef<Path>,
    a: SparseRowMatRef<'_, usize, f64>,
) -> Result<()> {
    let entries = triplets(a);
    write_atomic(path, |w| {
        writeln!(w, "%%MatrixMarket matrix coordinate real general")?;
        writeln!(w, "{} {} {}", a.nrows(), a.ncols(), entries.len())?;
        for (i, j, v) in &entries {
            writeln!(w, "{} {} {:e}", i + 1, j + 1, v)?;
        }
        Ok(())
    })
}
