//! Snapshots of a nonlinear solid-mechanics simulation in a solver-neutral format, the input of
//! the nonintrusive offline stage.
//!
//! The offline stage of a hyper-reduced model needs, besides the displacement snapshots, the
//! finite-element operators at the integration points: which strains a displacement produces
//! there (the strain operator `B`), with which quadrature weight each point counts, and how the
//! loads enter. Reading these as arrays instead of calling the finite-element code is what makes
//! the reduction nonintrusive (Mordicus-style): any solver that can export them can be reduced.
//!
//! # The load model
//!
//! A load step `n` carries two scalars: the traction (mechanical load) factor `λ_n` and the
//! temperature factor `θ_n`. The external force is `λ_n f₀` and the temperature at integration
//! point `g` is `T_ref + θ_n τ_g`, with the fixed vector `f₀` (`external_force`) and profile `τ`
//! (`temperature_profile`). Dirichlet conditions are homogeneous (symmetry planes, clamped
//! faces): their degrees of freedom are zero in every snapshot.
//!
//! # Directory layout ([`MechanicalSnapshots::write`] / [`MechanicalSnapshots::read`])
//!
//! | file | content |
//! |---|---|
//! | `description.json` | format name and version, sizes, behaviour name, reference temperature, one record per step (`case`, `step`, `time`, `dt`, `traction`, `temperature`) and optionally the mesh (for plots) |
//! | `displacement.npy` | `f64`, `(n_snapshots, n_dof)` |
//! | `stress.npy` (optional) | `f64`, `(n_snapshots, n_points, ncomp)` |
//! | `state.npy` (optional) | `f64`, `(n_snapshots, n_points, nstate)` |
//! | `strain_operator.npz` | the `(n_points·ncomp) × n_dof` matrix `B` in SciPy's `save_npz` CSR layout (`data`, `indices`, `indptr`, `shape`); rows `g·ncomp … g·ncomp+ncomp−1` belong to point `g` |
//! | `weights.npy` | `f64`, `(n_points,)`: quadrature weight × Jacobian determinant (× thickness) |
//! | `external_force.npy` | `f64`, `(n_dof,)`: `f₀` |
//! | `temperature_profile.npy` | `f64`, `(n_points,)`: `τ` |
//!
//! Without `stress.npy` and `state.npy`, [`MechanicalSnapshots::replay`] recomputes both from the
//! displacements by running the behaviour through each load case. Steps of one case are stored
//! consecutively in time order, `step` counting from 0.
//!
//! Another solver's output is converted in a few lines of NumPy and SciPy:
//!
//! ```text
//! import json, numpy as np, scipy.sparse as sp
//! np.save("out/displacement.npy", U)                  # (n_snapshots, n_dof)
//! np.save("out/stress.npy", S)                        # (n_snapshots, n_points, 4)
//! sp.save_npz("out/strain_operator.npz", sp.csr_matrix(B), compressed=False)
//! np.save("out/weights.npy", w); np.save("out/external_force.npy", f0)
//! np.save("out/temperature_profile.npy", tau)
//! json.dump({"format": "rom-core mechanical snapshots", "version": 1, "n_dof": n_dof,
//!            "n_points": n_points, "ncomp": 4, "nstate": 5, "behaviour": "norton",
//!            "reference_temperature": 20.0,
//!            "steps": [{"case": 0, "step": i, "time": t[i], "dt": dt, "traction": lam[i],
//!                       "temperature": theta[i]} for i in range(len(t))]},
//!           open("out/description.json", "w"))
//! ```

use std::path::Path;

use faer::Mat;
use ndarray::{Array1, Array2, Array3};
use serde::{Deserialize, Serialize};

use crate::behaviour::Behaviour;
use crate::{Error, Result};

/// The name written in `description.json`.
pub const FORMAT_NAME: &str = "rom-core mechanical snapshots";
/// The version of the directory layout written by this release.
pub const FORMAT_VERSION: u32 = 1;

