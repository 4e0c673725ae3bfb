//! A saved hyper-reduced model from the fuzzer's bytes, read by `HyperReducedModel::load`.
//! The first byte chooses between the rest as the whole file (odd) and the rest as the JSON
//! payload with a valid header and checksum put in front (even), so that mutations reach the
//! consistency checks behind the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readers_fuzz::{hyper_reduced_header, one_line, single_file};
use rom_core::hyper_reduced::HyperReducedModel;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 1 {
        rest.to_vec()
    } else {
        let mut file = hyper_reduced_header(rest).into_bytes();
        file.extend(rest);
        file
    };
    one_line(HyperReducedModel::load(single_file(&bytes, "model.rom")));
});
