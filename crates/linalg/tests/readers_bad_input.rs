//! Malformed input for every linalg reader of outside data (Matrix Market, npy, npz, serialized
//! matrices): each case must give an `Err` of the stated kind with a one-line message naming the
//! file, never a panic or an abort, and must not allocate more than the input can hold (a
//! tracking allocator measures the largest single request while the reader runs, so a reader
//! that reserved what a header claims fails here even where the operating system would grant the
//! memory lazily).
//!
//! Inputs found by the fuzz targets (`fuzz/`) are kept under `tests/data/fuzz/` and run here too.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// The tracking allocator is the only unsafe code: it forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use linalg::Error;
use linalg::mtx::{parse_matrix_market, parse_matrix_market_bytes, read_matrix_market};
use linalg::npy::{parse_npy, parse_npz, read_npy, read_npz, write_npy, write_npz};
use ndarray::{Array1, Array2, Array3, ArrayD, array};

// ---------------------------------------------------------------------------------------------
// Allocation tracking.

struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| {
        if size > l.get() {
            l.set(size);
        }
    });
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// Runs `f` and returns its result with the largest single allocation it requested (on this
/// thread).
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(Cell::get))
}

/// The most a reader may request at once for the small malformed inputs below (its buffered
/// reader, a few entries, error messages).
const SMALL_INPUT_ALLOCATION: usize = 1 << 20;

/// Writes `bytes` to `name` in a fresh temporary directory.
fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

/// The error of `r`, checked to be one line naming `file`, with the allocation bound.
#[track_caller]
fn checked_err<T: std::fmt::Debug>(
    case: &str,
    (r, largest): (linalg::Result<T>, usize),
    file: &str,
) -> Error {
    assert!(
        largest <= SMALL_INPUT_ALLOCATION,
        "{case}: requested {largest} bytes at once"
    );
    let e = match r {
        Ok(v) => panic!("{case}: accepted as {v:?}"),
        Err(e) => e,
    };
    let text = e.to_string();
    if std::env::var_os("LINALG_PRINT_READER_ERRORS").is_some() {
        eprintln!("{case} | {text}");
    }
    assert!(!text.contains('\n'), "{case}: not one line: {text}");
    assert!(text.contains(file), "{case}: `{text}` does not name {file}");
    e
}

// ---------------------------------------------------------------------------------------------
// Matrix Market.

const GENERAL: &str = "%%MatrixMarket matrix coordinate real general\n";