/// The load of one step (see the module documentation for the load model).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepLoad {
    /// Time at the end of the step.
    pub time: f64,
    /// Step length (`> 0`).
    pub dt: f64,
    /// Traction factor `λ`: the external force is `λ f₀`.
    pub traction: f64,
    /// Temperature factor `θ`: the temperature at point `g` is `T_ref + θ τ_g`.
    pub temperature: f64,
}

/// One snapshot's place in the load history.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The load case (trajectory) the snapshot belongs to.
    pub case: usize,
    /// The step within its case, from 0.
    pub step: usize,
    /// The load of the step.
    #[serde(flatten)]
    pub load: StepLoad,
}

/// A mesh, kept for plots and for converting results back to the solver; the reduction never
/// reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mesh {
    /// Space dimension.
    pub dim: usize,
    /// Node coordinates, `dim` per node.
    pub coordinates: Vec<f64>,
    /// Cell type, for example `"quad4"`.
    pub cell_type: String,
    /// Node indices of every cell.
    pub cells: Vec<Vec<usize>>,
}

/// The contents of `description.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Description {
    format: String,
    version: u32,
    n_dof: usize,
    n_points: usize,
    ncomp: usize,
    nstate: usize,
    behaviour: String,
    reference_temperature: f64,
    steps: Vec<StepRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mesh: Option<Mesh>,
}

/// Snapshots of a nonlinear solid-mechanics simulation with the operators needed to reduce it.
///
/// Column `j` of every snapshot matrix belongs to `steps[j]`.
#[derive(Clone, Debug)]
pub struct MechanicalSnapshots {
    /// Displacements, `n_dof × n_snapshots`.
    pub displacement: Mat<f64>,
    /// Stresses at the integration points, `(n_points·ncomp) × n_snapshots` (point-major).
    pub stress: Option<Mat<f64>>,
    /// Internal variables at the integration points, `(n_points·nstate) × n_snapshots`.
    pub state: Option<Mat<f64>>,
    /// The strain operator `B`, `(n_points·ncomp) × n_dof`.
    pub strain_operator: linalg::sparse::CsrMatrix,
    /// Quadrature weights (× Jacobian determinant), one per point.
    pub weights: Vec<f64>,
    /// The reference external force `f₀`.
    pub external_force: Vec<f64>,
    /// The temperature profile `τ`, one value per point.
    pub temperature_profile: Vec<f64>,
    /// The reference temperature `T_ref`.
    pub reference_temperature: f64,
    /// Stress/strain components per point.
    pub ncomp: usize,
    /// Internal variables per point.
    pub nstate: usize,
    /// The behaviour's name (checked against the law a reduced model is run with).
    pub behaviour: String,
    /// One record per snapshot.
    pub steps: Vec<StepRecord>,
    /// The mesh, if the solver gave one.
    pub mesh: Option<Mesh>,
}

