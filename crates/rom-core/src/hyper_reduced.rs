//! Hyper-reduced nonlinear reduced-order models of solid mechanics: Galerkin projection of each
//! Newton system onto a POD basis, with the internal forces integrated on a few reduced
//! integration points (empirical cubature) or interpolated (DEIM / Q-DEIM).
//!
//! # The reduced problem
//!
//! The full-order model finds, at every load step, displacements `u` with
//! `f_int(u) = Σ_g w_g B_gᵀ σ_g(B_g u) = λ f₀`, the stress `σ_g` given by the [`Behaviour`] at
//! integration point `g` from its history. The reduced model writes `u = Φ q` with the POD modes
//! `Φ` (`n_dof × k`) of the displacement snapshots and solves the `k` Galerkin equations
//!
//! ```text
//!     r(q) = Σ_{g ∈ S} T_gᵀ σ_g(B_g Φ q) − λ Φᵀ f₀ = 0,      K(q) = Σ_{g ∈ S} T_gᵀ C_g B_g Φ
//! ```
//!
//! by Newton's method, with `K` the reduced consistent tangent (`C_g` the law's). Everything in
//! these sums is stored per reduced point (`B_g Φ`, `T_g`: `ncomp × k`), so an online step costs
//! `O(|S| (ncomp k² + ncomp² k) + k³)` and never touches the mesh. The hyper-reduction sets `S`
//! and `T_g`:
//!
//! - [`HyperReduction::None`]: every point, `T_g = w_g B_g Φ` (plain Galerkin POD; its online cost
//!   grows with the mesh, the reference for the others' error);
//! - [`HyperReduction::Ecm`]: the empirical cubature method ([`crate::ecm`]) selects points and
//!   positive weights `ω_g` that integrate the reduced internal forces of the training stresses
//!   (compressed by a POD of the stress snapshots) to a tolerance; `T_g = ω_g B_g Φ`. The
//!   reduced tangent stays symmetric;
//! - [`HyperReduction::Deim`]: DEIM or Q-DEIM ([`crate::deim`]) on POD modes `U` of the stress
//!   snapshots picks stress components `P` at a few points and interpolates the stress field
//!   from them, `σ ≈ U (PᵀU)⁻¹ σ_P`, so the reduced internal force is `M σ_P` with
//!   `M = (BΦ)ᵀ W U (PᵀU)⁻¹` (Galerkin–DEIM; the tangent is not symmetric). Interpolating the
//!   internal-force vectors instead would be degenerate: at equilibrium they equal the load.
//!
//! Temperatures enter through the load model of [`crate::snapshots`]; the reduced model stores
//! the temperature profile at its points.
//!
//! # The error indicator
//!
//! The dual quantity of the law (accumulated plastic strain) at the reduced points is compared
//! with its gappy-POD reconstruction from the training snapshots ([`crate::gappy`]); the relative
//! residual `η` grows when the solution leaves the training regime. [`HyperReducedModel::calibrate`]
//! fits `log e = a + b log η` to true errors of validation runs, so that
//! [`HyperReducedModel::predicted_error`] reads in displacement-error units.
//!
//! # Saved models
//!
//! [`HyperReducedModel::save`] writes one file atomically: a header line with the format name,
//! version, payload length and FNV-1a checksum, then the model as JSON (floats round-trip exactly).
//! [`HyperReducedModel::load`] refuses a truncated, corrupted or other-version file, and
//! [`HyperReducedModel::step`] refuses a law with other component counts or name; a reloaded
//! model gives bit-identical online results.
//!
//! # References
//!
//! - J. A. Hernández, M. A. Caicedo, A. Ferrer, *Dimensional hyper-reduction of nonlinear finite
//!   element models via empirical cubature*, CMAME 313 (2017).
//! - S. Chaturantabut, D. C. Sorensen, *Nonlinear model reduction via discrete empirical
//!   interpolation*, SIAM J. Sci. Comput. 32 (2010).
//! - F. Casenave, N. Akkari, D. Ryckelynck, et al., *A nonintrusive distributed reduced-order
//!   modeling framework for nonlinear structural mechanics — application to elastoviscoplastic
//!   computations*, Int. J. Numer. Methods Eng. 121 (2020); and *An error indicator-based
//!   adaptive reduced order model for nonlinear structural mechanics — application to
//!   high-pressure turbine blades*, Math. Comput. Appl. 25 (2020).

use std::io::Write;
use std::path::Path;

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::behaviour::Behaviour;
use crate::deim::DeimVariant;
use crate::error::invalid;
use crate::gappy::GappyPod;
use crate::inner_product::InnerProduct;
use crate::pod::{Pod, PodTruncation, SnapshotMatrix};
use crate::snapshots::{MechanicalSnapshots, StepLoad};
use crate::{Error, Result};

/// How the internal forces are hyper-reduced.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum HyperReduction {
    /// Every integration point (no hyper-reduction).
    None,
    /// The empirical cubature method at the given relative integration tolerance.
    Ecm {
        /// Relative tolerance on the reduced internal forces of the training set.
        tolerance: f64,
    },
    /// DEIM or Q-DEIM on the stress POD modes truncated at `tolerance`.
    Deim {
        /// Greedy DEIM or Q-DEIM.
        variant: DeimVariant,
        /// POD truncation tolerance of the stress snapshots.
        tolerance: f64,
    },
}

