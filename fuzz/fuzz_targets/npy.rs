//! Arbitrary bytes into the npy reader, read as the element types and dimensions the
//! workspace uses.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use linalg::npy::parse_npy;
use ndarray::{Array1, Array2, Array3, ArrayD};

fn one_line<T>(r: linalg::Result<T>) {
    if let Err(e) = r {
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.npy");
    one_line(parse_npy::<_, _>(data, path).map(|a: ArrayD<f64>| a));
    one_line(parse_npy::<_, _>(data, path).map(|a: Array2<f64>| a));
    one_line(parse_npy::<_, _>(data, path).map(|a: Array3<f32>| a));
    one_line(parse_npy::<_, _>(data, path).map(|a: Array1<i64>| a));
    one_line(parse_npy::<_, _>(data, path).map(|a: ArrayD<i32>| a));
    one_line(parse_npy::<_, _>(data, path).map(|a: ArrayD<u8>| a));
    one_line(parse_npy::<_, _>(data, path).map(|a: ArrayD<bool>| a));
});
