//! An edge list (text, `i j` per line, `#` comments) from the fuzzer's bytes, read by
//! `Graph::read_text` with the node count inferred from the ids and given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use readers_fuzz::one_line;
use sampling::graph::Graph;

fuzz_target!(|data: &[u8]| {
    one_line(Graph::read_text(data, "fuzz.txt", None));
    one_line(Graph::read_text(data, "fuzz.txt", Some(1000)));
});
