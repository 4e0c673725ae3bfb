//! Adaptive hyper-reduced models: an online error indicator decides when a step is handed to
//! the full-order model, whose solution then enriches the reduced basis and the reduced
//! quadrature before the online phase goes on.

use faer::Mat;

use crate::Result;
use crate::behaviour::Behaviour;
use crate::gappy::GappyPod;
use crate::hyper_reduced::{HyperReducedModel, HyperReducedParams, ReducedState};
use crate::inner_product::InnerProduct;
use crate::pod::{Pod, PodTruncation, SnapshotMatrix};
use crate::snapshots::{MechanicalSnapshots, StepLoad, StepRecord};

/// One load step of a full-order model, started from any state: what an adaptive reduced model
/// calls when its error indicator rejects a step.
pub trait FullOrderStep: Sync {
    /// Runs the step of load `load` from the displacement `u_old` (`n_dof`) and the internal
    /// variables `state_old` (`n_points·nstate`, point-major) at its start; writes the
    /// displacement `u`, the internal variables `state` and the stresses `stress`
    /// (`n_points·ncomp`, point-major) at its end, and returns the Newton iterations spent.
    ///
    /// # Errors
    /// The full-order model's failure, as [`crate::Error::FullOrder`] or
    /// [`crate::Error::NewtonNotConverged`].
    fn step(
        &self,
        load: &StepLoad,
        u_old: &[f64],
        state_old: &[f64],
        u: &mut [f64],
        state: &mut [f64],
        stress: &mut [f64],
    ) -> Result<usize>;
}

/// Parameters of an adaptive run.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `tolerance` | `1e-3` | a step whose predicted error ([`HyperReducedModel::predicted_error`]) exceeds it goes to the full-order model | `> 0` |
/// | `max_full_order_steps` | `usize::MAX` | budget of full-order steps; once spent, reduced steps are accepted whatever the indicator | any |
/// | `state_tolerance` | `1e-6` | POD truncation of the internal variables, for reconstructing the full state a full-order step starts from | `(0, 1)` |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveParams {
    /// See the table.
    pub tolerance: f64,
    /// See the table.
    pub max_full_order_steps: usize,
    /// See the table.
    pub state_tolerance: f64,
}

impl Default for AdaptiveParams {
    fn default() -> Self {
        Self {
            tolerance: 1e-3,
            max_full_order_steps: usize::MAX,
            state_tolerance: 1e-6,
        }
    }
}

/// What an adaptive run did.
#[derive(Clone, Debug, Default)]
pub struct AdaptiveReport {
    /// The bases used, in order (the first is the offline one; one more per enrichment).
    pub bases: Vec<Mat<f64>>,
    /// For every step, the basis it used (an index into `bases`) and its reduced coordinates.
    pub q: Vec<(usize, Vec<f64>)>,
    /// The indicator of every step's reduced solve (`NaN` where the reduced Newton failed).
    pub indicator: Vec<f64>,
    /// The steps run by the full-order model.
    pub full_order_steps: Vec<usize>,
    /// Reduced points after each enrichment.
    pub reduced_points: Vec<usize>,
    /// Seconds spent in full-order steps and in rebuilding the reduced model.
    pub adaptation_seconds: f64,
}

impl AdaptiveReport {
    /// The displacement of step `n` on the full-order mesh.
    pub fn displacement(&self, n: usize) -> Option<Vec<f64>> {
        let (b, q) = self.q.get(n)?;
        let basis = self.bases.get(*b)?;
        Some(
            (0..basis.nrows())
                .map(|i| (0..q.len()).map(|j| basis[(i, j)] * q[j]).sum())
                .collect(),
        )
    }
}

/// A hyper-reduced model that hands a step to the full-order model when its error indicator
/// exceeds a tolerance, then enriches its basis with the full-order solution, rebuilds its
/// hyper-reduction on the training snapshots plus the new one, and continues from the
/// full-order state (Casenave et al. 2020, "An error indicator-based adaptive reduced order
/// model for nonlinear structural mechanics").
///
/// The full-order step starts from the full-order state of the previous step: exact after a
/// full-order step, otherwise reconstructed, displacements as `Φ q` and internal variables by
/// gappy POD ([`crate::gappy`]) from their values at the reduced points.
pub struct AdaptiveRom {
    params: HyperReducedParams,
    training: MechanicalSnapshots,
    model: HyperReducedModel,
    state_modes: Mat<f64>,
}

impl AdaptiveRom {
    /// Wraps a model built by `params` on `training` (which must carry stresses and internal
    /// variables: see [`MechanicalSnapshots::replay`]).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] if the training set has no stresses or internal variables;
    /// those of the state POD.
    pub fn new(
        params: HyperReducedParams,
        training: MechanicalSnapshots,
        model: HyperReducedModel,
        state_tolerance: f64,
    ) -> Result<Self> {
        training.check()?;
        let state = training.state.as_ref().ok_or(linalg::Error::Empty {
            what: "state snapshots",
        })?;
        if training.stress.is_none() {
            return Err(linalg::Error::Empty {
                what: "stress snapshots",
            }
            .into());
        }
        let state_modes = Pod::params()
            .truncation(PodTruncation::Tolerance(state_tolerance))
            .check()?
            .compute(
                &SnapshotMatrix::from_matrix(state.clone())?,
                &InnerProduct::euclidean(),
            )?
            .modes;
        Ok(Self {
            params,
            training,
            model,
            state_modes,
        })
    }

    /// The current reduced model (enriched by the runs so far).
    pub fn model(&self) -> &HyperReducedModel {
        &self.model
    }