fn file_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::File {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

impl MechanicalSnapshots {
    /// Number of displacement degrees of freedom.
    pub fn n_dof(&self) -> usize {
        self.displacement.nrows()
    }

    /// Number of integration points.
    pub fn n_points(&self) -> usize {
        self.weights.len()
    }

    /// Number of snapshots.
    pub fn len(&self) -> usize {
        self.displacement.ncols()
    }

    /// Whether there are no snapshots.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The temperature at every integration point for the temperature factor `theta`.
    pub fn point_temperatures(&self, theta: f64) -> Vec<f64> {
        self.temperature_profile
            .iter()
            .map(|tau| self.reference_temperature + theta * tau)
            .collect()
    }

    /// Checks that all sizes agree, every value is finite, steps are consecutive within each
    /// case and step lengths are positive.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`], [`linalg::Error::NonFinite`],
    /// [`linalg::Error::Empty`] or [`linalg::Error::InvalidParameter`] naming what is wrong.
    pub fn check(&self) -> Result<()> {
        let (n_dof, n_points, n) = (self.n_dof(), self.n_points(), self.len());
        if n == 0 || n_dof == 0 || n_points == 0 || self.ncomp == 0 {
            return Err(linalg::Error::Empty {
                what: "snapshot set",
            }
            .into());
        }
        let shape = |what, expected: (usize, usize), found: (usize, usize)| {
            if expected == found {
                Ok(())
            } else {
                Err(Error::from(linalg::Error::shape(what, expected, found)))
            }
        };
        let b = &self.strain_operator;
        shape(
            "strain operator",
            (n_points * self.ncomp, n_dof),
            (b.nrows(), b.ncols()),
        )?;
        shape("external force", (n_dof, 1), (self.external_force.len(), 1))?;
        shape(
            "temperature profile",
            (n_points, 1),
            (self.temperature_profile.len(), 1),
        )?;
        shape("step records", (n, 1), (self.steps.len(), 1))?;
        if let Some(s) = &self.stress {
            shape(
                "stress snapshots",
                (n_points * self.ncomp, n),
                (s.nrows(), s.ncols()),
            )?;
            linalg::check::ensure_dense_input("stress snapshots", s.as_ref())?;
        }
        if let Some(s) = &self.state {
            shape(
                "state snapshots",
                (n_points * self.nstate, n),
                (s.nrows(), s.ncols()),
            )?;
            linalg::check::ensure_dense_input("state snapshots", s.as_ref())?;
        }
        linalg::check::ensure_dense_input("displacement snapshots", self.displacement.as_ref())?;
        for (what, v) in [
            ("quadrature weights", &self.weights),
            ("external force", &self.external_force),
            ("temperature profile", &self.temperature_profile),
        ] {
            if let Some((i, &x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(linalg::Error::NonFinite {
                    what,
                    row: i,
                    col: 0,
                    value: x,
                }
                .into());
            }
        }
        if let Some((g, &w)) = self.weights.iter().enumerate().find(|(_, w)| **w <= 0.0) {
            return Err(crate::error::invalid_in(
                "weights",
                w,
                format_args!("point {g}"),
                "quadrature weights must be positive",
            ));
        }
        if !self.reference_temperature.is_finite() {
            return Err(crate::error::invalid(
                "reference_temperature",
                self.reference_temperature,
                "must be finite",
            ));
        }
        for (j, r) in self.steps.iter().enumerate() {
            let first = j == 0 || self.steps[j - 1].case != r.case;
            let expected = if first { 0 } else { self.steps[j - 1].step + 1 };
            if r.step != expected {
                return Err(crate::error::invalid_in(
                    "steps",
                    r.step,
                    format_args!("snapshot {j}, case {}, expected step {expected}", r.case),
                    "the steps of a load case must be stored consecutively from 0",
                ));
            }
            let l = r.load;
            let finite = [l.dt, l.time, l.traction, l.temperature]
                .iter()
                .all(|v| v.is_finite());
            if !(finite && l.dt > 0.0) {
                return Err(crate::error::invalid_in(
                    "steps",
                    format!("{l:?}"),
                    format_args!("snapshot {j}"),
                    "times and loads must be finite and step lengths positive",
                ));
            }
        }
        Ok(())
    }

    /// Recomputes the stress and internal-variable snapshots from the displacements by running
    /// `law` through every load case from the virgin state (what a solver that exports only
    /// displacements needs). Points run in parallel.
    ///
    /// # Errors
    /// Those of [`MechanicalSnapshots::check`]; a law that fails gives [`Error::Behaviour`]
    /// with the point. On an error the set is left as it was.
    pub fn replay(&mut self, law: &dyn Behaviour) -> Result<()> {
        use rayon::prelude::*;
        if law.ncomp() != self.ncomp {
            return Err(linalg::Error::shape(
                "behaviour components",
                (self.ncomp, 1),
                (law.ncomp(), 1),
            )
            .into());
        }
        let mut bare = Self {
            stress: None,
            state: None,
            nstate: law.nstate(),
            ..self.clone()
        };
        bare.check()?;
        let (nc, ns, n) = (self.ncomp, law.nstate(), self.len());
        let mut strains = Mat::zeros(self.strain_operator.nrows(), n);
        linalg::sparse::csr_matmul(
            strains.as_mut(),
            self.strain_operator.as_ref(),
            self.displacement.as_ref(),
        );
        let per_point: Vec<Result<(Vec<f64>, Vec<f64>)>> = (0..self.n_points())
            .into_par_iter()
            .map(|g| {
                let mut stress = vec![0.0; nc * n];
                let mut state = vec![0.0; ns * n];
                let mut old = vec![0.0; ns];
                let mut new = vec![0.0; ns];
                let mut tangent = vec![0.0; nc * nc];
                let mut eps = vec![0.0; nc];
                for (j, r) in self.steps.iter().enumerate() {
                    if r.step == 0 {
                        law.initial_state(&mut old);
                    }
                    for c in 0..nc {
                        eps[c] = strains[(g * nc + c, j)];
                    }
                    let temp = self.reference_temperature
                        + r.load.temperature * self.temperature_profile[g];
                    law.integrate(
                        &eps,
                        temp,
                        r.load.dt,
                        &old,
                        &mut new,
                        &mut stress[j * nc..(j + 1) * nc],
                        &mut tangent,
                    )
                    .map_err(|failure| Error::Behaviour { point: g, failure })?;
                    state[j * ns..(j + 1) * ns].copy_from_slice(&new);
                    std::mem::swap(&mut old, &mut new);
                }
                Ok((stress, state))
            })
            .collect();
        let mut stress = Mat::zeros(self.n_points() * nc, n);
        let mut state = Mat::zeros(self.n_points() * ns, n);
        for (g, r) in per_point.into_iter().enumerate() {
            let (s, z) = r?;
            for j in 0..n {
                for c in 0..nc {
                    stress[(g * nc + c, j)] = s[j * nc + c];
                }
                for c in 0..ns {
                    state[(g * ns + c, j)] = z[j * ns + c];
                }
            }
        }
        bare.stress = Some(stress);
        bare.state = Some(state);
        *self = bare;
        Ok(())
    }

    /// Writes the snapshot directory `dir` (created if missing); every file is written
    /// atomically, `description.json` last (an existing one is removed first), so a directory
    /// whose description exists is whole.
    ///
    /// # Errors
    /// Those of [`MechanicalSnapshots::check`]; [`linalg::Error::Io`] if a file cannot be written.
    pub fn write(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.check()?;
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| linalg::Error::io(dir, e))?;
        // An earlier set in the same directory stops being readable first, and loses the
        // optional arrays this one does not have.
        for (name, present) in [
            ("description.json", false),
            ("stress.npy", self.stress.is_some()),
            ("state.npy", self.state.is_some()),
        ] {
            let path = dir.join(name);
            if !present && path.exists() {
                std::fs::remove_file(&path).map_err(|e| linalg::Error::io(&path, e))?;
            }
        }
        let (n, n_points) = (self.len(), self.n_points());
        let snap2 =
            |m: &Mat<f64>| Array2::from_shape_fn((m.ncols(), m.nrows()), |(j, i)| m[(i, j)]);
        let snap3 = |m: &Mat<f64>, k: usize| {
            Array3::from_shape_fn((n, n_points, k), |(j, g, c)| m[(g * k + c, j)])
        };
        linalg::npy::write_npy(dir.join("displacement.npy"), &snap2(&self.displacement))?;
        if let Some(s) = &self.stress {
            linalg::npy::write_npy(dir.join("stress.npy"), &snap3(s, self.ncomp))?;
        }
        if let Some(s) = &self.state {
            linalg::npy::write_npy(dir.join("state.npy"), &snap3(s, self.nstate))?;
        }
        let vec1 = |v: &[f64]| Array1::from(v.to_vec());
        linalg::npy::write_npy(dir.join("weights.npy"), &vec1(&self.weights))?;
        linalg::npy::write_npy(dir.join("external_force.npy"), &vec1(&self.external_force))?;
        linalg::npy::write_npy(
            dir.join("temperature_profile.npy"),
            &vec1(&self.temperature_profile),
        )?;
        write_csr(&dir.join("strain_operator.npz"), &self.strain_operator)?;
        let description = Description {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            n_dof: self.n_dof(),
            n_points,
            ncomp: self.ncomp,
            nstate: self.nstate,
            behaviour: self.behaviour.clone(),
            reference_temperature: self.reference_temperature,
            steps: self.steps.clone(),
            mesh: self.mesh.clone(),
        };
        linalg::io::write_atomic(dir.join("description.json"), |w| {
            serde_json::to_writer_pretty(&mut *w, &description).map_err(std::io::Error::other)
        })?;
        Ok(())
    }

    /// Reads a snapshot directory written by [`MechanicalSnapshots::write`] or converted from
    /// another solver (see the module documentation).
    ///
    /// # Errors
    /// [`Error::File`] for a missing or malformed description, another format or version, or
    /// arrays whose sizes disagree with it, or contents that fail
    /// [`MechanicalSnapshots::check`] (naming the directory); [`linalg::Error::Npy`] for
    /// malformed arrays.
    pub fn read(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let desc_path = dir.join("description.json");
        let file = linalg::io::open(&desc_path)?;
        let d: Description = serde_json::from_reader(std::io::BufReader::new(file))
            .map_err(|e| file_error(&desc_path, e.to_string()))?;
        if d.format != FORMAT_NAME {
            return Err(file_error(
                &desc_path,
                format!("format `{}`, expected `{FORMAT_NAME}`", d.format),
            ));
        }
        if d.version != FORMAT_VERSION {
            return Err(file_error(
                &desc_path,
                format!(
                    "format version {}, this release reads {FORMAT_VERSION}",
                    d.version
                ),
            ));
        }
        let n = d.steps.len();
        let sized = |name: &str, found: &[usize], expected: &[usize]| {
            if found == expected {
                Ok(())
            } else {
                Err(file_error(
                    &dir.join(name),
                    format!("shape {found:?}, description.json implies {expected:?}"),
                ))
            }
        };
        let u: Array2<f64> = linalg::npy::read_npy(dir.join("displacement.npy"))?;
        sized("displacement.npy", u.shape(), &[n, d.n_dof])?;
        let displacement = Mat::from_fn(d.n_dof, n, |i, j| u[(j, i)]);
        let read3 = |name: &str, k: usize| -> Result<Option<Mat<f64>>> {
            let path = dir.join(name);
            if !path.exists() {
                return Ok(None);
            }
            let a: Array3<f64> = linalg::npy::read_npy(&path)?;
            sized(name, a.shape(), &[n, d.n_points, k])?;
            Ok(Some(Mat::from_fn(d.n_points * k, n, |r, j| {
                a[(j, r / k, r % k)]
            })))
        };
        let stress = read3("stress.npy", d.ncomp)?;
        let state = read3("state.npy", d.nstate)?;
        let read1 = |name: &str, len: usize| -> Result<Vec<f64>> {
            let a: Array1<f64> = linalg::npy::read_npy(dir.join(name))?;
            sized(name, a.shape(), &[len])?;
            Ok(a.to_vec())
        };
        let weights = read1("weights.npy", d.n_points)?;
        let external_force = read1("external_force.npy", d.n_dof)?;
        let temperature_profile = read1("temperature_profile.npy", d.n_points)?;
        let strain_operator = read_csr(&dir.join("strain_operator.npz"))?;
        let snapshots = Self {
            displacement,
            stress,
            state,
            strain_operator,
            weights,
            external_force,
            temperature_profile,
            reference_temperature: d.reference_temperature,
            ncomp: d.ncomp,
            nstate: d.nstate,
            behaviour: d.behaviour,
            steps: d.steps,
            mesh: d.mesh,
        };
        snapshots
            .check()
            .map_err(|e| file_error(dir, e.to_string()))?;
        Ok(snapshots)
    }
}

/// Writes a CSR matrix in SciPy's `save_npz` layout (without the `format` entry, which SciPy
/// does not need to read it back with `scipy.sparse.csr_matrix((data, indices, indptr), shape)`).
fn write_csr(path: &Path, a: &linalg::sparse::CsrMatrix) -> Result<()> {
    let a = a.as_ref();
    let (row_ptr, col_idx, values) = (a.symbolic().row_ptr(), a.symbolic().col_idx(), a.val());
    let as_i64 = |v: &[usize]| Array1::from_iter(v.iter().map(|&x| x as i64));
    let shape = Array1::from(vec![a.nrows() as i64, a.ncols() as i64]);
    linalg::io::write_atomic(path, |w| {
        let mut npz = ndarray_npy::NpzWriter::new(w);
        let err = std::io::Error::other;
        npz.add_array("data", &Array1::from(values.to_vec()))
            .map_err(err)?;
        npz.add_array("indices", &as_i64(col_idx)).map_err(err)?;
        npz.add_array("indptr", &as_i64(row_ptr)).map_err(err)?;
        npz.add_array("shape", &shape).map_err(err)?;
        npz.finish().map(|_| ()).map_err(err)
    })?;
    Ok(())
}

/// Reads an integer array of an npz archive stored as `i64` or `i32` (SciPy writes either).
fn read_index_array(path: &Path, name: &str) -> Result<Vec<usize>> {
    let values: Vec<i64> = match linalg::npy::read_npz::<_, ndarray::Ix1>(path, name) {
        Ok(a) => {
            let a: Array1<i64> = a;
            a.to_vec()
        }
        Err(_) => {
            let a: Array1<i32> = linalg::npy::read_npz(path, name)?;
            a.iter().map(|&x| i64::from(x)).collect()
        }
    };
    values
        .into_iter()
        .map(|x| {
            usize::try_from(x)
                .map_err(|_| file_error(path, format!("negative entry {x} in `{name}`")))
        })
        .collect()
}

/// Reads a CSR matrix in SciPy's `save_npz` layout, checking its structure.
fn read_csr(path: &Path) -> Result<linalg::sparse::CsrMatrix> {
    let shape = read_index_array(path, "shape")?;
    let row_ptr = read_index_array(path, "indptr")?;
    let col_idx = read_index_array(path, "indices")?;
    let data: Array1<f64> = linalg::npy::read_npz(path, "data")?;
    let [nrows, ncols] = shape[..] else {
        return Err(file_error(
            path,
            format!("`shape` has {} entries, expected 2", shape.len()),
        ));
    };
    if row_ptr.len() != nrows + 1
        || row_ptr.first() != Some(&0)
        || row_ptr.windows(2).any(|w| w[0] > w[1])
        || row_ptr.last() != Some(&col_idx.len())
        || col_idx.len() != data.len()
    {
        return Err(file_error(
            path,
            "inconsistent CSR arrays (`indptr` must start at 0, not decrease and end at the length of `indices` and `data`)",
        ));
    }
    let mut triplets = Vec::with_capacity(data.len());
    for i in 0..nrows {
        for k in row_ptr[i]..row_ptr[i + 1] {
            triplets.push((i, col_idx[k], data[k]));
        }
    }
    Ok(linalg::sparse::csr_from_triplets(nrows, ncols, &triplets)?)
}
