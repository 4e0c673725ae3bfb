//! `pde-bench solve`: solve the linear systems a dataset saved with `--save-matrices` as one
//! sequence with an iterative solver of `krylov-recycle`, and write the solutions and the
//! per-system stats.
//!
//! Reads `DIR/systems/A_*.mtx` and `DIR/systems/b_*.npy` (paired by their index) and, for
//! sorting, the dataset's input fields (`inputs.npy` or `data.npz`, f64 or f32). Writes
//! `OUT/solutions.npy` (`(count, ...)`, shaped like the dataset's solutions when the sizes
//! agree) and `OUT/stats.json` (a [`krylov_recycle::SequenceReport`]: per system iterations,
//! matvecs, preconditioner applications, true relative residual, time; totals with the sorting
//! time), both written atomically.
//!
//! # Example
//! ```
//! use krylov_recycle::{Method, SequenceOptions};
//! use pde_bench::dataset::{generate, GenerateOptions};
//! use pde_bench::darcy::Assembly;
//! use pde_bench::problems::{DarcyCoefficient, DarcySamples};
//!
//! let dir = tempfile::tempdir()?;
//! let generator = DarcySamples::new(12, Assembly::Symmetric, DarcyCoefficient::Lognormal)?;
//! let mut opts = GenerateOptions::new(3, 0, dir.path());
//! opts.save_matrices = true;
//! generate(&generator, &opts)?;
//! let out = dir.path().join("cg");
//! let report = pde_bench::solve::solve_dir(dir.path(), SequenceOptions::new(Method::Cg), &out)?;
//! assert_eq!(report.systems.len(), 3);
//! assert!(report.totals.max_true_rel_residual <= 1e-8);
//! assert!(out.join("stats.json").exists() && out.join("solutions.npy").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use krylov_recycle::{SequenceOptions, SequenceReport, SequenceSolver, System};
use ndarray::{Array3, ArrayD, IxDyn};

use crate::dataset::{Meta, read_meta, write_json};
use crate::{Error, Result};

/// The systems of a dataset directory (see the module docs), in index order, with their input
/// fields when the dataset has 2D inputs and its arrays are merged.
///
/// # Errors
/// [`Error::Dataset`] when there is no `systems/` directory or a matrix has no right-hand side;
/// I/O and parse errors of the files.
pub fn read_systems(dir: &Path) -> Result<Vec<System>> {
    let systems_dir = dir.join("systems");
    let bad = |reason: String| Error::Dataset {
        path: dir.to_path_buf(),
        reason,
    };
    let entries = std::fs::read_dir(&systems_dir)
        .map_err(|_| bad("has no systems/ directory: generate it with --save-matrices".into()))?;
    let mut indices: Vec<(usize, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| linalg::Error::io(&systems_dir, e))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some(k) = name
            .strip_prefix("A_")
            .and_then(|s| s.strip_suffix(".mtx"))
            .and_then(|s| s.parse::<usize>().ok())
        {
            indices.push((k, path));
        }
    }
    if indices.is_empty() {
        return Err(bad("systems/ holds no A_*.mtx files".into()));
    }
    indices.sort();
    let fields = read_fields(dir, indices.len())?;
    indices
        .iter()
        .enumerate()
        .map(|(i, (k, path))| {
            let matrix = linalg::mtx::read_matrix_market(path)?;
            let b_path = systems_dir.join(format!("b_{k:06}.npy"));
            if !b_path.exists() {
                return Err(bad(format!("system {k} has a matrix but no b_{k:06}.npy")));
            }
            let rhs: ndarray::Array1<f64> = linalg::npy::read_npy(&b_path)?;
            let bad_b = |reason: String| Error::Dataset {
                path: b_path.clone(),
                reason,
            };
            if rhs.len() != matrix.nrows() {
                return Err(bad_b(format!(
                    "{} entries, but A_{k:06}.mtx has {} rows",
                    rhs.len(),
                    matrix.nrows()
                )));
            }
            if let Some(i) = rhs.iter().position(|v| !v.is_finite()) {
                return Err(bad_b(format!(
                    "entry {i} is {}: values must be finite",
                    rhs[i]
                )));
            }
            let mut system = System::new(matrix, rhs.to_vec());
            if let Some(f) = fields.as_ref() {
                system = system.with_field(f.index_axis(ndarray::Axis(0), i).to_owned());
            }
            Ok(system)
        })
        .collect()
}