/// Parameters of a hyper-reduced model.
///
/// | name | default | purpose | valid |
/// |---|---|---|---|
/// | `basis_tolerance` | `1e-5` | POD truncation of the displacements ([`PodTruncation::Tolerance`]) | `(0, 1)` |
/// | `hyper_reduction` | `Ecm { tolerance: 1e-6 }` | see [`HyperReduction`] | tolerances in `(0, 1)` |
/// | `stress_tolerance` | `1e-9` | POD truncation of the stress snapshots that form the ECM integrands | `(0, 1)` |
/// | `ecm_svd_tolerance` | the ECM default | relative singular-value truncation of the ECM integrand basis | `(0, 1)` |
/// | `dual_tolerance` | `1e-4` | POD truncation of the dual quantity for the error indicator | `(0, 1)` |
/// | `newton_rtol` | `1e-9` | online Newton: relative residual | `(0, 1)` |
/// | `max_newton` | `30` | online Newton: iterations per step | `≥ 1` |
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HyperReducedParams {
    basis_tolerance: f64,
    hyper_reduction: HyperReduction,
    stress_tolerance: f64,
    #[serde(default)]
    ecm_svd_tolerance: Option<f64>,
    dual_tolerance: f64,
    newton_rtol: f64,
    max_newton: usize,
}

impl Default for HyperReducedParams {
    fn default() -> Self {
        Self {
            basis_tolerance: 1e-5,
            hyper_reduction: HyperReduction::Ecm { tolerance: 1e-6 },
            stress_tolerance: 1e-9,
            ecm_svd_tolerance: None,
            dual_tolerance: 1e-4,
            newton_rtol: 1e-9,
            max_newton: 30,
        }
    }
}

fn check_unit(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 && v < 1.0 {
        Ok(())
    } else {
        Err(invalid(name, v, "must lie in (0, 1)"))
    }
}

