//! Arbitrary bytes into the npz reader, looking up the array names the workspace uses.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use linalg::npy::parse_npz;
use ndarray::{Array1, ArrayD};

fn one_line<T>(r: linalg::Result<T>) {
    if let Err(e) = r {
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.npz");
    one_line(parse_npz::<_, _>(data, "x", path).map(|a: ArrayD<f64>| a));
    one_line(parse_npz::<_, _>(data, "y", path).map(|a: Array1<i64>| a));
    one_line(parse_npz::<_, _>(data, "data", path).map(|a: ArrayD<f32>| a));
});
