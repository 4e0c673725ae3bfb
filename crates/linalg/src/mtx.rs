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

/// Reads a Matrix Market file into a CSR matrix.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Parse`] (with the line number) for a
/// missing or unsupported header, a malformed size line or entry, an index out of range, too
/// few or too many entries; [`Error::NonFinite`] for NaN or infinite values.
pub fn read_matrix_market(path: impl AsRef<Path>) -> Result<CsrMatrix> {
    let path = path.as_ref();
    parse_matrix_market(BufReader::new(open(path)?), path)
}

/// Parses Matrix Market text from any reader; `path` only labels errors.
///
/// # Errors
/// As [`read_matrix_market`].
pub fn parse_matrix_market(reader: impl BufRead, path: &Path) -> Result<CsrMatrix> {
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
            Some((_, Err(e))) => Err(Error::io(path, e)),
        }
    };

    let (_, header) = next_line()?.ok_or_else(|| parse_err(1, "empty file".into()))?;
    let words: Vec<String> = header.split_whitespace().map(str::to_lowercase).collect();
    if words.len() != 5 || words[0] != "%%matrixmarket" || words[1] != "matrix" {
        return Err(parse_err(
            1,
            format!(
                "expected `%%MatrixMarket matrix <format> <field> <symmetry>`, found `{header}`"
            ),
        ));
    }
    let dense = match words[2].as_str() {
        "coordinate" => false,
        "array" => true,
        other => return Err(parse_err(1, format!("unsupported format `{other}`"))),
    };
    let field = match words[3].as_str() {
        "real" | "double" => Field::Real,
        "integer" => Field::Integer,
        "pattern" if !dense => Field::Pattern,
        other => return Err(parse_err(1, format!("unsupported field `{other}`"))),
    };
    let symmetry = match words[4].as_str() {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "skew-symmetric" => Symmetry::SkewSymmetric,
        other => return Err(parse_err(1, format!("unsupported symmetry `{other}`"))),
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
        .map_err(|_| parse_err(size_line_no, format!("malformed size line `{size_line}`")))?;
    let expected_sizes = if dense { 2 } else { 3 };
    if sizes.len() != expected_sizes {
        return Err(parse_err(
            size_line_no,
            format!("size line needs {expected_sizes} integers, found `{size_line}`"),
        ));
    }
    let (nrows, ncols) = (sizes[0], sizes[1]);
    if symmetry != Symmetry::General && nrows != ncols {
        return Err(parse_err(
            size_line_no,
            format!("a symmetric matrix must be square, found {nrows} x {ncols}"),
        ));
    }
    let declared = if dense {
        match symmetry {
            Symmetry::General => nrows * ncols,
            Symmetry::Symmetric => nrows * (nrows + 1) / 2,
            Symmetry::SkewSymmetric => nrows * nrows.saturating_sub(1) / 2,
        }
    } else {
        sizes[2]
    };

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

    let mut entries = Vec::with_capacity(if symmetry == Symmetry::General {
        declared
    } else {
        2 * declared
    });
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
                let v: usize = w
                    .parse()
                    .map_err(|_| parse_err(n, format!("malformed {name} index `{w}`")))?;
                if v == 0 || v > max {
                    return Err(parse_err(n, format!("{name} index {v} outside 1..={max}")));
                }
                Ok(v - 1)
            };
            let i = index("row", nrows)?;
            let j = index("column", ncols)?;
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
                .map_err(|_| parse_err(n, format!("malformed value `{w}`")))?;
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: "Matrix Market entry",
                    row: i,
                    col: j,
                    value: v,
                });
            }
            v
        };
        if words.next().is_some() {
            return Err(parse_err(n, format!("trailing text in entry `{t}`")));
        }
        if dense && value == 0.0 {
            count += 1;
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
        count += 1;
    }
    if count != declared {
        return Err(parse_err(
            size_line_no,
            format!("declared {declared} entries, found {count} (truncated file?)"),
        ));
    }
    csr_from_triplets(nrows, ncols, &entries)
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