impl HyperReducedParams {
    /// Sets the displacement POD tolerance.
    pub fn basis_tolerance(mut self, v: f64) -> Self {
        self.basis_tolerance = v;
        self
    }
    /// Sets the hyper-reduction.
    pub fn hyper_reduction(mut self, v: HyperReduction) -> Self {
        self.hyper_reduction = v;
        self
    }
    /// Sets the stress POD tolerance used to form the ECM integrands.
    pub fn stress_tolerance(mut self, v: f64) -> Self {
        self.stress_tolerance = v;
        self
    }
    /// Sets the relative singular-value truncation of the ECM integrand basis (default: the ECM
    /// default, `tolerance / √n_points`).
    pub fn ecm_svd_tolerance(mut self, v: f64) -> Self {
        self.ecm_svd_tolerance = Some(v);
        self
    }
    /// Sets the POD tolerance of the dual quantity (error indicator).
    pub fn dual_tolerance(mut self, v: f64) -> Self {
        self.dual_tolerance = v;
        self
    }
    /// Sets the online Newton tolerance.
    pub fn newton_rtol(mut self, v: f64) -> Self {
        self.newton_rtol = v;
        self
    }
    /// Sets the online Newton iteration cap.
    pub fn max_newton(mut self, v: usize) -> Self {
        self.max_newton = v;
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the first parameter outside its range.
    pub fn check(self) -> Result<Self> {
        check_unit("basis_tolerance", self.basis_tolerance)?;
        check_unit("stress_tolerance", self.stress_tolerance)?;
        check_unit("dual_tolerance", self.dual_tolerance)?;
        if let Some(t) = self.ecm_svd_tolerance {
            check_unit("ecm_svd_tolerance", t)?;
        }
        check_unit("newton_rtol", self.newton_rtol)?;
        match self.hyper_reduction {
            HyperReduction::None => {}
            HyperReduction::Ecm { tolerance } | HyperReduction::Deim { tolerance, .. } => {
                check_unit("hyper_reduction.tolerance", tolerance)?;
            }
        }
        if self.max_newton == 0 {
            return Err(invalid("max_newton", 0, "must be at least 1"));
        }
        Ok(self)
    }

    /// Builds the reduced model from training snapshots: POD of the displacements, then
    /// [`HyperReducedParams::build_with_basis`].
    ///
    /// # Errors
    /// Those of [`HyperReducedParams::check`], [`MechanicalSnapshots::check`] and
    /// [`MechanicalSnapshots::replay`] (when the snapshots carry no stresses), of the POD, and of
    /// the hyper-reduction.
    pub fn build(
        &self,
        snapshots: &MechanicalSnapshots,
        law: &dyn Behaviour,
    ) -> Result<(HyperReducedModel, OfflineReport)> {
        self.check()?;
        snapshots.check()?;
        let s = SnapshotMatrix::from_matrix(snapshots.displacement.clone())?;
        let basis = Pod::params()
            .truncation(PodTruncation::Tolerance(self.basis_tolerance))
            .check()?
            .compute(&s, &InnerProduct::euclidean())?;
        self.build_with_basis(snapshots, law, basis.modes)
    }

    /// Builds the reduced model on a given orthonormal basis `Φ` (`n_dof × k`): the
    /// hyper-reduction, the error indicator and the reduced operators.
    ///
    /// # Errors
    /// As [`HyperReducedParams::build`], and [`linalg::Error::ShapeMismatch`] for a basis with
    /// the wrong number of rows.
    pub fn build_with_basis(
        &self,
        snapshots: &MechanicalSnapshots,
        law: &dyn Behaviour,
        basis: Mat<f64>,
    ) -> Result<(HyperReducedModel, OfflineReport)> {
        let p = self.check()?;
        snapshots.check()?;
        check_law_sizes(law, snapshots.ncomp, None)?;
        let replayed;
        let snaps = if snapshots.stress.is_none() || snapshots.state.is_none() {
            let mut s = snapshots.clone();
            s.replay(law)?;
            replayed = s;
            &replayed
        } else {
            snapshots
        };
        check_law_sizes(law, snaps.ncomp, Some(snaps.nstate))?;
        let name = law.name();
        if !name.is_empty() && !snaps.behaviour.is_empty() && name != snaps.behaviour {
            return Err(invalid(
                "behaviour",
                name,
                "the law differs from the one named in the snapshots",
            ));
        }
        if basis.nrows() != snaps.n_dof() || basis.ncols() == 0 {
            return Err(linalg::Error::shape(
                "reduced basis",
                (snaps.n_dof(), basis.ncols().max(1)),
                (basis.nrows(), basis.ncols()),
            )
            .into());
        }
        linalg::check::ensure_dense_input("reduced basis", basis.as_ref())?;
        let start = std::time::Instant::now();
        let (nc, k, n_points) = (snaps.ncomp, basis.ncols(), snaps.n_points());
        let mut bphi = Mat::zeros(n_points * nc, k);
        linalg::sparse::csr_matmul(
            bphi.as_mut(),
            snaps.strain_operator.as_ref(),
            basis.as_ref(),
        );
        let stress = snaps.stress.as_ref().ok_or(linalg::Error::Empty {
            what: "stress snapshots",
        })?;
        let state = snaps.state.as_ref().ok_or(linalg::Error::Empty {
            what: "state snapshots",
        })?;

        // The reduced points and their test operators T_g (ncomp × k, row-major).
        let (points, test_ops, deim_indices) = match p.hyper_reduction {
            HyperReduction::None => {
                let ops = (0..n_points)
                    .flat_map(|g| point_block(&bphi, g, nc, snaps.weights[g]))
                    .collect();
                ((0..n_points).collect::<Vec<_>>(), ops, None)
            }
            HyperReduction::Ecm { tolerance } => {
                let integrands = ecm_integrands(&bphi, stress, nc, p.stress_tolerance)?;
                let mut ecm = crate::ecm::Ecm::params().tolerance(tolerance);
                if let Some(t) = p.ecm_svd_tolerance {
                    ecm = ecm.svd_tolerance(t);
                }
                let cubature = ecm.check()?.select(integrands.as_ref(), &snaps.weights)?;
                let mut order: Vec<usize> = (0..cubature.points.len()).collect();
                order.sort_by_key(|&i| cubature.points[i]);
                let points: Vec<usize> = order.iter().map(|&i| cubature.points[i]).collect();
                let ops = order
                    .iter()
                    .flat_map(|&i| point_block(&bphi, cubature.points[i], nc, cubature.weights[i]))
                    .collect();
                (points, ops, None)
            }
            HyperReduction::Deim { variant, tolerance } => {
                let (points, ops, dofs) = deim_operators(snaps, &bphi, stress, variant, tolerance)?;
                (points, ops, Some(dofs))
            }
        };
        let strain_ops: Vec<f64> = points
            .iter()
            .flat_map(|&g| point_block(&bphi, g, nc, 1.0))
            .collect();
        let external_force: Vec<f64> = (0..k)
            .map(|i| {
                (0..snaps.n_dof())
                    .map(|r| basis[(r, i)] * snaps.external_force[r])
                    .sum()
            })
            .collect();

        // Quadrature error on the training reduced internal forces.
        let (mut num, mut den) = (0.0, 0.0);
        for j in 0..snaps.len() {
            let mut full = vec![0.0; k];
            for g in 0..n_points {
                for c in 0..nc {
                    let s = snaps.weights[g] * stress[(g * nc + c, j)];
                    for i in 0..k {
                        full[i] += bphi[(g * nc + c, i)] * s;
                    }
                }
            }
            let mut red = vec![0.0; k];
            for (pi, &g) in points.iter().enumerate() {
                for c in 0..nc {
                    let s = stress[(g * nc + c, j)];
                    for i in 0..k {
                        red[i] += test_ops[(pi * nc + c) * k + i] * s;
                    }
                }
            }
            num += full
                .iter()
                .zip(&red)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>();
            den += full.iter().map(|a| a * a).sum::<f64>();
        }
        let quadrature_error = if den > 0.0 { (num / den).sqrt() } else { 0.0 };

        let ns = snaps.nstate;
        let dual = law.dual_index();
        let indicator = dual_indicator(state, n_points, ns, dual, &points, p.dual_tolerance)?;
        let dual_modes = indicator.as_ref().map_or(0, GappyPod::rank);
        let model = HyperReducedModel {
            behaviour: law.name(),
            ncomp: nc,
            nstate: ns,
            dual_index: dual,
            n_points_full: n_points,
            basis,
            points,
            strain_ops,
            test_ops,
            temperature_profile: Vec::new(),
            reference_temperature: snaps.reference_temperature,
            external_force,
            indicator,
            calibration: None,
            params: p,
        };
        let temperature_profile = model
            .points
            .iter()
            .map(|&g| snaps.temperature_profile[g])
            .collect();
        let model = HyperReducedModel {
            temperature_profile,
            ..model
        };
        let report = OfflineReport {
            modes: k,
            reduced_points: model.points.len(),
            full_points: n_points,
            quadrature_error,
            dual_modes,
            deim_indices,
            seconds: start.elapsed().as_secs_f64(),
        };
        Ok((model, report))
    }
}

/// `scale · (B_g Φ)` for point `g`: `ncomp × k`, row-major.
fn point_block(bphi: &Mat<f64>, g: usize, nc: usize, scale: f64) -> Vec<f64> {
    let k = bphi.ncols();
    let mut out = Vec::with_capacity(nc * k);
    for c in 0..nc {
        for i in 0..k {
            out.push(scale * bphi[(g * nc + c, i)]);
        }
    }
    out
}

/// The ECM integrand matrix: for point `g` and column `(l, i)`, the contribution
/// `σ_l (B_g Φ)[:, i] · ψ_l,g` of the stress POD mode `ψ_l` (singular value `σ_l`) to the
/// reduced internal force `i`.
fn ecm_integrands(
    bphi: &Mat<f64>,
    stress: &Mat<f64>,
    nc: usize,
    tolerance: f64,
) -> Result<Mat<f64>> {
    let k = bphi.ncols();
    let n_points = bphi.nrows() / nc;
    if stress.norm_l2() == 0.0 {
        return Ok(Mat::zeros(n_points, 0));
    }
    let s = SnapshotMatrix::from_matrix(stress.clone())?;
    let pod = Pod::params()
        .truncation(PodTruncation::Tolerance(tolerance))
        .check()?
        .compute(&s, &InnerProduct::euclidean())?;
    let (modes, sigma) = (pod.modes, pod.singular_values);
    let r = modes.ncols();
    // Each mode weighted by its singular value, so that the integrands span the training
    // stresses with their weights (the snapshot integrands up to an orthogonal factor).
    Ok(Mat::from_fn(n_points, r * k, |g, col| {
        let (l, i) = (col / k, col % k);
        sigma[l]
            * (0..nc)
                .map(|c| bphi[(g * nc + c, i)] * modes[(g * nc + c, l)])
                .sum::<f64>()
    }))
}

/// The DEIM reduced points, test operators and selected stress components.
///
/// DEIM interpolates the stress field at the integration points from POD modes `U` of the
/// stress snapshots: `σ ≈ U (PᵀU)⁻¹ σ_P`, `P` the selected components. The reduced internal
/// force `Φᵀ Bᵀ W σ` then reads `M σ_P` with `M = (BΦ)ᵀ W U (PᵀU)⁻¹` (`k × m`), so the test
/// operator of a point holds the columns of `M` of its selected components. (Interpolating
/// the internal-force vectors instead is degenerate: at equilibrium they all equal the load.)
fn deim_operators(
    snaps: &MechanicalSnapshots,
    bphi: &Mat<f64>,
    stress: &Mat<f64>,
    variant: DeimVariant,
    tolerance: f64,
) -> Result<(Vec<usize>, Vec<f64>, Vec<usize>)> {
    let (nc, k) = (snaps.ncomp, bphi.ncols());
    let s = SnapshotMatrix::from_matrix(stress.clone())?;
    let u = Pod::params()
        .truncation(PodTruncation::Tolerance(tolerance))
        .check()?
        .compute(&s, &InnerProduct::euclidean())?
        .modes;
    let interp = crate::deim::select(u.as_ref(), variant)?;
    let m = interp.indices.len();
    // (PᵀU)⁻¹ column by column, then M = (BΦ)ᵀ W U (PᵀU)⁻¹.
    let mut inv = Mat::zeros(m, m);
    for j in 0..m {
        let mut e = vec![0.0; m];
        e[j] = 1.0;
        let c = interp.coefficients(&e)?;
        for i in 0..m {
            inv[(i, j)] = c[i];
        }
    }
    let wu = Mat::from_fn(u.nrows(), m, |r, l| snaps.weights[r / nc] * u[(r, l)]);
    let x = bphi.transpose() * &wu;
    let mmat = &x * &inv;
    let mut points: Vec<usize> = interp.indices.iter().map(|&i| i / nc).collect();
    points.sort_unstable();
    points.dedup();
    let mut ops = vec![0.0; points.len() * nc * k];
    for (j, &idx) in interp.indices.iter().enumerate() {
        let (g, c) = (idx / nc, idx % nc);
        let p = points.partition_point(|&q| q < g);
        for i in 0..k {
            ops[(p * nc + c) * k + i] += mmat[(i, j)];
        }
    }
    Ok((points, ops, interp.indices.clone()))
}

/// The gappy-POD indicator on the dual quantity, `None` if it vanishes in every snapshot.
fn dual_indicator(
    state: &Mat<f64>,
    n_points: usize,
    ns: usize,
    dual: usize,
    points: &[usize],
    tolerance: f64,
) -> Result<Option<GappyPod>> {
    let n = state.ncols();
    let d = Mat::from_fn(n_points, n, |g, j| state[(g * ns + dual, j)]);
    if d.norm_l2() == 0.0 || points.len() < 2 {
        return Ok(None);
    }
    let s = SnapshotMatrix::from_matrix(d.clone())?;
    let pod = Pod::params()
        .truncation(PodTruncation::Tolerance(tolerance))
        .check()?
        .compute(&s, &InnerProduct::euclidean())?;
    // Keep at least one residual direction at the sample points, and a well-conditioned sample.
    // The residual is relative to the largest training sample (or the current sample when
    // larger), so that the small plastic strains of the first steps do not read as errors.
    let mut r = pod.modes.ncols().min(points.len() - 1);
    let max_sample = (0..n)
        .map(|j| {
            points
                .iter()
                .map(|&g| d[(g, j)] * d[(g, j)])
                .sum::<f64>()
                .sqrt()
        })
        .fold(0.0, f64::max);
    while r > 0 {
        let modes = pod.modes.subcols(0, r);
        match GappyPod::new(modes, points, max_sample) {
            Ok(gp) => return Ok(Some(gp)),
            Err(Error::SingularReducedSystem { .. }) => r -= 1,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

fn check_law_sizes(law: &dyn Behaviour, ncomp: usize, nstate: Option<usize>) -> Result<()> {
    if law.ncomp() != ncomp {
        return Err(
            linalg::Error::shape("behaviour components", (ncomp, 1), (law.ncomp(), 1)).into(),
        );
    }
    if let Some(ns) = nstate
        && law.nstate() != ns
    {
        return Err(linalg::Error::shape(
            "behaviour internal variables",
            (ns, 1),
            (law.nstate(), 1),
        )
        .into());
    }
    if law.dual_index() >= law.nstate() {
        return Err(invalid(
            "dual_index",
            law.dual_index(),
            "the behaviour's dual quantity must be one of its internal variables",
        ));
    }
    Ok(())
}

/// What the offline stage built.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfflineReport {
    /// Number of POD modes `k`.
    pub modes: usize,
    /// Number of reduced integration points `|S|`.
    pub reduced_points: usize,
    /// Number of integration points of the mesh.
    pub full_points: usize,
    /// `‖F_S − F‖_F / ‖F‖_F` over the training snapshots, `F` the reduced internal forces
    /// integrated on all points and `F_S` on the reduced points.
    pub quadrature_error: f64,
    /// Number of gappy-POD modes of the error indicator (0: no indicator).
    pub dual_modes: usize,
    /// DEIM: the selected stress components (point-major indices `g·ncomp + c`).
    pub deim_indices: Option<Vec<usize>>,
    /// Wall time of the hyper-reduction and operator set-up, in seconds.
    pub seconds: f64,
}

/// A calibrated map from the indicator to the displacement error: `e ≈ exp(a) η^b`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Intercept `a` of `log e = a + b log η`.
    pub a: f64,
    /// Slope `b`.
    pub b: f64,
    /// Number of `(η, e)` pairs fitted.
    pub samples: usize,
    /// Spearman rank correlation of the pairs.
    pub spearman: f64,
}

/// The online state of a reduced model: the reduced coordinates and the internal variables at
/// the reduced points.
#[derive(Clone, Debug, PartialEq)]
pub struct ReducedState {
    /// Reduced coordinates `q` (`k`).
    pub q: Vec<f64>,
    /// Internal variables at the reduced points (`|S|·nstate`, point-major).
    pub internal: Vec<f64>,
}

/// What one online step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// Newton iterations.
    pub iterations: usize,
    /// The error indicator `η` at the end of the step (0 without an indicator).
    pub indicator: f64,
}

/// An online run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReducedTrajectory {
    /// Reduced coordinates after every step.
    pub q: Vec<Vec<f64>>,
    /// The indicator after every step.
    pub indicator: Vec<f64>,
    /// Newton iterations of every step.
    pub iterations: Vec<usize>,
}

