//! The problems `pde-bench generate` knows, as [`SampleGenerator`]s.
//!
//! - `poisson`: `−Δu = f` on the unit square, zero Dirichlet boundary, 5-point stencil, with a
//!   random smooth forcing `f = Σ_{p,q ≤ 6} ξ_pq (p² + q²)⁻¹ sin(pπx) sin(qπy)`, `ξ_pq ~ N(0, 1)`;
//!   solved by sparse Cholesky with the symbolic analysis shared by all samples.
//!
//! # Example
//!
//! ```
//! use pde_bench::dataset::SampleGenerator;
//! use pde_bench::problems::PoissonSamples;
//! let g = PoissonSamples::new(32)?;
//! let s = g.sample(0, 7)?;
//! assert_eq!(s.solution.len(), 32 * 32);
//! assert!(s.stats.rel_residual < 1e-12);
//! # Ok::<(), pde_bench::Error>(())
//! ```

use std::f64::consts::PI;
use std::time::Instant;

use linalg::direct::SparseCholesky;
use linalg::rng::{gaussian_vec, seeded};
use linalg::sparse::{CsrMatrix, residual_norm};

use crate::Result;
use crate::dataset::{LinearSystem, Sample, SampleGenerator, SampleStats};
use crate::grid::grid_function_2d;
use crate::poisson::poisson_2d;

/// Number of sine modes per direction in the random Poisson forcing.
const POISSON_MODES: usize = 6;

/// Poisson problems with random smooth forcing on an `n x n` grid.
#[derive(Clone, Debug)]
pub struct PoissonSamples {
    n: usize,
    matrix: CsrMatrix,
    analysis: SparseCholesky,
}

impl PoissonSamples {
    /// Samples on an `n x n` interior grid.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for `n = 0`.
    pub fn new(n: usize) -> Result<Self> {
        let matrix = poisson_2d(n)?;
        let analysis = SparseCholesky::analyze(&matrix)?;
        Ok(Self {
            n,
            matrix,
            analysis,
        })
    }
}

/// Solves `A x = b` by a sparse Cholesky factorisation from a shared analysis and returns the
/// solution with its true relative residual.
///
/// # Errors
/// As [`SparseCholesky::factorize`] and the solve.
pub fn cholesky_solve(
    analysis: &SparseCholesky,
    a: &CsrMatrix,
    b: &[f64],
) -> Result<(Vec<f64>, f64)> {
    let x = analysis.factorize(a)?.solve(b)?;
    let b_norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let r = residual_norm(a.as_ref(), &x, b);
    Ok((x, if b_norm > 0.0 { r / b_norm } else { r }))
}

impl SampleGenerator for PoissonSamples {
    fn problem(&self) -> &'static str {
        "poisson"
    }

    fn parameters(&self) -> serde_json::Value {
        serde_json::json!({
            "resolution": self.n,
            "forcing": format!("sum of {POISSON_MODES}x{POISSON_MODES} sine modes, N(0,1)/(p^2+q^2)"),
            "stencil": "5-point",
        })
    }

    fn input_shape(&self) -> Vec<usize> {
        vec![self.n, self.n]
    }

    fn solution_shape(&self) -> Vec<usize> {
        vec![self.n, self.n]
    }

    fn sample(&self, index: usize, seed: u64) -> Result<Sample> {
        let start = Instant::now();
        let xi = gaussian_vec(&mut seeded(seed), POISSON_MODES * POISSON_MODES);
        let f = grid_function_2d(self.n, |x, y| {
            let mut v = 0.0;
            for p in 1..=POISSON_MODES {
                for q in 1..=POISSON_MODES {
                    let c = xi[(p - 1) * POISSON_MODES + q - 1] / (p * p + q * q) as f64;
                    v += c * (p as f64 * PI * x).sin() * (q as f64 * PI * y).sin();
                }
            }
            v
        });
        let (u, rel_residual) = cholesky_solve(&self.analysis, &self.matrix, &f)?;
        Ok(Sample {
            stats: SampleStats {
                index,
                seed,
                solver: "sparse-cholesky".into(),
                time_s: start.elapsed().as_secs_f64(),
                iterations: 0,
                rel_residual,
            },
            system: Some(LinearSystem {
                matrix: self.matrix.clone(),
                rhs: f.clone(),
            }),
            input: f,
            solution: u,
        })
    }
}
