//! Saved DCDM direction-network weights from the fuzzer's bytes, read by `DirectionCnn::load`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readers_fuzz::{one_line, single_file};

fuzz_target!(|data: &[u8]| {
    one_line(krylov_recycle::dcdm::cnn::DirectionCnn::load(single_file(
        data, "cnn.json",
    )));
});
