//! A small-strain plane-strain finite-element model of an elastoviscoplastic specimen: the
//! full-order model that `rom_core`'s nonlinear (hyper-)reduced models are built from.
//!
//! # The specimen
//!
//! A square plate of half-width `L` with a central circular hole of radius `a` (defaults 10 mm
//! and 2 mm), modelled by its quarter `[0, L]²` with symmetry conditions `u_x = 0` on `x = 0`
//! and `u_y = 0` on `y = 0` ([`PlateWithHole`], a structured Q4 mesh graded towards the hole).
//! The top edge `y = L` carries a uniform traction `λ` (MPa) in `y`, whose consistent nodal
//! forces are `λ f₀`. The temperature at integration point `g` is `T = T_ref + θ τ_g` with
//! `τ(r) = exp(−(r − a)/ℓ)`, `r` the distance to the hole centre and `ℓ` (default 2 mm) a
//! decay length: the plate is hottest at the hole, where the temperature rise is `θ` (°C).
//! These two scalars per step (`λ`, `θ`) are the load model of
//! [`rom_core::snapshots`]. Units: MPa, mm, s, °C.
//!
//! # The law ([`Norton`])
//!
//! Voigt notation `[xx, yy, zz, xy]` with engineering shear, `ε_zz = 0`. Internal variables
//! `[εp_xx, εp_yy, εp_zz, γp_xy, p]`:
//!
//! - `σ = C(T) : (ε − εp − α (T − T_ref) 1)`, isotropic with `E(T)` and constant `ν`;
//! - von Mises overstress with isotropic hardening `R(p) = Q (1 − e^{−b p}) + H p`:
//!   `ṗ = ⟨(σ_eq − σ_y(T) − R(p)) / K(T)⟩ⁿ` (Norton), `ε̇p = (3/2) ṗ s / σ_eq`, `s` the
//!   deviatoric stress and `σ_eq = √(3/2 s:s)`.
//!
//! `E`, `σ_y` and `K` are piecewise linear in `T` ([`NortonParams`]).
//!
//! One step is integrated by backward Euler as a radial return: from the elastic trial
//! deviator `s_tr` (`q_tr = √(3/2) ‖s_tr‖`), if `q_tr > σ_y + R(p_n)` the increment `Δp` solves
//!
//! `F(Δp) = q_tr − 3G Δp − σ_y − R(p_n + Δp) − K (Δp/Δt)^{1/n} = 0`,
//!
//! solved in the viscous-stress variable `x = (Δp/Δt)^{1/n}` (where `F` is smooth, while
//! `(Δp/Δt)^{1/n}` has an infinite slope at 0) by Newton's method safeguarded by bisection in
//! the bracket `[0, min(f_tr/K, (f_tr/(3GΔt))^{1/n})]`. Then `s = (1 − 3GΔp/q_tr) s_tr` and
//! `Δεp = (3/2) Δp s_tr / q_tr`. The consistent tangent is
//!
//! `C_alg = κ 1⊗1 + 2G (1 − 3GΔp/q_tr) I_dev + 6G² (Δp/q_tr − 1/(3G + h)) n̂⊗n̂`,
//!
//! with `n̂ = s_tr/‖s_tr‖` and `h = R'(p) + (K/(n Δt)) (Δp/Δt)^{1/n − 1}` (symmetric; it tends
//! to the elastic `C` as `Δp → 0` for `n > 1`).
//!
//! # The finite-element model ([`ElastoviscoplasticModel`])
//!
//! Bilinear Q4 cells with 2 × 2 Gauss quadrature. Point `g = 4c + q` is Gauss point `q` of cell
//! `c`; its strain is `B_g u` (rows `[xx, yy, zz = 0, xy]`) and its weight `w_g` the Gauss
//! weight times the Jacobian determinant (unit thickness), so that `f_int = Σ_g B_gᵀ w_g σ_g`
//! ([`ElastoviscoplasticModel::strain_operator`], [`ElastoviscoplasticModel::weights`]). Every
//! node carries two DOFs; those on the symmetry lines stay in the numbering and are zero.
//! Each step solves `r(u) = f_int(u) − λ f₀ = 0` on the free DOFs by Newton's method with the
//! consistent tangent, from the previous displacement, until
//! `‖r‖ ≤ rtol · max(‖λ f₀‖, ‖f_int‖)` (`‖f_int‖` over all DOFs, reactions included, so that
//! thermal steps without traction have a scale). The tangent's sparsity pattern is built once
//! from the connectivity, cell matrices are scattered into its values through a precomputed map,
//! and [`linalg::direct::SparseCholesky`] is analysed once and refactorised every iteration
//! ([`linalg::direct::SparseLu`] if the tangent is not positive definite). Cells are evaluated
//! in parallel on rayon's global pool above 256 cells (honouring [`linalg::set_num_threads`]).
//!
//! A run fills a caller-supplied [`Trajectory`] step by step, so that the converged steps are
//! kept when a step fails ([`crate::Error::NewtonNotConverged`] names the step, iterations and
//! residual). [`ElastoviscoplasticModel::snapshots`] runs load cases and returns
//! [`rom_core::snapshots::MechanicalSnapshots`]; the model implements
//! [`rom_core::adaptive::FullOrderStep`].
//!
//! # Example
//!
//! ```
//! use pde_bench::elastoviscoplastic::{
//!     CyclicLoading, ElastoviscoplasticModel, ModelOptions, Norton, NortonParams, PlateWithHole,
//! };
//! let law = Norton::new(NortonParams::default())?;
//! let model = ElastoviscoplasticModel::new(&PlateWithHole::new(10.0, 2.0, 4), law, ModelOptions::default())?;
//! let loads = CyclicLoading { cycles: 1, steps_per_cycle: 8, ..CyclicLoading::default() }.loads()?;
//! let snapshots = model.snapshots(&[loads])?;
//! assert_eq!(snapshots.len(), 8);
//! assert_eq!(snapshots.n_dof(), model.n_dof());
//! # Ok::<(), pde_bench::Error>(())
//! ```
//!
//! # References
//!
//! - J. C. Simo and T. J. R. Hughes, *Computational Inelasticity*, Springer, 1998 (the radial
//!   return mapping and its consistent tangent, chapters 2 and 3).
//! - J. Lemaitre and J.-L. Chaboche, *Mechanics of Solid Materials*, Cambridge University
//!   Press, 1990 (the Norton viscoplastic law with isotropic hardening, chapter 6).
//! - R. C. J. Howland, On the stresses in the neighbourhood of a circular hole in a strip under
//!   tension, *Phil. Trans. R. Soc. A* 229 (1930) 49–86 (the finite-width stress concentration).

mod law;
mod loads;
mod mesh;
mod model;

pub use law::{NCOMP, NSTATE, Norton, NortonParams, P_INDEX};
pub use loads::{CyclicLoading, cyclic_loads};
pub use mesh::{PlateMesh, PlateWithHole};
pub use model::{ElastoviscoplasticModel, ModelOptions, Trajectory};
