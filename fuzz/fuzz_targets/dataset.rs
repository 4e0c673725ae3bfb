//! A dataset directory (`meta.json`, `stats.json`, merged arrays, per-sample parts, saved
//! systems) from the fuzzer's bytes, read by `pde-bench info`, `solve` and `merge`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readers_fuzz::{DATASET_FILES, one_line, populate};

fuzz_target!(|data: &[u8]| {
    let dir = populate(data, &DATASET_FILES);
    one_line(pde_bench::dataset::info(dir));
    one_line(pde_bench::solve::read_systems(dir));
    // Last: a complete set of parts is merged (written and removed).
    one_line(pde_bench::dataset::merge(dir));
});
