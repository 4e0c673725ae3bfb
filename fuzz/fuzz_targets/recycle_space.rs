//! A saved recycle space from the fuzzer's bytes, read by `RecycleSpace::load`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readers_fuzz::{one_line, single_file};

fuzz_target!(|data: &[u8]| {
    one_line(krylov_recycle::RecycleSpace::load(single_file(
        data,
        "space.json",
    )));
});