/// What a malformed Matrix Market input must give.
#[derive(Clone, Copy, Debug)]
enum MtxErr {
    /// `Error::Parse` at this line, the message containing the text.
    Parse(usize, &'static str),
}

/// One row of the table: the input, the error when its length is known (a file, bytes in
/// memory), and the error when it is streamed (a reader of unknown length), where the two
/// differ.
struct MtxCase {
    name: &'static str,
    input: Vec<u8>,
    known_length: MtxErr,
    streamed: Option<MtxErr>,
}

fn mtx(name: &'static str, input: impl Into<Vec<u8>>, err: MtxErr) -> MtxCase {
    MtxCase {
        name,
        input: input.into(),
        known_length: err,
        streamed: None,
    }
}

fn mtx_cases() -> Vec<MtxCase> {
    use MtxErr::Parse;
    let g = |body: &str| format!("{GENERAL}{body}");
    vec![
        // The reported abort: 2·10¹¹ entries declared for a 3 x 3 matrix.
        mtx(
            "2e11 entries in a 3 x 3 matrix",
            g("3 3 200000000000\n1 1 1.0\n"),
            Parse(2, "more than the 9 positions"),
        ),
        MtxCase {
            name: "10^12 entries declared, within the shape, beyond the file",
            input: g("100000000 100000000 1000000000000\n1 1 1.0\n").into(),
            known_length: Parse(2, "holds at most"),
            streamed: Some(Parse(2, "found 1 (truncated")),
        },
        mtx(
            "nnz = usize::MAX",
            g("3 3 18446744073709551615\n"),
            Parse(2, "more than the 9 positions"),
        ),
        MtxCase {
            name: "nnz = usize::MAX in a matrix whose positions overflow",
            input: g("18446744073709551615 18446744073709551615 18446744073709551615\n").into(),
            known_length: Parse(2, "holds at most"),
            streamed: Some(Parse(2, "found 0 (truncated")),
        },
        mtx(
            "symmetric: more entries than the lower triangle",
            "%%MatrixMarket matrix coordinate real symmetric\n2 2 4\n1 1 1\n2 1 1\n2 2 1\n1 2 1\n",
            Parse(2, "3 positions of a symmetric"),
        ),
        mtx(
            "symmetric, huge count",
            "%%MatrixMarket matrix coordinate real symmetric\n3 3 99999999999999\n",
            Parse(2, "more than the 6 positions"),
        ),
        mtx(
            "skew-symmetric: more entries than the strict lower triangle",
            "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 2\n2 1 1\n2 1 1\n",
            Parse(2, "1 positions of a skew-symmetric"),
        ),
        mtx(
            "skew-symmetric with a diagonal entry",
            "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n",
            Parse(3, "diagonal entry"),
        ),
        MtxCase {
            name: "dense array of 10^10 entries in a few bytes",
            input: "%%MatrixMarket matrix array real general\n100000 100000\n1\n".into(),
            known_length: Parse(2, "holds at most"),
            streamed: Some(Parse(2, "found 1 (truncated")),
        },
        mtx(
            "dense array whose entry count overflows",
            "%%MatrixMarket matrix array real general\n18446744073709551615 18446744073709551615\n",
            Parse(2, "more entries than memory can address"),
        ),
        mtx(
            "10^12 x 10^12 with no entries (8 TB of row pointers)",
            g("1000000000000 1000000000000 0\n"),
            Parse(2, "rows and columns may be at most"),
        ),
        mtx(
            "10^9 rows for one entry",
            g("1000000000 1 1\n1 1 1.0\n"),
            Parse(2, "rows and columns may be at most"),
        ),
        mtx(
            "size beyond usize",
            g("99999999999999999999999 1 1\n1 1 1\n"),
            Parse(2, "malformed size line"),
        ),
        mtx(
            "negative rows",
            g("-3 3 1\n1 1 1\n"),
            Parse(2, "non-negative integers"),
        ),
        mtx(
            "negative entry count",
            g("3 3 -1\n"),
            Parse(2, "malformed size line"),
        ),
        mtx(
            "size line with two integers",
            g("3 3\n"),
            Parse(2, "needs 3 integers"),
        ),
        mtx(
            "symmetric, not square",
            "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n",
            Parse(2, "must be square"),
        ),
        mtx(
            "row index 0",
            g("2 2 1\n0 1 1.0\n"),
            Parse(3, "row index 0 outside 1..=2"),
        ),
        mtx(
            "row index past the end",
            g("2 2 1\n3 1 1.0\n"),
            Parse(3, "row index 3 outside 1..=2"),
        ),
        mtx(
            "column index past the end",
            g("2 2 1\n1 9 1.0\n"),
            Parse(3, "column index 9 outside 1..=2"),
        ),
        mtx(
            "negative index",
            g("2 2 1\n-1 1 1.0\n"),
            Parse(3, "malformed row index `-1`"),
        ),
        mtx(
            "index beyond usize",
            g("2 2 1\n1 99999999999999999999999 1.0\n"),
            Parse(3, "malformed column index"),
        ),
        mtx(
            "NaN value",
            g("1 1 1\n1 1 nan\n"),
            Parse(3, "entry (1, 1) is NaN"),
        ),
        mtx(
            "infinite value",
            g("1 1 1\n1 1 -inf\n"),
            Parse(3, "is -inf"),
        ),
        mtx(
            "overflowing literal",
            g("1 1 1\n1 1 1e400\n"),
            Parse(3, "is inf"),
        ),
        mtx(
            "NaN in a dense array",
            "%%MatrixMarket matrix array real general\n1 1\nNaN\n",
            Parse(3, "values must be finite"),
        ),
        mtx(
            "malformed value",
            g("1 1 1\n1 1 1.0.0\n"),
            Parse(3, "malformed value"),
        ),
        mtx(
            "missing value",
            g("1 1 1\n1 1\n"),
            Parse(3, "missing value"),
        ),
        mtx(
            "missing column index",
            g("1 1 1\n1\n"),
            Parse(3, "missing column index"),
        ),
        mtx(
            "trailing text",
            g("1 1 1\n1 1 1.0 extra\n"),
            Parse(3, "trailing text"),
        ),
        mtx(
            "truncated: fewer entries than declared",
            g("3 3 3\n1 1 1\n2 2 1\n"),
            Parse(2, "declared 3 entries, found 2"),
        ),
        mtx(
            "more entries than declared",
            g("3 3 1\n1 1 1\n2 2 1\n"),
            Parse(4, "more entries than the 1 declared"),
        ),
        mtx("empty file", "", Parse(1, "empty file")),
        mtx("header only", GENERAL, Parse(1, "missing size line")),
        mtx(
            "garbage bytes",
            b"\x7fELF\x02\x01\x01\x00garbage".to_vec(),
            Parse(1, "expected `%%MatrixMarket"),
        ),
        mtx(
            "invalid UTF-8 in the header",
            b"%%MatrixMarket matrix coordinate real \xff\xfe\n1 1 1\n1 1 1\n".to_vec(),
            Parse(1, "not valid UTF-8"),
        ),
        mtx(
            "invalid UTF-8 in an entry",
            [GENERAL.as_bytes(), b"1 1 1\n1 1 \xc3\x28\n"].concat(),
            Parse(3, "not valid UTF-8"),
        ),
        mtx(
            "NUL bytes",
            vec![0u8; 64],
            Parse(1, "expected `%%MatrixMarket"),
        ),
        mtx(
            "complex field",
            "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
            Parse(1, "unsupported field `complex`"),
        ),
        mtx(
            "pattern field in a dense array",
            "%%MatrixMarket matrix array pattern general\n1 1\n1\n",
            Parse(1, "unsupported field `pattern`"),
        ),
        mtx(
            "unsupported symmetry",
            "%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n",
            Parse(1, "unsupported symmetry"),
        ),
        mtx(
            "very long header line is shortened in the message",
            format!(
                "%%MatrixMarket matrix {} real general\n1 1 1\n",
                "x".repeat(100_000)
            ),
            Parse(1, "unsupported format"),
        ),
    ]
}

#[track_caller]
fn check_mtx(case: &str, how: &str, e: &Error, want: MtxErr) {
    match (want, e) {
        (
            MtxErr::Parse(line, needle),
            Error::Parse {
                line: l, message, ..
            },
        ) => {
            assert_eq!(*l, line, "{case} ({how}): {e}");
            assert!(
                message.contains(needle),
                "{case} ({how}): `{e}` lacks `{needle}`"
            );
            assert!(message.len() < 400, "{case} ({how}): message too long: {e}");
        }
        _ => panic!("{case} ({how}): expected {want:?}, found {e:?}"),
    }
}

#[test]
fn matrix_market_bad_inputs_are_errors_without_large_allocations() {
    for case in mtx_cases() {
        let name = case.name;
        let e = checked_err(
            name,
            largest_allocation(|| parse_matrix_market_bytes(&case.input, Path::new("m.mtx"))),
            "m.mtx",
        );
        check_mtx(name, "bytes", &e, case.known_length);

        let (_dir, path) = temp_file("bad.mtx", &case.input);
        let e = checked_err(
            name,
            largest_allocation(|| read_matrix_market(&path)),
            "bad.mtx",
        );
        check_mtx(name, "file", &e, case.known_length);

        let e = checked_err(
            name,
            largest_allocation(|| parse_matrix_market(&case.input[..], Path::new("s.mtx"))),
            "s.mtx",
        );
        check_mtx(
            name,
            "stream",
            &e,
            case.streamed.unwrap_or(case.known_length),
        );
    }
}

#[test]
fn matrix_market_edge_cases_that_are_valid() {
    let parse = |s: &str| parse_matrix_market_bytes(s.as_bytes(), Path::new("ok.mtx")).unwrap();
    // Empty matrices and the largest shape allowed without entries.
    assert_eq!(parse(&format!("{GENERAL}0 0 0\n")).nrows(), 0);
    let wide = parse(&format!(
        "{GENERAL}1 {} 0\n",
        linalg::mtx::MAX_DIMENSION_WITHOUT_ENTRIES
    ));
    assert_eq!(wide.ncols(), linalg::mtx::MAX_DIMENSION_WITHOUT_ENTRIES);
    // A last line without its newline, CRLF line ends, comments between entries.
    let a = parse(&format!(
        "{GENERAL}%c\r\n2 2 2\r\n1 1 1.5\r\n% between\n2 2 -2"
    ));
    assert_eq!(a.to_dense(), faer::mat![[1.5, 0.0], [0.0, -2.0]]);
    // Every position of a symmetric matrix's lower triangle.
    let s = parse("%%MatrixMarket matrix coordinate real symmetric\n2 2 3\n1 1 1\n2 1 2\n2 2 3\n");
    assert_eq!(s.to_dense(), faer::mat![[1.0, 2.0], [2.0, 3.0]]);
    // Duplicates within the count bound are summed (finite-element assembly).
    let d = parse(&format!("{GENERAL}2 2 2\n1 1 1\n1 1 2\n"));
    assert_eq!(d.to_dense(), faer::mat![[3.0, 0.0], [0.0, 0.0]]);
}

// ---------------------------------------------------------------------------------------------
// npy.

/// An npy file: `header` is the Python dictionary (without padding), `data` follows it. The
/// header is padded to a multiple of 64 bytes as NumPy does; `version` picks the length field.
fn npy_bytes(version: u8, header: &str, data: &[u8]) -> Vec<u8> {
    let prefix = if version == 1 { 10 } else { 12 };
    let unpadded = prefix + header.len() + 1;
    let padded = unpadded.div_ceil(64) * 64;
    let mut dict = header.to_string();
    dict.push_str(&" ".repeat(padded - unpadded));
    dict.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([version, 0]);
    if version == 1 {
        out.extend((dict.len() as u16).to_le_bytes());
    } else {
        out.extend((dict.len() as u32).to_le_bytes());
    }
    out.extend(dict.as_bytes());
    out.extend(data);
    out
}

fn dict(descr: &str, fortran: bool, shape: &str) -> String {
    let order = if fortran { "True" } else { "False" };
    format!("{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, }}")
}

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// How a malformed npy input is read: as a 2-D `f64` array unless the case says otherwise.
#[derive(Clone, Copy)]
enum As {
    F64x2,
    F64x3,
    Boolx1,
}

fn npy_cases() -> Vec<(&'static str, Vec<u8>, As, &'static str)> {
    let ones = f64_bytes(&[1.0; 6]);
    let good = npy_bytes(1, &dict("'<f8'", false, "(2, 3)"), &ones);
    let mut bad_magic = good.clone();
    bad_magic[1] = b'X';
    let mut v1_header_past_end = good[..10].to_vec();
    v1_header_past_end[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
    let mut v2_header_4gb = b"\x93NUMPY\x02\x00".to_vec();
    v2_header_4gb.extend(u32::MAX.to_le_bytes());
    v2_header_4gb.extend(b"{'descr'");
    let long_header = format!("{}{}", dict("'<f8'", false, "(2, 3)"), " ".repeat(10_000));
    let nested = format!("{}{}", "(".repeat(500), ")".repeat(500));
    vec![
        ("empty file", vec![], As::F64x2, "too short for an npy file"),
        (
            "garbage",
            b"hello world, not npy".to_vec(),
            As::F64x2,
            "not an npy file",
        ),
        ("wrong magic", bad_magic, As::F64x2, "not an npy file"),
        (
            "truncated magic",
            good[..9].to_vec(),
            As::F64x2,
            "too short",
        ),
        (
            "truncated header",
            good[..40].to_vec(),
            As::F64x2,
            "header declares",
        ),
        (
            "header length past the end (v1)",
            v1_header_past_end,
            As::F64x2,
            "header declares 65535 bytes",
        ),
        (
            "header length of 4 GB (v2)",
            v2_header_4gb,
            As::F64x2,
            "header declares 4294967295 bytes",
        ),
        (
            "header longer than accepted",
            npy_bytes(2, &long_header, &ones),
            As::F64x2,
            "more than the 10000 accepted",
        ),
        (
            "unsupported version",
            [&good[..6], b"\x09\x00", &good[8..]].concat(),
            As::F64x2,
            "version 9.0",
        ),
        (
            "deeply nested header",
            npy_bytes(1, &nested, &[]),
            As::F64x2,
            "nests brackets deeper",
        ),
        (
            "header not a dict",
            npy_bytes(1, "[1, 2]", &ones),
            As::F64x2,
            "malformed header",
        ),
        (
            "header is not Python",
            npy_bytes(1, "{'descr': <f8", &ones),
            As::F64x2,
            "not a Python dictionary literal",
        ),
        (
            "header without newline",
            {
                let mut b = good.clone();
                b[10 + 117] = b' ';
                b
            },
            As::F64x2,
            "malformed header",
        ),
        (
            "header missing shape",
            npy_bytes(1, "{'descr': '<f8', 'fortran_order': False}", &ones),
            As::F64x2,
            "no `shape` key",
        ),
        (
            "unknown key",
            npy_bytes(
                1,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}",
                &ones,
            ),
            As::F64x2,
            "unknown key",
        ),
        (
            "negative dimension",
            npy_bytes(1, &dict("'<f8'", false, "(-2, 3)"), &ones),
            As::F64x2,
            "illegal value for key shape",
        ),
        (
            "dimension beyond usize",
            npy_bytes(
                1,
                &dict("'<f8'", false, "(99999999999999999999999, 1)"),
                &ones,
            ),
            As::F64x2,
            "illegal value for key shape",
        ),
        (
            "10^12 elements declared, 48 bytes held",
            npy_bytes(1, &dict("'<f8'", false, "(1000000, 1000000)"), &ones),
            As::F64x2,
            "needs 8000000000000 bytes of data, but the file holds only 48",
        ),
        (
            "shape product overflows",
            npy_bytes(1, &dict("'<f8'", false, "(4294967296, 4294967296)"), &ones),
            As::F64x2,
            "more elements than memory can address",
        ),
        (
            "shape times item size overflows",
            npy_bytes(1, &dict("'<f8'", false, "(4611686018427387904, 2)"), &ones),
            As::F64x2,
            "more elements than memory can address",
        ),
        (
            "truncated data",
            good[..good.len() - 8].to_vec(),
            As::F64x2,
            "needs 48 bytes of data, but the file holds only 40",
        ),
        (
            "trailing bytes",
            [&good[..], b"junk"].concat(),
            As::F64x2,
            "4 bytes follow",
        ),
        (
            "wrong dimensions",
            good.clone(),
            As::F64x3,
            "2 dimensions (shape [2, 3]), 3 expected",
        ),
        (
            "wrong item size (<f4 as f64)",
            npy_bytes(1, &dict("'<f4'", false, "(2, 3)"), &ones[..24]),
            As::F64x2,
            "4-byte items",
        ),
        (
            "wrong kind (<i8 as f64)",
            npy_bytes(1, &dict("'<i8'", false, "(2, 3)"), &ones),
            As::F64x2,
            "cannot be read as the requested element type",
        ),
        (
            "structured dtype",
            npy_bytes(1, &dict("[('a', '<f8')]", false, "(2, 3)"), &ones),
            As::F64x2,
            "unsupported dtype",
        ),
        (
            "unicode dtype",
            npy_bytes(1, &dict("'<U8'", false, "(2, 3)"), &ones),
            As::F64x2,
            "unsupported dtype",
        ),
        (
            "object dtype",
            npy_bytes(1, &dict("'|O'", false, "(2, 3)"), &ones),
            As::F64x2,
            "unsupported dtype",
        ),
        (
            "dtype not a string",
            npy_bytes(1, &dict("8", false, "(2, 3)"), &ones),
            As::F64x2,
            "unsupported dtype",
        ),
        (
            "fortran_order not a bool",
            npy_bytes(
                1,
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3)}",
                &ones,
            ),
            As::F64x2,
            "illegal value for key fortran_order",
        ),
        (
            "bool byte other than 0 or 1",
            npy_bytes(1, &dict("'|b1'", false, "(3,)"), &[0, 1, 2]),
            As::Boolx1,
            "invalid data",
        ),
    ]
}

