//! A snapshot directory (`description.json` and its arrays), as another solver would export
//! it, from the fuzzer's bytes, read by `MechanicalSnapshots::read`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readers_fuzz::{SNAPSHOT_FILES, one_line, populate};

fuzz_target!(|data: &[u8]| {
    let dir = populate(data, &SNAPSHOT_FILES);
    one_line(rom_core::snapshots::MechanicalSnapshots::read(dir));
});
