//! File round trips (Matrix Market, npy, npz) and clear errors on malformed files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;

use linalg::Error;
use linalg::mtx::{parse_matrix_market, read_matrix_market, write_matrix_market};
use linalg::npy::{read_npy, read_npz, write_npy, write_npz};
use linalg::sparse::csr_from_triplets;
use ndarray::{Array1, Array2, Array3, array};

fn parse(text: &str) -> linalg::Result<faer::Mat<f64>> {
    parse_matrix_market(text.as_bytes(), Path::new("test.mtx")).map(|a| a.to_dense())
}

#[test]
fn matrix_market_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.mtx");
    let vals = [1.0 / 3.0, -2.5e-300, 7.0e200, std::f64::consts::PI];
    let a = csr_from_triplets(
        5,
        4,
        &[
            (0, 0, vals[0]),
            (4, 3, vals[1]),
            (2, 1, vals[2]),
            (2, 2, vals[3]),
        ],
    )
    .unwrap();
    write_matrix_market(&path, a.as_ref()).unwrap();
    let b = read_matrix_market(&path).unwrap();
    assert_eq!(a.to_dense(), b.to_dense());
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn matrix_market_symmetric_pattern_and_array_formats() {
    let sym = parse(
        "%%MatrixMarket matrix coordinate real symmetric\n% comment\n3 3 3\n1 1 2\n2 1 -1\n3 3 4\n",
    )
    .unwrap();
    assert_eq!(
        sym,
        faer::mat![[2.0, -1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 4.0]]
    );
    let skew =
        parse("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3\n").unwrap();
    assert_eq!(skew, faer::mat![[0.0, -3.0], [3.0, 0.0]]);
    let pattern =
        parse("%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\n2 1\n").unwrap();
    assert_eq!(pattern, faer::mat![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
    let int = parse("%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 -7\n").unwrap();
    assert_eq!(int, faer::mat![[-7.0]]);
    // Dense arrays are column-major.
    let dense = parse("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n").unwrap();
    assert_eq!(dense, faer::mat![[1.0, 3.0], [2.0, 4.0]]);
    let dense_sym = parse("%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n").unwrap();
    assert_eq!(dense_sym, faer::mat![[1.0, 2.0], [2.0, 3.0]]);
}

#[test]
fn malformed_matrix_market_files_name_the_line() {
    let cases: [(&str, usize, &str); 10] = [
        ("", 1, "empty file"),
        (
            "%%MatrixMarket tensor coordinate real general\n1 1 1\n1 1 1\n",
            1,
            "expected",
        ),
        (
            "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
            1,
            "unsupported field",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n% only a comment\n",
            1,
            "missing size line",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n2 x 1\n",
            2,
            "malformed size line",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1.0\n",
            2,
            "truncated",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1.0\n",
            3,
            "outside 1..=2",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n",
            3,
            "malformed value",
        ),
        (
            "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1.0\n2 2 2.0\n",
            4,
            "more entries",
        ),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1.0\n",
            2,
            "must be square",
        ),
    ];
    for (text, line, needle) in cases {
        match parse(text) {
            Err(e @ Error::Parse { .. }) => {
                let Error::Parse {
                    line: l,
                    ref message,
                    ..
                } = e
                else {
                    unreachable!()
                };
                assert_eq!(l, line, "{text:?}: {e}");
                assert!(message.contains(needle), "{text:?}: {e}");
                assert!(e.to_string().starts_with(&format!("test.mtx:{line}:")));
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let e = parse("%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 nan\n").unwrap_err();
    assert!(matches!(e, Error::Parse { line: 3, .. }), "{e:?}");
    assert!(e.to_string().contains("entry (1, 1) is NaN"), "{e}");
}

#[test]
fn missing_files_are_io_errors_with_the_path() {
    let err = read_matrix_market("/nonexistent/dir/a.mtx").unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/dir/a.mtx"));
    let err = read_npy::<_, ndarray::Ix2>("/nonexistent/a.npy")
        .map(|a: Array2<f64>| a)
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    // Writing into a missing directory fails cleanly too.
    let a = csr_from_triplets(1, 1, &[(0, 0, 1.0)]).unwrap();
    assert!(matches!(
        write_matrix_market("/nonexistent/dir/a.mtx", a.as_ref()),
        Err(Error::Io { .. })
    ));
}

#[test]
fn npy_and_npz_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let a2 = array![[1.0, -2.0, 3.5], [4.0, 5.0, f64::MIN_POSITIVE]];
    let a3 = Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
    let labels = Array1::from(vec![3i64, 1, 4]);
    write_npy(dir.path().join("a2.npy"), &a2).unwrap();
    write_npy(dir.path().join("a3.npy"), &a3).unwrap();
    write_npy(dir.path().join("l.npy"), &labels).unwrap();
    let b2: Array2<f64> = read_npy(dir.path().join("a2.npy")).unwrap();
    let b3: Array3<f64> = read_npy(dir.path().join("a3.npy")).unwrap();
    let l: Array1<i64> = read_npy(dir.path().join("l.npy")).unwrap();
    assert_eq!((a2.clone(), a3, labels), (b2, b3, l));

    let npz = dir.path().join("pair.npz");
    write_npz(
        &npz,
        &[
            ("x", a2.view().into_dyn()),
            ("y", (&a2 * 2.0).view().into_dyn()),
        ],
    )
    .unwrap();
    let y: Array2<f64> = read_npz(&npz, "y").unwrap();
    assert_eq!(y, &a2 * 2.0);
    let missing = read_npz::<_, ndarray::Ix2>(&npz, "z")
        .map(|a: Array2<f64>| a)
        .unwrap_err();
    assert!(missing.to_string().contains("array `z`"), "{missing}");
}

fn npy_err(bytes: &[u8]) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npy");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    read_npy::<_, ndarray::Ix2>(&path)
        .map(|a: Array2<f64>| a)
        .unwrap_err()
}

#[test]
fn malformed_npy_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.npy");
    write_npy(&good, &Array2::<f64>::ones((10, 10))).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    // Truncated data.
    let e = npy_err(&bytes[..bytes.len() - 8]);
    assert!(matches!(e, Error::Npy { .. }), "{e}");
    // Truncated header.
    assert!(matches!(npy_err(&bytes[..20]), Error::Npy { .. }));
    // Wrong magic string.
    let mut wrong = bytes.clone();
    wrong[1] = b'X';
    assert!(matches!(npy_err(&wrong), Error::Npy { .. }));
    // Not an npy file at all.
    assert!(matches!(npy_err(b"hello world"), Error::Npy { .. }));

    // Wrong dtype: an i64 file read as f64.
    let ints = dir.path().join("ints.npy");
    write_npy(&ints, &Array2::<i64>::zeros((2, 2))).unwrap();
    let e = read_npy::<_, ndarray::Ix2>(&ints)
        .map(|a: Array2<f64>| a)
        .unwrap_err();
    assert!(matches!(e, Error::Npy { .. }));
    assert!(e.to_string().contains("ints.npy"));
    // Wrong number of dimensions.
    let e = read_npy::<_, ndarray::Ix3>(&good)
        .map(|a: Array3<f64>| a)
        .unwrap_err();
    assert!(matches!(e, Error::Npy { .. }));
}
