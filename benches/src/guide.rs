//! The user guide under `docs/`, compiled and run as doc tests so its examples cannot rot.
//!
//! One item per page; each carries its page as documentation, so `cargo test -p benches --doc`
//! runs every ` ```rust ` block of the guide. Blocks marked `sh`, `json`, `toml`, `python` or
//! `text` are not compiled.

/// `docs/README.md`: the index of the guide.
#[doc = include_str!("../../docs/README.md")]
pub struct Index;

/// `docs/getting-started.md`.
#[doc = include_str!("../../docs/getting-started.md")]
pub struct GettingStarted;

/// `docs/architecture.md`.
#[doc = include_str!("../../docs/architecture.md")]
pub struct Architecture;

/// `docs/datasets.md`.
#[doc = include_str!("../../docs/datasets.md")]
pub struct Datasets;

/// `docs/benchmarks.md`.
#[doc = include_str!("../../docs/benchmarks.md")]
pub struct Benchmarks;

/// `docs/extending.md`.
#[doc = include_str!("../../docs/extending.md")]
pub struct Extending;

/// `docs/low-rank-training.md`.
#[doc = include_str!("../../docs/low-rank-training.md")]
pub struct LowRankTraining;

/// `docs/sampling.md`.
#[doc = include_str!("../../docs/sampling.md")]
pub struct Sampling;

/// `docs/nonlinear-rom.md`.
#[doc = include_str!("../../docs/nonlinear-rom.md")]
pub struct NonlinearRom;

/// `docs/dmd.md`.
#[doc = include_str!("../../docs/dmd.md")]
pub struct DynamicModeDecomposition;

/// `docs/reliability.md`.
#[doc = include_str!("../../docs/reliability.md")]
pub struct Reliability;
