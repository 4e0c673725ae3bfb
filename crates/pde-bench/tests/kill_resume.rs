//! `pde-bench generate` under SIGKILL and under concurrent shards.
//!
//! - Kill and resume: the command is killed with SIGKILL after a seeded random delay, the
//!   directory is scanned (every file under a final name must be whole and agree with an
//!   uninterrupted run; anything else must be named as a temporary), and the same command is
//!   run again, until the kill budget is spent. A run that completes before its kill closes a
//!   round: its dataset is checked against the uninterrupted run and a fresh directory starts
//!   the next round. The final arrays and `meta.json` are compared byte for byte; `stats.json`
//!   is compared on its deterministic fields only (every field but the per-sample wall-clock
//!   `time_s` and the totals derived from it). A completed sample is never recomputed: its
//!   stats file (whose `time_s` fingerprints the computation) keeps its bytes up to the merge.
//! - Concurrent shards: `WRITERS` processes `--shard i/WRITERS` start at once on one directory,
//!   then `pde-bench merge`; the result must equal a single unsharded run byte for byte.
//!   Several `pde-bench merge` processes (and several threads calling [`merge`]) on one
//!   complete directory must all succeed and agree.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ndarray::{Array2, Array3, Axis};
use pde_bench::dataset::{DatasetStats, SampleStats, info, merge};
use rand::Rng;

/// Darcy, threshold coefficient, symmetric assembly: `COUNT` samples on a
/// `RESOLUTION x RESOLUTION` grid (about 1.5 to 2 s for a whole run in the test profile).
const RESOLUTION: usize = 16;
const COUNT: usize = 200;
const SEED: u64 = 7;
/// SIGKILLs in the default run of [`kill_and_resume_leaves_no_partial_file_and_the_same_arrays`].
const KILLS: usize = 50;
/// Concurrent `--shard i/WRITERS` processes.
const WRITERS: usize = 4;
/// Repetitions of the concurrent-writers scenario (the race between the last shards to finish
/// is timing-dependent).
const CONCURRENT_ROUNDS: usize = 3;

fn generate_command(out: &Path, threads: usize, shard: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pde-bench"));
    cmd.args(["generate", "darcy"])
        .args(["--resolution", &RESOLUTION.to_string()])
        .args(["--count", &COUNT.to_string()])
        .args(["--seed", &SEED.to_string()])
        .args(["--threads", &threads.to_string()])
        .arg("--out")
        .arg(out);
    if let Some(shard) = shard {
        cmd.args(["--shard", shard]);
    }
    cmd
}

fn run_to_completion(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The fields of a sample's stats that do not depend on timing.
fn deterministic(s: &SampleStats) -> (usize, u64, String, usize, u64) {
    (
        s.index,
        s.seed,
        s.solver.clone(),
        s.iterations,
        s.rel_residual.to_bits(),
    )
}

fn bits<D: ndarray::Dimension>(a: &ndarray::Array<f64, D>) -> Vec<u64> {
    a.iter().map(|v| v.to_bits()).collect()
}

/// An uninterrupted, unsharded run (its files, held in memory).
struct Reference {
    meta: Vec<u8>,
    inputs: Vec<u8>,
    solutions: Vec<u8>,
    input_array: Array3<f64>,
    solution_array: Array3<f64>,
    stats: DatasetStats,
    seconds: f64,
}

/// The uninterrupted run, computed once for all tests.
fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(Reference::new)
}

impl Reference {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("reference");
        let start = Instant::now();
        run_to_completion(generate_command(&out, 2, None));
        let seconds = start.elapsed().as_secs_f64();
        let read = |name: &str| std::fs::read(out.join(name)).unwrap();
        let stats: DatasetStats =
            serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap();
        assert_eq!(stats.samples.len(), COUNT);
        Self {
            meta: read("meta.json"),
            inputs: read("inputs.npy"),
            solutions: read("solutions.npy"),
            input_array: linalg::npy::read_npy(out.join("inputs.npy")).unwrap(),
            solution_array: linalg::npy::read_npy(out.join("solutions.npy")).unwrap(),
            stats,
            seconds,
        }
    }

    /// Checks a `stats.json` against the reference on its deterministic fields, and against
    /// the part stats seen during the run on every field (no sample recomputed).
    fn check_stats(&self, path: &Path, seen: &BTreeMap<usize, Vec<u8>>) {
        let stats: DatasetStats = serde_json::from_slice(&std::fs::read(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(stats.samples.len(), COUNT, "{}", path.display());
        for (s, r) in stats.samples.iter().zip(&self.stats.samples) {
            assert_eq!(deterministic(s), deterministic(r), "{}", path.display());
        }
        let (t, r) = (&stats.totals, &self.stats.totals);
        assert_eq!(t.count, r.count);
        assert_eq!(t.max_rel_residual.to_bits(), r.max_rel_residual.to_bits());
        assert_eq!(t.mean_iterations.to_bits(), r.mean_iterations.to_bits());
        for (&k, bytes) in seen {
            let part: SampleStats = serde_json::from_slice(bytes).unwrap();
            assert_eq!(
                stats.samples[k], part,
                "sample {k} changed between its part file and stats.json (recomputed?)"
            );
        }
    }

    /// Checks a finished dataset directory: arrays and metadata byte for byte, stats, no parts
    /// and no temporary left (a kill's leftovers are removed once the dataset is merged).
    fn check_complete(&self, dir: &Path, seen: &BTreeMap<usize, Vec<u8>>) {
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        assert!(read("meta.json") == self.meta, "meta.json differs");
        assert!(read("inputs.npy") == self.inputs, "inputs.npy differs");
        assert!(
            read("solutions.npy") == self.solutions,
            "solutions.npy differs"
        );
        self.check_stats(&dir.join("stats.json"), seen);
        assert!(!dir.join("parts").exists(), "parts/ left after the merge");
        let i = info(dir).unwrap();
        assert!(i.merged && i.done == COUNT, "{i:?}");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                ["meta.json", "inputs.npy", "solutions.npy", "stats.json"].contains(&name.as_str()),
                "unexpected file {name}"
            );
        }
    }
}