    /// The full-order state a full-order step starts from, reconstructed from a reduced state.
    fn reconstruct(&self, state: &ReducedState) -> Result<(Vec<f64>, Vec<f64>)> {
        let u = self.model.displacement(&state.q);
        let ns = self.training.nstate;
        let rows: Vec<usize> = self
            .model
            .points()
            .iter()
            .flat_map(|&g| (0..ns).map(move |c| g * ns + c))
            .collect();
        let r = self.state_modes.ncols().min(rows.len());
        let gp = GappyPod::new(self.state_modes.subcols(0, r), &rows, 0.0)?;
        Ok((u, gp.reconstruct(&state.internal)?))
    }

    /// Adds a full-order solution to the training set and the basis, and rebuilds the model.
    fn enrich(
        &mut self,
        law: &dyn Behaviour,
        u: &[f64],
        stress: &[f64],
        internal: &[f64],
    ) -> Result<()> {
        let t = &mut self.training;
        let n = t.len();
        let append = |m: &Mat<f64>, v: &[f64]| {
            Mat::from_fn(
                m.nrows(),
                n + 1,
                |i, j| if j < n { m[(i, j)] } else { v[i] },
            )
        };
        t.displacement = append(&t.displacement, u);
        t.stress = t.stress.as_ref().map(|m| append(m, stress));
        t.state = t.state.as_ref().map(|m| append(m, internal));
        let case = t.steps.iter().map(|s| s.case).max().map_or(0, |c| c + 1);
        let load = t.steps.last().map(|s| s.load).unwrap_or(StepLoad {
            time: 0.0,
            dt: 1.0,
            traction: 0.0,
            temperature: 0.0,
        });
        t.steps.push(StepRecord {
            case,
            step: 0,
            load,
        });
        // New basis direction: u orthogonalised against Φ (twice, for round-off).
        let basis = self.model.basis();
        let mut v = u.to_vec();
        for _ in 0..2 {
            for j in 0..basis.ncols() {
                let c: f64 = (0..v.len()).map(|i| basis[(i, j)] * v[i]).sum();
                for (i, vi) in v.iter_mut().enumerate() {
                    *vi -= c * basis[(i, j)];
                }
            }
        }
        let norm = linalg::blas1::nrm2(&v);
        let unorm = linalg::blas1::nrm2(u);
        let k = basis.ncols();
        let new_basis = if norm > 1e-10 * unorm {
            Mat::from_fn(basis.nrows(), k + 1, |i, j| {
                if j < k { basis[(i, j)] } else { v[i] / norm }
            })
        } else {
            basis.to_owned()
        };
        let calibration = self.model.calibration();
        let (mut model, _) = self
            .params
            .build_with_basis(&self.training, law, new_basis)?;
        model.set_calibration(calibration);
        self.model = model;
        Ok(())
    }

    /// Runs the load history `loads` from the virgin state, calling `full_order` for the steps
    /// the indicator rejects. On an error, the report so far is returned inside the error's
    /// context through `out`.
    ///
    /// # Errors
    /// Those of the reduced steps once the full-order budget is spent, of `full_order`, and of
    /// rebuilding the reduced model.
    pub fn run_into(
        &mut self,
        law: &dyn Behaviour,
        full_order: &dyn FullOrderStep,
        loads: &[StepLoad],
        params: &AdaptiveParams,
        out: &mut AdaptiveReport,
    ) -> Result<()> {
        if !(params.tolerance.is_finite() && params.tolerance > 0.0) {
            return Err(crate::error::invalid(
                "tolerance",
                params.tolerance,
                "must be finite and positive",
            ));
        }
        out.bases.push(self.model.basis().to_owned());
        let n_dof = self.training.n_dof();
        let (n_points, nc, ns) = (
            self.training.n_points(),
            self.training.ncomp,
            self.training.nstate,
        );
        let mut state = self.model.initial_state(law);
        // The exact full-order state of the previous step, when known.
        let mut virgin = vec![0.0; n_points * ns];
        for chunk in virgin.chunks_mut(ns.max(1)) {
            law.initial_state(chunk);
        }
        let mut full: Option<(Vec<f64>, Vec<f64>)> = Some((vec![0.0; n_dof], virgin));
        for (n, load) in loads.iter().enumerate() {
            let mut trial = state.clone();
            let reduced = self.model.step(law, load, &mut trial, n);
            let budget_left = out.full_order_steps.len() < params.max_full_order_steps;
            let accept = match &reduced {
                Ok(rep) => {
                    !budget_left || self.model.predicted_error(rep.indicator) <= params.tolerance
                }
                Err(_) => false,
            };
            out.indicator
                .push(reduced.as_ref().map_or(f64::NAN, |r| r.indicator));
            if accept || !budget_left {
                reduced?;
                state = trial;
                full = None;
            } else {
                let start = std::time::Instant::now();
                let (u_old, z_old) = match full.take() {
                    Some(f) => f,
                    None => self.reconstruct(&state)?,
                };
                let mut u = vec![0.0; n_dof];
                let mut z = vec![0.0; n_points * ns];
                let mut s = vec![0.0; n_points * nc];
                full_order.step(load, &u_old, &z_old, &mut u, &mut z, &mut s)?;
                self.enrich(law, &u, &s, &z)?;
                state = self.model.restrict(&u, &z)?;
                full = Some((u, z));
                out.full_order_steps.push(n);
                out.bases.push(self.model.basis().to_owned());
                out.reduced_points.push(self.model.points().len());
                out.adaptation_seconds += start.elapsed().as_secs_f64();
            }
            out.q.push((out.bases.len() - 1, state.q.clone()));
        }
        Ok(())
    }
}