/// The merged 2D input fields, if the dataset has them for `count` samples.
fn read_fields(dir: &Path, count: usize) -> Result<Option<Array3<f64>>> {
    let meta_path = dir.join("meta.json");
    if !meta_path.exists() {
        return Ok(None);
    }
    let meta = read_meta(dir)?;
    if meta.input_shape.len() != 2 || meta.count != count {
        return Ok(None);
    }
    let npy = dir.join("inputs.npy");
    let npz = dir.join("data.npz");
    let fields: Option<Array3<f64>> = if npy.exists() {
        Some(linalg::npy::read_npy::<_, ndarray::Ix3>(&npy).or_else(|_| {
            linalg::npy::read_npy::<ndarray::OwnedRepr<f32>, ndarray::Ix3>(&npy)
                .map(|a| a.mapv(f64::from))
        })?)
    } else if npz.exists() {
        Some(
            linalg::npy::read_npz::<_, ndarray::Ix3>(&npz, "inputs").or_else(|_| {
                linalg::npy::read_npz::<ndarray::OwnedRepr<f32>, ndarray::Ix3>(&npz, "inputs")
                    .map(|a| a.mapv(f64::from))
            })?,
        )
    } else {
        None
    };
    if let Some(f) = &fields {
        let expected = [count, meta.input_shape[0], meta.input_shape[1]];
        if f.shape() != expected {
            return Err(Error::Dataset {
                path: dir.to_path_buf(),
                reason: format!(
                    "input fields of shape {:?}, meta.json implies {expected:?}",
                    f.shape()
                ),
            });
        }
    }
    Ok(fields)
}

/// Solves the systems of `dir` as one sequence and writes `out/solutions.npy` and
/// `out/stats.json` (see the module docs); returns the report.
///
/// # Errors
/// As [`read_systems`] and [`SequenceSolver::solve`]; I/O errors.
pub fn solve_dir(dir: &Path, options: SequenceOptions, out: &Path) -> Result<SequenceReport> {
    let systems = read_systems(dir)?;
    let solved = SequenceSolver::new(options)?.solve(&systems)?;
    std::fs::create_dir_all(out).map_err(|e| linalg::Error::io(out, e))?;
    let n = systems[0].rhs.len();
    let same_size = systems.iter().all(|s| s.rhs.len() == n);
    if same_size {
        let mut shape = vec![systems.len()];
        let meta: Option<Meta> = read_meta(dir).ok();
        match meta {
            Some(m) if m.solution_shape.iter().product::<usize>() == n => {
                shape.extend(m.solution_shape)
            }
            _ => shape.push(n),
        }
        let data: Vec<f64> = solved.solutions.iter().flatten().copied().collect();
        let array = ArrayD::from_shape_vec(IxDyn(&shape), data).map_err(|_| Error::Dataset {
            path: out.to_path_buf(),
            reason: "solution sizes are inconsistent".into(),
        })?;
        linalg::npy::write_npy(out.join("solutions.npy"), &array)?;
    } else {
        for (k, x) in solved.solutions.iter().enumerate() {
            linalg::npy::write_npy(
                out.join(format!("x_{k:06}.npy")),
                &ndarray::Array1::from(x.clone()),
            )?;
        }
    }
    write_json(&out.join("stats.json"), &solved.report)?;
    Ok(solved.report)
}

/// The lognormal Darcy sequence fixture, kept at this path for its callers: see
/// [`crate::problems::darcy_sequence`].
pub use crate::problems::darcy_sequence;