/// `.NAME.tmp-…`: how `linalg::io::write_atomic` names a file being written.
fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// `000012.npz` -> (12, "npz").
fn part_name(name: &str) -> Option<(usize, &str)> {
    let (stem, ext) = name.split_once('.')?;
    (stem.len() == 6 && stem.bytes().all(|b| b.is_ascii_digit()))
        .then(|| (stem.parse().ok(), ext))
        .and_then(|(k, ext)| Some((k?, ext)))
}

/// Where a killed run was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// No `meta.json` yet.
    Start,
    /// Samples being generated.
    Generating,
    /// Every sample done, no `stats.json` yet (merging).
    Merging,
    /// `stats.json` written, `parts/` still there (being removed).
    RemovingParts,
    /// Merged.
    Merged,
}

/// What a scan of an interrupted dataset directory found.
struct Scan {
    phase: Phase,
    parts_done: usize,
    temporaries: usize,
}

/// Scans a directory right after a kill: every file under a final name must be whole and equal
/// the reference; the rest must be temporaries. `seen` collects the bytes of each part's stats
/// file, which must never change once written.
fn scan(dir: &Path, reference: &Reference, seen: &mut BTreeMap<usize, Vec<u8>>) -> Scan {
    let mut temporaries = 0;
    let mut parts_done = 0;
    if !dir.exists() {
        return Scan {
            phase: Phase::Start,
            parts_done,
            temporaries,
        };
    }
    let has = |name: &str| dir.join(name).exists();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let path = entry.path();
        match name.as_str() {
            "meta.json" => assert!(std::fs::read(&path).unwrap() == reference.meta),
            "inputs.npy" => assert!(std::fs::read(&path).unwrap() == reference.inputs),
            "solutions.npy" => assert!(std::fs::read(&path).unwrap() == reference.solutions),
            "stats.json" => {
                // Committed only after the arrays.
                assert!(has("inputs.npy") && has("solutions.npy"));
                reference.check_stats(&path, seen);
            }
            "parts" => {}
            _ if is_temporary(&name) => temporaries += 1,
            _ => panic!("unexpected file {name} after a kill"),
        }
    }
    let parts = dir.join("parts");
    if parts.exists() {
        let mut files: Vec<String> = std::fs::read_dir(&parts)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        for name in files {
            let path = parts.join(&name);
            if is_temporary(&name) {
                temporaries += 1;
                continue;
            }
            let Some((k, ext)) = part_name(&name).filter(|&(k, _)| k < COUNT) else {
                panic!("unexpected file parts/{name} after a kill");
            };
            match ext {
                "npz" => {
                    let input: Array2<f64> = linalg::npy::read_npz(&path, "input")
                        .unwrap_or_else(|e| panic!("parts/{name}: {e}"));
                    let solution: Array2<f64> = linalg::npy::read_npz(&path, "solution")
                        .unwrap_or_else(|e| panic!("parts/{name}: {e}"));
                    assert_eq!(
                        bits(&input),
                        bits(&reference.input_array.index_axis(Axis(0), k).to_owned()),
                        "parts/{name}: input differs"
                    );
                    assert_eq!(
                        bits(&solution),
                        bits(&reference.solution_array.index_axis(Axis(0), k).to_owned()),
                        "parts/{name}: solution differs"
                    );
                }
                "json" => {
                    let bytes = std::fs::read(&path).unwrap();
                    let stats: SampleStats = serde_json::from_slice(&bytes)
                        .unwrap_or_else(|e| panic!("parts/{name}: {e}"));
                    assert_eq!(
                        deterministic(&stats),
                        deterministic(&reference.stats.samples[k])
                    );
                    // The stats file marks the sample done: its arrays came first (until
                    // the merge, after which `parts/` is removed in any order).
                    assert!(
                        has("stats.json") || parts.join(format!("{k:06}.npz")).exists(),
                        "parts/{name} without its npz"
                    );
                    if let Some(before) = seen.insert(k, bytes.clone()) {
                        assert!(
                            before == bytes,
                            "sample {k} was recomputed after it was done"
                        );
                    }
                    parts_done += 1;
                }
                _ => panic!("unexpected file parts/{name} after a kill"),
            }
        }
    }
    let phase = match (has("meta.json"), has("stats.json"), parts.exists()) {
        (false, _, _) => Phase::Start,
        (true, true, true) => Phase::RemovingParts,
        (true, true, false) => Phase::Merged,
        (true, false, _) if parts_done == COUNT => Phase::Merging,
        (true, false, _) => Phase::Generating,
    };
    Scan {
        phase,
        parts_done,
        temporaries,
    }
}