/// A hyper-reduced model (see the module documentation). Build it with
/// [`HyperReducedModel::params`]; run it with [`HyperReducedModel::run`] or step by step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HyperReducedModel {
    behaviour: String,
    ncomp: usize,
    nstate: usize,
    dual_index: usize,
    n_points_full: usize,
    #[serde(with = "linalg::serde_mat")]
    basis: Mat<f64>,
    points: Vec<usize>,
    strain_ops: Vec<f64>,
    test_ops: Vec<f64>,
    temperature_profile: Vec<f64>,
    reference_temperature: f64,
    external_force: Vec<f64>,
    indicator: Option<GappyPod>,
    calibration: Option<Calibration>,
    params: HyperReducedParams,
}

/// The first line of a saved model starts with this.
const MAGIC: &str = "rom-core hyper-reduced model";
/// The saved-model format version written by this release.
const VERSION: u32 = 1;

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl HyperReducedModel {
    /// The default parameters.
    pub fn params() -> HyperReducedParams {
        HyperReducedParams::default()
    }

    /// The number of POD modes `k`.
    pub fn modes(&self) -> usize {
        self.basis.ncols()
    }

    /// The reduced integration points (indices into the full-order points, ascending).
    pub fn points(&self) -> &[usize] {
        &self.points
    }

    /// The POD basis `Φ` (`n_dof × k`), for reconstructing displacements.
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.basis.as_ref()
    }

    /// The calibration of the indicator, if [`HyperReducedModel::calibrate`] ran.
    pub fn calibration(&self) -> Option<Calibration> {
        self.calibration
    }

    /// Replaces the indicator calibration (for example to carry one over to a rebuilt model).
    pub fn set_calibration(&mut self, calibration: Option<Calibration>) {
        self.calibration = calibration;
    }

    /// The displacement `Φ q` on the full-order mesh.
    pub fn displacement(&self, q: &[f64]) -> Vec<f64> {
        let mut u = vec![0.0; self.basis.nrows()];
        for (j, &qj) in q.iter().enumerate().take(self.basis.ncols()) {
            for (i, ui) in u.iter_mut().enumerate() {
                *ui += self.basis[(i, j)] * qj;
            }
        }
        u
    }

    /// The virgin state: `q = 0` and the law's initial internal variables.
    pub fn initial_state(&self, law: &dyn Behaviour) -> ReducedState {
        let mut internal = vec![0.0; self.points.len() * self.nstate];
        for chunk in internal.chunks_mut(self.nstate.max(1)) {
            law.initial_state(chunk);
        }
        ReducedState {
            q: vec![0.0; self.modes()],
            internal,
        }
    }

    /// The state at the reduced points taken from a full-order state: `q = Φᵀ u` and the
    /// internal variables of the reduced points.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `u` or `internal` have the wrong length.
    pub fn restrict(&self, u: &[f64], internal: &[f64]) -> Result<ReducedState> {
        if u.len() != self.basis.nrows() || internal.len() != self.n_points_full * self.nstate {
            return Err(linalg::Error::shape(
                "full-order state",
                (self.basis.nrows(), self.n_points_full * self.nstate),
                (u.len(), internal.len()),
            )
            .into());
        }
        let q = (0..self.modes())
            .map(|j| (0..u.len()).map(|i| self.basis[(i, j)] * u[i]).sum())
            .collect();
        let ns = self.nstate;
        let internal = self
            .points
            .iter()
            .flat_map(|&g| internal[g * ns..(g + 1) * ns].iter().copied())
            .collect();
        Ok(ReducedState { q, internal })
    }

    /// Whether the model has an error indicator.
    pub fn has_indicator(&self) -> bool {
        self.indicator.is_some()
    }

    /// Errors unless the model was built on snapshots of the size of `snapshots`.
    pub(crate) fn check_fits(&self, snapshots: &MechanicalSnapshots) -> Result<()> {
        let ours = (
            self.basis.nrows(),
            self.n_points_full,
            self.ncomp,
            self.nstate,
        );
        let theirs = (
            snapshots.n_dof(),
            snapshots.n_points(),
            snapshots.ncomp,
            snapshots.nstate,
        );
        if ours != theirs {
            return Err(linalg::Error::ShapeMismatch {
                what: "reduced model and snapshots (dofs, points, components, internal variables)",
                expected: format!("{ours:?}"),
                found: format!("{theirs:?}"),
            }
            .into());
        }
        Ok(())
    }

    pub(crate) fn check_law(&self, law: &dyn Behaviour) -> Result<()> {
        check_law_sizes(law, self.ncomp, Some(self.nstate))?;
        let name = law.name();
        if !self.behaviour.is_empty() && !name.is_empty() && name != self.behaviour {
            return Err(invalid(
                "behaviour",
                name,
                "the law differs from the one the reduced model was built with",
            ));
        }
        Ok(())
    }

    /// The error indicator of a state (0 without an indicator).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if the state does not belong to this model.
    pub fn indicator(&self, state: &ReducedState) -> Result<f64> {
        let Some(gp) = &self.indicator else {
            return Ok(0.0);
        };
        if state.internal.len() != self.points.len() * self.nstate {
            return Err(linalg::Error::shape(
                "reduced state",
                (self.points.len() * self.nstate, 1),
                (state.internal.len(), 1),
            )
            .into());
        }
        let y: Vec<f64> = (0..self.points.len())
            .map(|p| state.internal[p * self.nstate + self.dual_index])
            .collect();
        gp.residual(&y)
    }

    /// The displacement error predicted from an indicator value by the calibration (the raw
    /// indicator when uncalibrated; `+∞` for a NaN indicator).
    pub fn predicted_error(&self, indicator: f64) -> f64 {
        if indicator.is_nan() {
            return f64::INFINITY;
        }
        match self.calibration {
            Some(c) if indicator > 0.0 => (c.a + c.b * indicator.ln()).exp(),
            Some(_) => 0.0,
            None => indicator,
        }
    }

    /// One online step of load `load` from `state` (updated in place on success, untouched on
    /// failure). `step` only labels errors.
    ///
    /// # Errors
    /// [`Error::Behaviour`] if the law fails at a reduced point, [`Error::NewtonNotConverged`],
    /// [`Error::SingularReducedSystem`] for a singular reduced tangent, shape errors for a state
    /// or law that does not belong to this model.
    pub fn step(
        &self,
        law: &dyn Behaviour,
        load: &StepLoad,
        state: &mut ReducedState,
        step: usize,
    ) -> Result<StepReport> {
        self.check_law(law)?;
        let (k, nc, ns, m) = (self.modes(), self.ncomp, self.nstate, self.points.len());
        if state.q.len() != k || state.internal.len() != m * ns {
            return Err(linalg::Error::shape(
                "reduced state",
                (k, m * ns),
                (state.q.len(), state.internal.len()),
            )
            .into());
        }
        let fext: Vec<f64> = self
            .external_force
            .iter()
            .map(|f| load.traction * f)
            .collect();
        let fext_norm = linalg::blas1::nrm2(&fext);
        let mut q = state.q.clone();
        let mut new = vec![0.0; m * ns];
        let (mut strain, mut stress, mut tangent) =
            (vec![0.0; nc], vec![0.0; nc], vec![0.0; nc * nc]);
        let mut tmp = vec![0.0; nc * k];
        let (mut residual, mut iterations) = (0.0, 0);
        for it in 0..=self.params.max_newton {
            iterations = it;
            let mut r: Vec<f64> = fext.iter().map(|f| -f).collect();
            let mut kmat = Mat::<f64>::zeros(k, k);
            let mut scale = fext_norm;
            for p in 0..m {
                let bphi = &self.strain_ops[p * nc * k..(p + 1) * nc * k];
                let test = &self.test_ops[p * nc * k..(p + 1) * nc * k];
                for c in 0..nc {
                    strain[c] = (0..k).map(|i| bphi[c * k + i] * q[i]).sum();
                }
                let temp =
                    self.reference_temperature + load.temperature * self.temperature_profile[p];
                law.integrate(
                    &strain,
                    temp,
                    load.dt,
                    &state.internal[p * ns..(p + 1) * ns],
                    &mut new[p * ns..(p + 1) * ns],
                    &mut stress,
                    &mut tangent,
                )
                .map_err(|failure| Error::Behaviour {
                    point: self.points[p],
                    failure,
                })?;
                let mut contrib2 = 0.0;
                for i in 0..k {
                    let f: f64 = (0..nc).map(|c| test[c * k + i] * stress[c]).sum();
                    r[i] += f;
                    contrib2 += f * f;
                }
                scale += contrib2.sqrt();
                // tmp = C B_gΦ (nc × k); K += Tᵀ tmp.
                for c in 0..nc {
                    for j in 0..k {
                        tmp[c * k + j] =
                            (0..nc).map(|d| tangent[c * nc + d] * bphi[d * k + j]).sum();
                    }
                }
                for i in 0..k {
                    for c in 0..nc {
                        let t = test[c * k + i];
                        if t != 0.0 {
                            for j in 0..k {
                                kmat[(i, j)] += t * tmp[c * k + j];
                            }
                        }
                    }
                }
            }
            residual = linalg::blas1::nrm2(&r) / scale.max(f64::MIN_POSITIVE);
            if !residual.is_finite() {
                break;
            }
            if residual <= self.params.newton_rtol {
                let indicator = {
                    let candidate = ReducedState {
                        q: q.clone(),
                        internal: new.clone(),
                    };
                    self.indicator(&candidate)?
                };
                state.q = q;
                state.internal = new;
                return Ok(StepReport {
                    iterations: it,
                    indicator,
                });
            }
            if it == self.params.max_newton {
                break;
            }
            let lu = kmat.partial_piv_lu();
            let rhs = Mat::from_fn(k, 1, |i, _| -r[i]);
            let dq = lu.solve(&rhs);
            if (0..k).any(|i| !dq[(i, 0)].is_finite()) {
                return Err(Error::SingularReducedSystem {
                    basis_size: k,
                    pivot_ratio: 0.0,
                });
            }
            for i in 0..k {
                q[i] += dq[(i, 0)];
            }
        }
        Err(Error::NewtonNotConverged {
            step,
            iterations,
            residual,
        })
    }

    /// Runs the load history `loads` from the virgin state.
    ///
    /// # Errors
    /// As [`HyperReducedModel::step`]; use [`HyperReducedModel::run_into`] to keep the steps
    /// that converged before a failure.
    pub fn run(&self, law: &dyn Behaviour, loads: &[StepLoad]) -> Result<ReducedTrajectory> {
        let mut out = ReducedTrajectory::default();
        self.run_into(law, loads, &mut out)?;
        Ok(out)
    }

    /// As [`HyperReducedModel::run`], appending each converged step to `out`, so that a failure
    /// leaves the history up to the last converged step.
    ///
    /// # Errors
    /// As [`HyperReducedModel::step`].
    pub fn run_into(
        &self,
        law: &dyn Behaviour,
        loads: &[StepLoad],
        out: &mut ReducedTrajectory,
    ) -> Result<()> {
        let mut state = self.initial_state(law);
        for (n, load) in loads.iter().enumerate() {
            let rep = self.step(law, load, &mut state, n)?;
            out.q.push(state.q.clone());
            out.indicator.push(rep.indicator);
            out.iterations.push(rep.iterations);
        }
        Ok(())
    }

    /// Fits the indicator-to-error map on validation runs: for every `(loads, displacements)`
    /// (`displacements` the full-order solution, `n_dof × steps`), runs the reduced model and
    /// pairs the indicator of each step with its true error
    /// `‖u_n − Φ q_n‖ / max_m ‖u_m‖`; steps where either vanishes are skipped.
    ///
    /// # Errors
    /// As [`HyperReducedModel::run`]; [`linalg::Error::ShapeMismatch`] for displacements of the
    /// wrong shape; [`linalg::Error::InvalidParameter`] when fewer than 3 usable pairs remain
    /// or the fitted slope is not positive.
    pub fn calibrate(
        &mut self,
        law: &dyn Behaviour,
        cases: &[(Vec<StepLoad>, Mat<f64>)],
    ) -> Result<Calibration> {
        let mut pairs = Vec::new();
        for (loads, u) in cases {
            if u.nrows() != self.basis.nrows() || u.ncols() != loads.len() {
                return Err(linalg::Error::shape(
                    "validation displacements",
                    (self.basis.nrows(), loads.len()),
                    (u.nrows(), u.ncols()),
                )
                .into());
            }
            let traj = self.run(law, loads)?;
            let errors = self.errors(&traj, u.as_ref());
            for (e, eta) in errors.into_iter().zip(traj.indicator) {
                if e > 0.0 && eta > 0.0 {
                    pairs.push((eta.ln(), e.ln()));
                }
            }
        }
        if pairs.len() < 3 {
            return Err(invalid(
                "cases",
                pairs.len(),
                "calibration needs at least 3 steps with a positive indicator and error",
            ));
        }
        let n = pairs.len() as f64;
        let (mx, my) = pairs
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
        let sxx: f64 = pairs.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
        let sxy: f64 = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        if !(b.is_finite() && b > 0.0) {
            return Err(invalid(
                "cases",
                format!("slope {b:.3e}"),
                "the error does not grow with the indicator on these runs: no usable calibration",
            ));
        }
        let (xs, ys): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let c = Calibration {
            a: my - b * mx,
            b,
            samples: pairs.len(),
            spearman: spearman(&xs, &ys),
        };
        self.calibration = Some(c);
        Ok(c)
    }

    /// The relative displacement error of every step of `trajectory` against the full-order
    /// displacements `u` (`n_dof × steps`): `‖u_n − Φ q_n‖ / max_m ‖u_m‖`.
    pub fn errors(&self, trajectory: &ReducedTrajectory, u: MatRef<'_, f64>) -> Vec<f64> {
        let scale = (0..u.ncols())
            .map(|j| u.col(j).norm_l2())
            .fold(0.0, f64::max);
        trajectory
            .q
            .iter()
            .enumerate()
            .take(u.ncols())
            .map(|(j, q)| {
                let ur = self.displacement(q);
                let d: f64 = (0..ur.len()).map(|i| (u[(i, j)] - ur[i]).powi(2)).sum();
                if scale > 0.0 {
                    d.sqrt() / scale
                } else {
                    d.sqrt()
                }
            })
            .collect()
    }

    /// Writes the model atomically to `path` (see the module documentation for the format).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a model with non-finite values (a calibration
    /// set by hand, ...); [`linalg::Error::Io`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.check_consistency()?;
        let payload = serde_json::to_vec(self)
            .map_err(|e| linalg::Error::io(path.as_ref(), std::io::Error::other(e)))?;
        let header = format!(
            "{MAGIC} v{VERSION} len={} fnv64={:016x}\n",
            payload.len(),
            fnv1a(&payload)
        );
        linalg::io::write_atomic(path, |w| {
            w.write_all(header.as_bytes())?;
            w.write_all(&payload)
        })?;
        Ok(())
    }

    /// Reads a model written by [`HyperReducedModel::save`].
    ///
    /// # Errors
    /// [`linalg::Error::Io`] if the file cannot be read; [`Error::File`] if it is not a saved
    /// model, has another format version, is truncated or corrupted (length or checksum), or
    /// its contents are inconsistent.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| linalg::Error::io(path, e))?;
        let bad = |reason: String| Error::File {
            path: path.to_path_buf(),
            reason,
        };
        let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
            return Err(bad(
                "not a saved hyper-reduced model (no header line)".into()
            ));
        };
        let header = std::str::from_utf8(&bytes[..nl])
            .map_err(|_| bad("not a saved hyper-reduced model (header is not text)".into()))?;
        let rest = header
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("not a saved hyper-reduced model".into()))?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let [version, len, hash] = fields[..] else {
            return Err(bad(format!("malformed header `{header}`")));
        };
        if version != format!("v{VERSION}") {
            return Err(bad(format!(
                "format version {version}, this release reads v{VERSION}"
            )));
        }
        let len: usize = len
            .strip_prefix("len=")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(format!("malformed header `{header}`")))?;
        let hash = hash
            .strip_prefix("fnv64=")
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or_else(|| bad(format!("malformed header `{header}`")))?;
        let payload = &bytes[nl + 1..];
        if payload.len() != len {
            return Err(bad(format!(
                "truncated or extended: {} payload bytes, the header says {len}",
                payload.len()
            )));
        }
        if fnv1a(payload) != hash {
            return Err(bad("corrupted: the checksum does not match".into()));
        }
        let model: Self = serde_json::from_slice(payload).map_err(|e| bad(e.to_string()))?;
        model.check_consistency().map_err(|e| bad(e.to_string()))?;
        Ok(model)
    }

    fn check_consistency(&self) -> Result<()> {
        let (k, nc, m) = (self.modes(), self.ncomp, self.points.len());
        let ok = self.strain_ops.len() == m * nc * k
            && self.test_ops.len() == m * nc * k
            && self.temperature_profile.len() == m
            && self.external_force.len() == k
            && self.points.iter().all(|&g| g < self.n_points_full)
            && self.dual_index < self.nstate
            && self
                .indicator
                .as_ref()
                .is_none_or(|gp| gp.points() == self.points.as_slice());
        if !ok {
            return Err(invalid(
                "model",
                format!("k = {k}, {m} points"),
                "the stored operators do not have consistent sizes",
            ));
        }
        self.params.check()?;
        let finite = [
            &self.strain_ops,
            &self.test_ops,
            &self.temperature_profile,
            &self.external_force,
        ]
        .iter()
        .all(|v| v.iter().all(|x| x.is_finite()))
            && self.reference_temperature.is_finite()
            && self
                .calibration
                .is_none_or(|c| c.a.is_finite() && c.b.is_finite());
        if !finite {
            return Err(invalid(
                "model",
                "non-finite values",
                "the stored operators and calibration must be finite",
            ));
        }
        linalg::check::ensure_finite("reduced basis", self.basis.as_ref())?;
        Ok(())
    }
}

/// Spearman's rank correlation of two samples (average ranks for ties).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            let avg = (i + j) as f64 / 2.0;
            for t in i..=j {
                r[idx[t]] = avg;
            }
            i = j + 1;
        }
        r
    }
    let n = x.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let (rx, ry) = (ranks(&x[..n]), ranks(&y[..n]));
    let m = (n as f64 - 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        sxy += (rx[i] - m) * (ry[i] - m);
        sxx += (rx[i] - m).powi(2);
        syy += (ry[i] - m).powi(2);
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}