#[test]
fn npy_bad_inputs_are_errors_without_large_allocations() {
    for (case, bytes, as_type, needle) in npy_cases() {
        let (_dir, path) = temp_file("bad.npy", &bytes);
        let from_memory = |p: &Path| match as_type {
            As::F64x2 => parse_npy::<_, ndarray::Ix2>(&bytes, p).map(|a: Array2<f64>| a.len()),
            As::F64x3 => parse_npy::<_, ndarray::Ix3>(&bytes, p).map(|a: Array3<f64>| a.len()),
            As::Boolx1 => parse_npy::<_, ndarray::Ix1>(&bytes, p).map(|a: Array1<bool>| a.len()),
        };
        let from_file = || match as_type {
            As::F64x2 => read_npy::<_, ndarray::Ix2>(&path).map(|a: Array2<f64>| a.len()),
            As::F64x3 => read_npy::<_, ndarray::Ix3>(&path).map(|a: Array3<f64>| a.len()),
            As::Boolx1 => read_npy::<_, ndarray::Ix1>(&path).map(|a: Array1<bool>| a.len()),
        };
        for (how, e) in [
            (
                "bytes",
                checked_err(
                    case,
                    largest_allocation(|| from_memory(Path::new("m.npy"))),
                    "m.npy",
                ),
            ),
            (
                "file",
                checked_err(case, largest_allocation(from_file), "bad.npy"),
            ),
        ] {
            assert!(matches!(e, Error::Npy { .. }), "{case} ({how}): {e:?}");
            assert!(
                e.to_string().contains(needle),
                "{case} ({how}): `{e}` lacks `{needle}`"
            );
            assert!(
                e.to_string().len() < 400,
                "{case} ({how}): message too long: {e}"
            );
        }
    }
}