/// `generated G samples, D already done`: (G, D).
fn generated_and_done(stdout: &str) -> (usize, usize) {
    let number_before = |needle: &str| -> usize {
        let end = stdout.find(needle).unwrap_or_else(|| panic!("{stdout}"));
        let start = stdout[..end].rfind(' ').map_or(0, |i| i + 1);
        stdout[start..end].parse().unwrap()
    };
    (number_before(" samples,"), number_before(" already done"))
}

fn kill_and_resume(kills: usize, seed: u64) {
    let reference = reference();
    let root = tempfile::tempdir().unwrap();
    let mut rng = linalg::rng::seeded(seed);
    // A kill lands after a delay uniform in [0, T/4) (T: an uninterrupted run), so a round
    // (from an empty directory to a run that completes before its kill) takes several kills,
    // spread over the generation and the merge; one kill in four comes within the first
    // EARLY seconds of its run instead (the start, or the merge of a run with little left).
    const EARLY: f64 = 0.03;
    let max_delay = 0.25 * reference.seconds;
    let started = Instant::now();
    let mut killed = 0;
    let mut rounds = 0;
    let mut phases: BTreeMap<Phase, usize> = BTreeMap::new();
    let mut max_temporaries = 0;
    let mut dir: PathBuf = root.path().join("round0");
    let mut seen = BTreeMap::new();
    let mut done_before = 0;
    let finish = |dir: &Path, seen: &mut BTreeMap<usize, Vec<u8>>, stdout: &str, done_before| {
        let (generated, done) = generated_and_done(stdout);
        // Resumed, not recomputed: the samples done before are skipped (all of them once the
        // dataset is merged).
        if done != COUNT {
            assert_eq!(
                (generated, done),
                (COUNT - done_before, done_before),
                "{stdout}"
            );
        }
        reference.check_complete(dir, seen);
        // Complete: a rerun does nothing.
        let again = run_to_completion(generate_command(dir, 2, None));
        assert_eq!(generated_and_done(&again), (0, COUNT), "{again}");
        seen.clear();
    };
    while killed < kills {
        let delay = if rng.random_bool(0.25) {
            rng.random_range(0.0..EARLY)
        } else {
            rng.random_range(0.0..max_delay)
        };
        let delay = Duration::from_secs_f64(delay);
        let mut child = generate_command(&dir, 2, None)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        if out.status.signal() == Some(9) {
            killed += 1;
            let s = scan(&dir, reference, &mut seen);
            *phases.entry(s.phase).or_default() += 1;
            max_temporaries = max_temporaries.max(s.temporaries);
            done_before = if s.phase >= Phase::RemovingParts {
                COUNT
            } else {
                s.parts_done
            };
        } else {
            assert!(out.status.success(), "generate failed: {:?}", out.status);
            // Completed before its kill: the round is over.
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            finish(&dir, &mut seen, &stdout, done_before);
            rounds += 1;
            dir = root.path().join(format!("round{rounds}"));
            done_before = 0;
        }
    }
    // The last round: resume to completion.
    let stdout = run_to_completion(generate_command(&dir, 2, None));
    finish(&dir, &mut seen, &stdout, done_before);
    rounds += 1;
    println!(
        "{killed} SIGKILLs over {rounds} rounds in {:.1} s (uninterrupted run {:.2} s); kills by phase {phases:?}; \
         at most {max_temporaries} temporaries in a directory after a kill, none left in the completed datasets",
        started.elapsed().as_secs_f64(),
        reference.seconds
    );
}

#[test]
fn kill_and_resume_leaves_no_partial_file_and_the_same_arrays() {
    kill_and_resume(KILLS, 2026);
}

