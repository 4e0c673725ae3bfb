//! The constitutive behaviour at one integration point: the interface between a reduced model
//! of nonlinear solid mechanics and the material law, as UMAT or MFront behaviours are to a
//! finite-element code.
//!
//! A nonlinear reduced model never needs the full-order finite-element code online: it evaluates
//! the material law at its reduced integration points and nothing else. The law is therefore the
//! one piece of physics that both the full-order model and the reduced model share; anything that
//! implements [`Behaviour`] can be reduced (`pde_bench::elastoviscoplastic::Norton` is the law of
//! the full-order model shipped with this workspace).
//!
//! # Conventions
//!
//! Small strains in Voigt notation with engineering shear, so that the work `σ · ε` is a plain
//! dot product. In 2D plane strain the components are `[xx, yy, zz, xy]` (`ε_zz = 0` from the
//! kinematics, `γ_xy = 2 ε_xy`); in 3D `[xx, yy, zz, yz, xz, xy]`. The law integrates one time
//! step implicitly: from the internal variables at the start of the step, the total strain and
//! temperature at its end and its length `dt`, it returns the stress at the end of the step, the
//! consistent (algorithmic) tangent `dσ/dε` (row-major, `ncomp × ncomp`) and the internal
//! variables at the end of the step.
//!
//! # Example
//!
//! A linear elastic law in plane strain (no internal variables but the unused dual quantity):
//!
//! ```
//! use rom_core::behaviour::{Behaviour, BehaviourFailure};
//!
//! struct Elastic { lambda: f64, mu: f64 }
//! impl Behaviour for Elastic {
//!     fn ncomp(&self) -> usize { 4 }
//!     fn nstate(&self) -> usize { 1 }
//!     fn dual_index(&self) -> usize { 0 }
//!     fn integrate(&self, strain: &[f64], _t: f64, _dt: f64, old: &[f64], new: &mut [f64],
//!                  stress: &mut [f64], tangent: &mut [f64]) -> Result<(), BehaviourFailure> {
//!         let (l, m) = (self.lambda, self.mu);
//!         let c = [[l + 2.0 * m, l, l, 0.0], [l, l + 2.0 * m, l, 0.0],
//!                  [l, l, l + 2.0 * m, 0.0], [0.0, 0.0, 0.0, m]];
//!         for i in 0..4 {
//!             stress[i] = (0..4).map(|j| c[i][j] * strain[j]).sum();
//!             for j in 0..4 { tangent[4 * i + j] = c[i][j]; }
//!         }
//!         new.copy_from_slice(old);
//!         Ok(())
//!     }
//! }
//! let law = Elastic { lambda: 1.0, mu: 0.5 };
//! let (mut s, mut c, mut new) = ([0.0; 4], [0.0; 16], [0.0; 1]);
//! law.integrate(&[1e-3, 0.0, 0.0, 0.0], 20.0, 1.0, &[0.0], &mut new, &mut s, &mut c)?;
//! assert!((s[0] - 2e-3).abs() < 1e-15 && (s[1] - 1e-3).abs() < 1e-15);
//! # Ok::<(), BehaviourFailure>(())
//! ```

/// Why a behaviour could not integrate a step (for example its local Newton iteration did not
/// converge, or the strain increment was so large that the result is not finite).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct BehaviourFailure {
    /// What went wrong, in words.
    pub reason: String,
}

impl BehaviourFailure {
    /// A failure with the given reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// A small-strain constitutive law integrated over one time step at one integration point.
///
/// Implementations must be deterministic (the same inputs give bit-identical outputs): reduced
/// models rely on it when they are saved and reloaded.
pub trait Behaviour: Sync {
    /// A short name of the law (with its parameter set, if it matters), written into snapshot
    /// sets and reduced models and checked when they are used with a law; empty by default
    /// (no check).
    fn name(&self) -> String {
        String::new()
    }

    /// Number of stress and strain components (4 in plane strain, 6 in 3D).
    fn ncomp(&self) -> usize;

    /// Number of internal variables stored per integration point.
    fn nstate(&self) -> usize;

    /// Index, in the internal variables, of the scalar dual quantity that error indicators
    /// reconstruct (for viscoplasticity, the accumulated plastic strain `p`).
    fn dual_index(&self) -> usize;

    /// Writes the internal variables of the virgin material into `state` (`nstate` values);
    /// zeros by default.
    fn initial_state(&self, state: &mut [f64]) {
        state.fill(0.0);
    }

    /// Integrates the law over one step.
    ///
    /// `strain` (`ncomp`) is the total strain at the end of the step, `temperature` the
    /// temperature at the end of the step, `dt > 0` the step length, `state_old` (`nstate`) the
    /// internal variables at its start. Writes `state_new` (`nstate`), `stress` (`ncomp`) and the
    /// consistent tangent `tangent` (`ncomp × ncomp`, row-major).
    ///
    /// # Errors
    /// [`BehaviourFailure`] when the step cannot be integrated; the outputs are then unspecified.
    fn integrate(
        &self,
        strain: &[f64],
        temperature: f64,
        dt: f64,
        state_old: &[f64],
        state_new: &mut [f64],
        stress: &mut [f64],
        tangent: &mut [f64],
    ) -> std::result::Result<(), BehaviourFailure>;
}