/// The header parser backtracks over nested brackets (its time doubles per level): the worst
/// header within the accepted length and nesting must still be refused quickly.
#[test]
fn npy_worst_case_headers_parse_quickly() {
    let depth = linalg::npy::MAX_HEADER_NESTING;
    // Inside the dictionary and the `descr` list: two levels fewer.
    let unit = format!("{}1{}, ", "[".repeat(depth - 2), "]".repeat(depth - 2));
    let mut worst = String::from("{'descr': [");
    while worst.len() + unit.len() + 40 < linalg::npy::MAX_HEADER_BYTES {
        worst.push_str(&unit);
    }
    worst.push_str("], 'fortran_order': False, 'shape': (1,)}");
    for header in [
        worst.replace('[', "{").replace(']', "}"),
        worst.clone(),
        format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        format!("{}{}", "{".repeat(depth), "}".repeat(depth)),
    ] {
        let bytes = npy_bytes(1, &header[..header.len().min(9_900)], &[]);
        let start = std::time::Instant::now();
        let r = parse_npy::<_, ndarray::IxDyn>(&bytes, Path::new("w.npy")).map(|a: ArrayD<f64>| a);
        let took = start.elapsed();
        if let Err(e) = r {
            assert!(!e.to_string().contains("nests brackets deeper"), "{e}");
        }
        assert!(
            took.as_secs_f64() < 2.0,
            "{took:?} for a header of {} bytes",
            header.len()
        );
    }
}

