//! Arbitrary bytes into the Matrix Market reader, both with the input length known (as
//! `read_matrix_market` reads a file) and as a stream of unknown length.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.mtx");
    let with_length = linalg::mtx::parse_matrix_market_bytes(data, path);
    let streamed = linalg::mtx::parse_matrix_market(data, path);
    // The two entry points run the same parser: they agree on success. (Compared entry by
    // entry: a dense copy of an accepted 5·10⁶ × 74 shape with five entries would be 3 GB.)
    if let (Ok(a), Ok(b)) = (&with_length, &streamed) {
        assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
        let entries = |m: &linalg::CsrMatrix| linalg::sparse::triplets(m.as_ref());
        assert_eq!(entries(a), entries(b));
    }
    // Every error is one line.
    for e in [with_length.err(), streamed.err()].into_iter().flatten() {
        assert!(!e.to_string().contains('\n'), "{e}");
    }
});
