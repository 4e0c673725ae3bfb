//! Adaptive hyper-reduced models: an online error indicator decides when a step is handed to
//! the full-order model, whose solution then enriches the reduced basis and the reduced
//! quadrature before the online phase goes on.

use faer::Mat;

use crate::Result;
use crate::behaviour::Behaviour;
use crate::hyper_reduced::{HyperReducedModel, HyperReducedParams};
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
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveParams {
    /// See the table.
    pub tolerance: f64,
    /// See the table.
    pub max_full_order_steps: usize,
}

impl Default for AdaptiveParams {
    fn default() -> Self {
        Self {
            tolerance: 1e-3,
            max_full_order_steps: usize::MAX,
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
/// full-order step; otherwise displacements `Φ q` and internal variables recomputed on every
/// integration point by running the law along the reduced displacement history since the last
/// exact state (a cost paid only when a step is rejected; reconstructing them by gappy POD
/// from the reduced points instead was measured to start the full-order step from a state
/// that is wrong once the solution has left the training regime).
pub struct AdaptiveRom {
    params: HyperReducedParams,
    training: MechanicalSnapshots,
    model: HyperReducedModel,
}

impl AdaptiveRom {
    /// Wraps a model built by `params` on `training` (which must carry stresses and internal
    /// variables: see [`MechanicalSnapshots::replay`]).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] if the training set has no stresses or internal variables;
    /// those of [`MechanicalSnapshots::check`]; [`linalg::Error::ShapeMismatch`] if the model
    /// was not built on a set of this size; [`linalg::Error::InvalidParameter`] for a model
    /// without an error indicator.
    pub fn new(
        params: HyperReducedParams,
        training: MechanicalSnapshots,
        model: HyperReducedModel,
    ) -> Result<Self> {
        training.check()?;
        if training.stress.is_none() || training.state.is_none() {
            return Err(linalg::Error::Empty {
                what: "stress and state snapshots",
            }
            .into());
        }
        model.check_fits(&training)?;
        if !model.has_indicator() {
            return Err(crate::error::invalid(
                "model",
                "no error indicator",
                "an adaptive model needs an error indicator (a dual quantity that does not vanish on the training set, and at least two reduced points)",
            ));
        }
        Ok(Self {
            params,
            training,
            model,
        })
    }

    /// The current reduced model (enriched by the runs so far).
    pub fn model(&self) -> &HyperReducedModel {
        &self.model
    }

    /// The full-order state after the reduced steps `history` (loads and reduced coordinates,
    /// in the current basis) from the exact state `(u0, z0)`: the displacement `Φ q` of the
    /// last step and the internal variables of the law run on every point along the history.
    fn replay(
        &self,
        law: &dyn Behaviour,
        exact: &(Vec<f64>, Vec<f64>),
        history: &[(StepLoad, Vec<f64>)],
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        use rayon::prelude::*;
        let Some((_, q_last)) = history.last() else {
            return Ok(exact.clone());
        };
        let t = &self.training;
        let (nc, ns, k) = (t.ncomp, t.nstate, self.model.modes());
        let q = Mat::from_fn(k, history.len(), |i, j| history[j].1[i]);
        let mut u = Mat::zeros(t.n_dof(), history.len());
        faer::linalg::matmul::matmul(
            u.as_mut(),
            faer::Accum::Replace,
            self.model.basis(),
            q.as_ref(),
            1.0,
            faer::Par::Seq,
        );
        let mut strains = Mat::zeros(t.n_points() * nc, history.len());
        linalg::sparse::csr_matmul(strains.as_mut(), t.strain_operator.as_ref(), u.as_ref());
        let z0 = &exact.1;
        let z: Vec<Result<Vec<f64>>> = (0..t.n_points())
            .into_par_iter()
            .map(|g| {
                let mut old = z0[g * ns..(g + 1) * ns].to_vec();
                let mut new = vec![0.0; ns];
                let (mut eps, mut sig, mut tan) =
                    (vec![0.0; nc], vec![0.0; nc], vec![0.0; nc * nc]);
                for (j, (load, _)) in history.iter().enumerate() {
                    for c in 0..nc {
                        eps[c] = strains[(g * nc + c, j)];
                    }
                    let temp =
                        t.reference_temperature + load.temperature * t.temperature_profile[g];
                    law.integrate(&eps, temp, load.dt, &old, &mut new, &mut sig, &mut tan)
                        .map_err(|failure| crate::Error::Behaviour { point: g, failure })?;
                    std::mem::swap(&mut old, &mut new);
                }
                Ok(old)
            })
            .collect();
        let mut internal = Vec::with_capacity(t.n_points() * ns);
        for zg in z {
            internal.extend(zg?);
        }
        Ok((self.model.displacement(q_last), internal))
    }

    /// Adds a full-order solution of the step with load `load` to the training set and the
    /// basis, and rebuilds the model; on failure nothing changes.
    fn enrich(
        &mut self,
        law: &dyn Behaviour,
        load: &StepLoad,
        u: &[f64],
        stress: &[f64],
        internal: &[f64],
    ) -> Result<()> {
        let mut t = self.training.clone();
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
        // A snapshot of the adaptive run is its own one-step load case (its start state is not
        // the virgin one, so it must not be replayed from it).
        let case = t.steps.iter().map(|s| s.case).max().map_or(0, |c| c + 1);
        t.steps.push(StepRecord {
            case,
            step: 0,
            load: *load,
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
        let (mut model, _) = self.params.build_with_basis(&t, law, new_basis)?;
        model.set_calibration(calibration);
        self.model = model;
        self.training = t;
        Ok(())
    }

    /// Runs the load history `loads` from the virgin state, calling `full_order` for the steps
    /// the indicator rejects and for those whose reduced Newton fails. Every finished step is
    /// appended to `out`, so an error leaves the report up to the last finished step. The
    /// model and its training set keep the enrichments of the run.
    ///
    /// # Errors
    /// A law that does not fit the model; the reduced steps' errors once the full-order budget
    /// is spent; those of `full_order` and of rebuilding the reduced model.
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
        self.model.check_law(law)?;
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
        // The last exact full-order state and the reduced steps taken since.
        let mut exact: (Vec<f64>, Vec<f64>) = (vec![0.0; n_dof], virgin);
        let mut history: Vec<(StepLoad, Vec<f64>)> = Vec::new();
        for (n, load) in loads.iter().enumerate() {
            let mut trial = state.clone();
            let reduced = self.model.step(law, load, &mut trial, n);
            let budget_left = out.full_order_steps.len() < params.max_full_order_steps;
            // Only a numerical failure of the reduced step is handed to the full-order model.
            let accept = match &reduced {
                Ok(rep) => self.model.predicted_error(rep.indicator) <= params.tolerance,
                Err(
                    crate::Error::Behaviour { .. }
                    | crate::Error::NewtonNotConverged { .. }
                    | crate::Error::SingularReducedSystem { .. },
                ) => false,
                Err(_) => return reduced.map(|_| ()),
            };
            let indicator = reduced.as_ref().map_or(f64::NAN, |r| r.indicator);
            if accept || !budget_left {
                reduced?;
                state = trial;
                history.push((*load, state.q.clone()));
            } else {
                let start = std::time::Instant::now();
                let (u_old, z_old) = self.replay(law, &exact, &history)?;
                let mut u = vec![0.0; n_dof];
                let mut z = vec![0.0; n_points * ns];
                let mut s = vec![0.0; n_points * nc];
                full_order.step(load, &u_old, &z_old, &mut u, &mut z, &mut s)?;
                self.enrich(law, load, &u, &s, &z)?;
                state = self.model.restrict(&u, &z)?;
                exact = (u, z);
                history.clear();
                out.full_order_steps.push(n);
                out.bases.push(self.model.basis().to_owned());
                out.reduced_points.push(self.model.points().len());
                out.adaptation_seconds += start.elapsed().as_secs_f64();
            }
            out.indicator.push(indicator);
            out.q.push((out.bases.len() - 1, state.q.clone()));
        }
        Ok(())
    }
}