#[test]
fn npy_layouts_byte_orders_and_values_that_are_valid() {
    let path = Path::new("ok.npy");
    // Fortran order: the same values as C order.
    let column_major = f64_bytes(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let f: Array2<f64> = parse_npy(
        &npy_bytes(1, &dict("'<f8'", true, "(2, 3)"), &column_major),
        path,
    )
    .unwrap();
    assert_eq!(f, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    // Big-endian data.
    let be: Vec<u8> = [1.0f64, -2.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let b: Array1<f64> =
        parse_npy(&npy_bytes(1, &dict("'>f8'", false, "(2,)"), &be), path).unwrap();
    assert_eq!(b, array![1.0, -2.0]);
    // Versions 2.0 and 3.0, zero-size and zero-dimensional arrays.
    let v2: Array2<f64> =
        parse_npy(&npy_bytes(2, &dict("'<f8'", false, "(0, 5)"), &[]), path).unwrap();
    assert_eq!(v2.dim(), (0, 5));
    let v3: ArrayD<f64> = parse_npy(
        &npy_bytes(3, &dict("'<f8'", false, "()"), &f64_bytes(&[7.0])),
        path,
    )
    .unwrap();
    assert_eq!(v3.into_raw_vec_and_offset().0, vec![7.0]);
    // Values are not checked by the reader: NaN and infinities come back as they are.
    let nan: Array1<f64> = parse_npy(
        &npy_bytes(
            1,
            &dict("'<f8'", false, "(2,)"),
            &f64_bytes(&[f64::NAN, f64::INFINITY]),
        ),
        path,
    )
    .unwrap();
    assert!(nan[0].is_nan() && nan[1] == f64::INFINITY);
}

// ---------------------------------------------------------------------------------------------
// npz.

/// Offsets of the signatures `sig` in `bytes`.
fn find_all(bytes: &[u8], sig: &[u8]) -> Vec<usize> {
    bytes
        .windows(sig.len())
        .enumerate()
        .filter(|(_, w)| *w == sig)
        .map(|(i, _)| i)
        .collect()
}

/// Rewrites a 32-bit little-endian field at `offset` from every local (`PK\3\4`) or central
/// (`PK\1\2`) header.
fn patch_headers(bytes: &[u8], local_offset: usize, central_offset: usize, value: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for at in find_all(bytes, b"PK\x03\x04") {
        out[at + local_offset..at + local_offset + 4].copy_from_slice(&value.to_le_bytes());
    }
    for at in find_all(bytes, b"PK\x01\x02") {
        out[at + central_offset..at + central_offset + 4].copy_from_slice(&value.to_le_bytes());
    }
    out
}

fn good_npz() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npz");
    let x = array![[1.0, 2.0], [3.0, 4.0]];
    write_npz(
        &path,
        &[
            ("x", x.view().into_dyn()),
            ("y", (&x * 2.0).view().into_dyn()),
        ],
    )
    .unwrap();
    std::fs::read(path).unwrap()
}

fn npz_cases() -> Vec<(&'static str, Vec<u8>, &'static str, &'static str)> {
    let good = good_npz();
    let npy_data_start = find_all(&good, b"\x93NUMPY")[0];
    let mut corrupt_data = good.clone();
    corrupt_data[npy_data_start + 128 + 3] ^= 0x40;
    let mut compressed = good.clone();
    for at in find_all(&good, b"PK\x03\x04") {
        compressed[at + 8] = 8;
    }
    for at in find_all(&good, b"PK\x01\x02") {
        compressed[at + 10] = 8;
    }
    let mut few_files_many_claimed = good.clone();
    let eocd = find_all(&good, b"PK\x05\x06")[0];
    few_files_many_claimed[eocd + 8..eocd + 12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("a.npy");
    write_npy(&npy, &array![1.0, 2.0]).unwrap();
    let wrong_dtype = {
        let p = dir.path().join("i.npz");
        let ints = Array1::from(vec![1i32, 2, 3, 4]);
        write_npz(&p, &[("x", ints.view().into_dyn())]).unwrap();
        std::fs::read(p).unwrap()
    };
    vec![
        ("empty file", vec![], "x", "not a readable npz"),
        (
            "garbage",
            b"PK garbage, not a zip archive at all".to_vec(),
            "x",
            "not a readable npz",
        ),
        (
            "an npy file",
            std::fs::read(npy).unwrap(),
            "x",
            "not a readable npz",
        ),
        (
            "truncated archive",
            good[..good.len() / 2].to_vec(),
            "x",
            "not a readable npz",
        ),
        (
            "missing array",
            good.clone(),
            "z",
            "array `z`: not found (the archive holds `x`, `y`)",
        ),
        (
            "entry declares 4 GB (central and local sizes)",
            patch_headers(
                &patch_headers(&good, 18, 20, 0xFFFF_FFF0),
                22,
                24,
                0xFFFF_FFF0,
            ),
            "x",
            "array `x`: entry declares 4294967280 bytes, but the archive holds only 514",
        ),
        (
            "entry declares 4 GB uncompressed",
            patch_headers(&good, 22, 24, 0xFFFF_FFF0),
            "x",
            "array `x`: uncompressed entry declares 4294967280 bytes but stores 160",
        ),
        (
            "entry size smaller than its npy",
            patch_headers(&good, 22, 24, 100),
            "x",
            "array `x`: uncompressed entry declares 100 bytes but stores 160",
        ),
        (
            "directory claims 65535 entries",
            few_files_many_claimed,
            "x",
            "not a readable npz",
        ),
        (
            "corrupt data (checksum)",
            corrupt_data,
            "x",
            "array `x`: reading the entry: Invalid checksum",
        ),
        (
            "compressed entry",
            compressed,
            "x",
            "array `x`: entry is compressed (deflate)",
        ),
        (
            "wrong dtype inside",
            wrong_dtype,
            "x",
            "array `x`: dtype '<i4' has 4-byte items",
        ),
    ]
}

#[test]
fn npz_bad_inputs_are_errors_without_large_allocations() {
    for (case, bytes, name, needle) in npz_cases() {
        let (_dir, path) = temp_file("bad.npz", &bytes);
        for (how, e) in [
            (
                "bytes",
                checked_err(
                    case,
                    largest_allocation(|| {
                        parse_npz::<_, ndarray::IxDyn>(&bytes, name, Path::new("m.npz"))
                            .map(|a: ArrayD<f64>| a.len())
                    }),
                    "m.npz",
                ),
            ),
            (
                "file",
                checked_err(
                    case,
                    largest_allocation(|| {
                        read_npz::<_, ndarray::IxDyn>(&path, name).map(|a: ArrayD<f64>| a.len())
                    }),
                    "bad.npz",
                ),
            ),
        ] {
            assert!(matches!(e, Error::Npy { .. }), "{case} ({how}): {e:?}");
            assert!(
                e.to_string().contains(needle),
                "{case} ({how}): `{e}` lacks `{needle}`"
            );
        }
    }
    // The archive itself is fine.
    let x: Array2<f64> = parse_npz(&good_npz(), "x.npy", Path::new("ok.npz")).unwrap();
    assert_eq!(x, array![[1.0, 2.0], [3.0, 4.0]]);
}

// ---------------------------------------------------------------------------------------------
// Serialized matrices (`serde_mat`).

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Holder {
    #[serde(with = "linalg::serde_mat")]
    m: faer::Mat<f64>,
}

#[test]
fn serialized_matrices_with_wrong_shapes_are_errors() {
    let cases = [
        (
            r#"{"m":{"nrows":1000000000000,"ncols":1000000000000,"data":[]}}"#,
            "needs",
        ),
        (
            r#"{"m":{"nrows":18446744073709551615,"ncols":2,"data":[1.0]}}"#,
            "needs",
        ),
        (
            r#"{"m":{"nrows":2,"ncols":2,"data":[1.0,2.0,3.0]}}"#,
            "needs 4 entries, found 3",
        ),
        (r#"{"m":{"nrows":-1,"ncols":2,"data":[]}}"#, "invalid value"),
        (
            r#"{"m":{"nrows":1,"ncols":1,"data":[NaN]}}"#,
            "expected value",
        ),
        (r#"{"m":{"nrows":1,"ncols":1}}"#, "missing field `data`"),
    ];
    for (json, needle) in cases {
        let (r, largest) = largest_allocation(|| serde_json::from_str::<Holder>(json));
        assert!(largest <= SMALL_INPUT_ALLOCATION, "{json}: {largest} bytes");
        let e = r.unwrap_err().to_string();
        assert!(e.contains(needle), "{json}: `{e}` lacks `{needle}`");
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs kept from fuzzing.

/// Every file under `tests/data/fuzz/<target>/` goes through its reader: an `Err` or an `Ok` is
/// fine, a panic or an abort is the regression.
#[test]
fn fuzz_findings_stay_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    for target in ["mtx", "npy", "npz"] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let (r, largest) = largest_allocation(|| match target {
                "mtx" => parse_matrix_market_bytes(&bytes, &path)
                    .map(|_| ())
                    .and_then(|()| parse_matrix_market(&bytes[..], &path).map(|_| ())),
                "npy" => parse_npy::<_, ndarray::IxDyn>(&bytes, &path).map(|_: ArrayD<f64>| ()),
                _ => parse_npz::<_, ndarray::IxDyn>(&bytes, "x", &path).map(|_: ArrayD<f64>| ()),
            });
            assert!(
                largest <= 64 * SMALL_INPUT_ALLOCATION.max(bytes.len()),
                "{}: {largest} bytes",
                path.display()
            );
            if let Err(e) = r {
                assert!(!e.to_string().contains('\n'), "{}: {e}", path.display());
            }
        }
    }
}