/// `WRITERS` shard processes started at once on one directory, then `pde-bench merge`.
#[test]
fn concurrent_shards_merge_to_the_unsharded_run() {
    let reference = reference();
    let root = tempfile::tempdir().unwrap();
    for round in 0..CONCURRENT_ROUNDS {
        let dir = root.path().join(format!("round{round}"));
        let children: Vec<_> = (0..WRITERS)
            .map(|i| {
                generate_command(&dir, 1, Some(&format!("{i}/{WRITERS}")))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut complete = 0;
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "round {round}: a shard failed: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                generated_and_done(&stdout),
                (COUNT / WRITERS, 0),
                "{stdout}"
            );
            complete += usize::from(stdout.contains("dataset complete"));
        }
        // The last shard to finish merges (several may, when they finish together).
        assert!(
            complete >= 1,
            "round {round}: no shard completed the dataset"
        );
        let mut merge_cmd = Command::new(env!("CARGO_BIN_EXE_pde-bench"));
        merge_cmd.arg("merge").arg(&dir);
        let stdout = run_to_completion(merge_cmd);
        assert!(
            stdout.contains(&format!("merged {COUNT} samples")),
            "{stdout}"
        );
        reference.check_complete(&dir, &BTreeMap::new());
    }
}

/// A directory whose samples are all done but not merged: shards 0..WRITERS-1 in `dir`, the
/// last shard generated elsewhere and its parts copied in (a shard that completes the dataset
/// merges it at once).
fn complete_unmerged(dir: &Path, scratch: &Path) {
    for i in 0..WRITERS - 1 {
        run_to_completion(generate_command(dir, 2, Some(&format!("{i}/{WRITERS}"))));
    }
    let last = format!("{}/{WRITERS}", WRITERS - 1);
    run_to_completion(generate_command(scratch, 2, Some(&last)));
    for entry in std::fs::read_dir(scratch.join("parts")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("parts").join(entry.file_name())).unwrap();
    }
    assert!(!dir.join("stats.json").exists());
}

/// Several `pde-bench merge` processes at once on one complete directory all succeed and leave
/// the single run's files.
#[test]
fn concurrent_merges_all_succeed() {
    let reference = reference();
    let root = tempfile::tempdir().unwrap();
    for round in 0..CONCURRENT_ROUNDS {
        let dir = root.path().join(format!("round{round}"));
        complete_unmerged(&dir, &root.path().join(format!("scratch{round}")));
        let children: Vec<_> = (0..WRITERS)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_pde-bench"))
                    .arg("merge")
                    .arg(&dir)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: a merge failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        reference.check_complete(&dir, &BTreeMap::new());
    }
}

/// The same with threads of one process calling [`merge`] at once (temporary names must not
/// collide within a process).
#[test]
fn concurrent_merge_calls_in_one_process_all_succeed() {
    let reference = reference();
    let root = tempfile::tempdir().unwrap();
    for round in 0..CONCURRENT_ROUNDS {
        let dir = root.path().join(format!("round{round}"));
        complete_unmerged(&dir, &root.path().join(format!("scratch{round}")));
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..WRITERS).map(|_| s.spawn(|| merge(&dir))).collect();
            for h in handles {
                let stats = h.join().unwrap().unwrap();
                assert_eq!(stats.samples.len(), COUNT);
            }
        });
        reference.check_complete(&dir, &BTreeMap::new());
    }
}

/// A kill while `parts/` is being removed (after `stats.json` is written) leaves a merged
/// dataset with some parts; resuming, merging and `info` all see a merged dataset and clear
/// the leftovers.
#[test]
fn a_kill_while_parts_are_removed_leaves_a_merged_dataset() {
    let reference = reference();
    let root = tempfile::tempdir().unwrap();
    let scratch = root.path().join("scratch");
    run_to_completion(generate_command(&scratch, 2, Some("0/2")));
    for (k, resume) in [(0, "generate"), (1, "merge"), (2, "info")] {
        let dir = root.path().join(format!("d{k}"));
        run_to_completion(generate_command(&dir, 2, None));
        // What the removal left: a few parts (here those of an unfinished shard).
        std::fs::create_dir(dir.join("parts")).unwrap();
        for entry in std::fs::read_dir(scratch.join("parts")).unwrap().take(7) {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join("parts").join(entry.file_name())).unwrap();
        }
        let i = info(&dir).unwrap();
        assert!(i.merged && i.done == COUNT, "{i:?}");
        let stdout = match resume {
            "generate" => run_to_completion(generate_command(&dir, 2, None)),
            other => {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_pde-bench"));
                cmd.arg(other).arg(&dir);
                run_to_completion(cmd)
            }
        };
        if resume == "info" {
            assert!(stdout.contains("merged: true"), "{stdout}");
            merge(&dir).unwrap();
        }
        reference.check_complete(&dir, &BTreeMap::new());
    }
}
