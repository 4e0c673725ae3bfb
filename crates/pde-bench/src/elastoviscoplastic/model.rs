//! The finite-element model: assembly, Newton's method, runs, snapshots and the full-order step
//! of adaptive reduced models.

use std::sync::OnceLock;

use faer::Mat;
use faer::sparse::{SparseRowMat, SymbolicSparseRowMat};
use linalg::direct::{SparseCholesky, SparseLu};
use linalg::sparse::CsrMatrix;
use rayon::prelude::*;
use rom_core::adaptive::FullOrderStep;
use rom_core::behaviour::{Behaviour, BehaviourFailure};
use rom_core::snapshots::{MechanicalSnapshots, Mesh, StepLoad, StepRecord};

use super::law::{NCOMP, NSTATE, Norton, P_INDEX};
use super::mesh::{PlateMesh, PlateWithHole};
use crate::{Error, Result};

/// Integration points per cell (2 × 2 Gauss).
const POINTS_PER_CELL: usize = 4;
/// Degrees of freedom per cell.
const CELL_DOFS: usize = 8;
/// Cells below which assembly runs on one thread.
const PARALLEL_CELLS: usize = 256;
/// Marks a constrained position in the scatter map.
const NONE: usize = usize::MAX;

/// Options of the model: Newton's method and the temperature profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelOptions {
    /// Newton stops when `‖r‖ ≤ rtol · max(‖λ f₀‖, ‖f_int‖)` (default `1e-10`).
    pub rtol: f64,
    /// Newton iterations allowed per step (default 25).
    pub max_iterations: usize,
    /// Decay length `ℓ` in mm of the temperature profile `τ(r) = exp(−(r − a)/ℓ)` (default 2).
    pub temperature_decay_length: f64,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            rtol: 1e-10,
            max_iterations: 25,
            temperature_decay_length: 2.0,
        }
    }
}

impl ModelOptions {
    /// Checks the options.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming `rtol` (not finite and positive),
    /// `max_iterations` (0) or `temperature_decay_length` (not finite and positive).
    pub fn check(&self) -> Result<()> {
        crate::error::check_positive("rtol", self.rtol)?;
        if self.max_iterations == 0 {
            return Err(linalg::Error::invalid_parameter(
                "max_iterations",
                0,
                "must be at least 1",
            )
            .into());
        }
        crate::error::check_positive("temperature_decay_length", self.temperature_decay_length)
    }
}

/// The results of a run, step by step (see [`ElastoviscoplasticModel::run`]).
///
/// Fields (displacements, stresses, internal variables) are kept for every step, or only for the
/// last converged step with [`Trajectory::last_step_only`] (for large meshes); loads, iteration
/// counts and residual histories are kept for every step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trajectory {
    /// The load of every converged step.
    pub loads: Vec<StepLoad>,
    /// Displacements (`n_dof` each, zero on the symmetry planes).
    pub displacements: Vec<Vec<f64>>,
    /// Stresses at the integration points (`n_points · 4`, point-major, `[xx, yy, zz, xy]`).
    pub stresses: Vec<Vec<f64>>,
    /// Internal variables at the integration points (`n_points · 5`, point-major).
    pub states: Vec<Vec<f64>>,
    /// Newton iterations (linear solves) of every step.
    pub iterations: Vec<usize>,
    /// The relative residual before each Newton iteration and at convergence, per step.
    pub residuals: Vec<Vec<f64>>,
    last_only: bool,
}

impl Trajectory {
    /// An empty trajectory that keeps the fields of every step.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty trajectory that keeps the fields of the last converged step only.
    pub fn last_step_only() -> Self {
        Self {
            last_only: true,
            ..Self::default()
        }
    }

    /// Number of converged steps.
    pub fn len(&self) -> usize {
        self.iterations.len()
    }

    /// Whether no step converged.
    pub fn is_empty(&self) -> bool {
        self.iterations.is_empty()
    }

    /// The largest accumulated plastic strain `p` over the integration points at the last
    /// converged step (0 when empty).
    pub fn max_plastic_strain(&self) -> f64 {
        self.states.last().map_or(0.0, |z| {
            z.iter()
                .skip(P_INDEX)
                .step_by(NSTATE)
                .fold(0.0, |m: f64, &p| m.max(p))
        })
    }

    fn push(&mut self, load: StepLoad, u: &[f64], stress: &[f64], state: &[f64], stats: StepStats) {
        if self.last_only {
            self.displacements.clear();
            self.stresses.clear();
            self.states.clear();
        }
        self.loads.push(load);
        self.displacements.push(u.to_vec());
        self.stresses.push(stress.to_vec());
        self.states.push(state.to_vec());
        self.iterations.push(stats.iterations);
        self.residuals.push(stats.residuals);
    }
}

/// What one Newton solve of a step spent.
#[derive(Clone, Debug)]
struct StepStats {
    iterations: usize,
    residuals: Vec<f64>,
}

/// The outputs of one cell in the assembly loop: its index, internal variables, stresses, force
/// and matrix.
type CellSlots<'a> = (
    usize,
    (
        ((&'a mut [f64], &'a mut [f64]), &'a mut [f64; CELL_DOFS]),
        &'a mut [f64; CELL_DOFS * CELL_DOFS],
    ),
);

/// Buffers of one run, reused by every step.
struct Workspace {
    tangent: CsrMatrix,
    cell_matrices: Vec<[f64; CELL_DOFS * CELL_DOFS]>,
    cell_forces: Vec<[f64; CELL_DOFS]>,
    f_int: Vec<f64>,
    temperatures: Vec<f64>,
}

/// The plane-strain finite-element model of the quarter plate with a hole (see the
/// [module documentation](super)).
///
/// ```
/// use pde_bench::elastoviscoplastic::{
///     CyclicLoading, ElastoviscoplasticModel, ModelOptions, Norton, NortonParams, PlateWithHole,
///     Trajectory,
/// };
/// let law = Norton::new(NortonParams::default())?;
/// let model = ElastoviscoplasticModel::new(&PlateWithHole::new(10.0, 2.0, 4), law, ModelOptions::default())?;
/// let loads = CyclicLoading { cycles: 1, steps_per_cycle: 8, ..CyclicLoading::default() }.loads()?;
/// let mut run = Trajectory::new();
/// model.run(&loads, &mut run)?;
/// assert_eq!(run.len(), 8);
/// assert!(run.max_plastic_strain() > 0.0);
/// # Ok::<(), pde_bench::Error>(())
/// ```
pub struct ElastoviscoplasticModel {
    mesh: PlateMesh,
    law: Norton,
    options: ModelOptions,
    n_dof: usize,
    cell_dofs: Vec<[usize; CELL_DOFS]>,
    /// Per point: `[∂N₀/∂x, ∂N₀/∂y, …, ∂N₃/∂y]`.
    gradients: Vec<[f64; CELL_DOFS]>,
    weights: Vec<f64>,
    point_coordinates: Vec<[f64; 2]>,
    temperature_profile: Vec<f64>,
    external_force: Vec<f64>,
    free: Vec<usize>,
    /// Per cell, the position in the tangent's values of each of its 64 entries (`NONE` where a
    /// row or column is constrained).
    scatter: Vec<[usize; CELL_DOFS * CELL_DOFS]>,
    pattern: SymbolicSparseRowMat<usize>,
    cholesky: SparseCholesky,
    lu: OnceLock<SparseLu>,
}

impl std::fmt::Debug for ElastoviscoplasticModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElastoviscoplasticModel")
            .field("plate", &self.mesh.plate)
            .field("law", &self.law)
            .field("options", &self.options)
            .field("n_dof", &self.n_dof)
            .field("n_points", &self.weights.len())
            .finish()
    }
}

/// Shape functions of the unit square `[−1, 1]²` for the counterclockwise nodes
/// `(−1, −1), (1, −1), (1, 1), (−1, 1)` and their derivatives.
fn shape(xi: f64, eta: f64) -> ([f64; 4], [f64; 4], [f64; 4]) {
    let sx = [-1.0, 1.0, 1.0, -1.0];
    let sy = [-1.0, -1.0, 1.0, 1.0];
    let mut n = [0.0; 4];
    let mut dxi = [0.0; 4];
    let mut deta = [0.0; 4];
    for a in 0..4 {
        n[a] = 0.25 * (1.0 + sx[a] * xi) * (1.0 + sy[a] * eta);
        dxi[a] = 0.25 * sx[a] * (1.0 + sy[a] * eta);
        deta[a] = 0.25 * sy[a] * (1.0 + sx[a] * xi);
    }
    (n, dxi, deta)
}

/// The 2 × 2 Gauss points, in the order of the cell's nodes.
fn gauss_points() -> [[f64; 2]; 4] {
    let g = 1.0 / 3.0_f64.sqrt();
    [[-g, -g], [g, -g], [g, g], [-g, g]]
}

impl ElastoviscoplasticModel {
    /// Builds the mesh of `plate`, the strain operator and quadrature weights, the load vector
    /// `f₀`, the temperature profile and the sparsity pattern of the tangent (analysed once for
    /// the sparse Cholesky factorisation).
    ///
    /// # Errors
    /// Those of [`PlateWithHole::check`] and [`ModelOptions::check`];
    /// [`linalg::Error::InvalidParameter`] naming `plate` if a cell is inverted.
    pub fn new(plate: &PlateWithHole, law: Norton, options: ModelOptions) -> Result<Self> {
        options.check()?;
        let mesh = plate.mesh()?;
        let n_dof = 2 * mesh.n_nodes();
        let n_cells = mesh.cells.len();
        let mut gradients = Vec::with_capacity(n_cells * POINTS_PER_CELL);
        let mut weights = Vec::with_capacity(n_cells * POINTS_PER_CELL);
        let mut point_coordinates = Vec::with_capacity(n_cells * POINTS_PER_CELL);
        let mut cell_dofs = Vec::with_capacity(n_cells);
        for (c, cell) in mesh.cells.iter().enumerate() {
            let xy: Vec<[f64; 2]> = cell.iter().map(|&k| mesh.coordinates[k]).collect();
            let mut dofs = [0; CELL_DOFS];
            for a in 0..4 {
                dofs[2 * a] = 2 * cell[a];
                dofs[2 * a + 1] = 2 * cell[a] + 1;
            }
            cell_dofs.push(dofs);
            for [xi, eta] in gauss_points() {
                let (n, dxi, deta) = shape(xi, eta);
                let (mut j11, mut j12, mut j21, mut j22) = (0.0, 0.0, 0.0, 0.0);
                let (mut x, mut y) = (0.0, 0.0);
                for a in 0..4 {
                    j11 += dxi[a] * xy[a][0];
                    j12 += dxi[a] * xy[a][1];
                    j21 += deta[a] * xy[a][0];
                    j22 += deta[a] * xy[a][1];
                    x += n[a] * xy[a][0];
                    y += n[a] * xy[a][1];
                }
                let det = j11 * j22 - j12 * j21;
                if !(det.is_finite() && det > 0.0) {
                    return Err(linalg::Error::invalid_parameter_in(
                        "plate",
                        det,
                        format_args!("cell {c}"),
                        "the mesh has an inverted cell (Jacobian determinant not positive)",
                    )
                    .into());
                }
                let mut g = [0.0; CELL_DOFS];
                for a in 0..4 {
                    g[2 * a] = (j22 * dxi[a] - j12 * deta[a]) / det;
                    g[2 * a + 1] = (-j21 * dxi[a] + j11 * deta[a]) / det;
                }
                gradients.push(g);
                weights.push(det);
                point_coordinates.push([x, y]);
            }
        }
        let a = plate.hole_radius;
        let ell = options.temperature_decay_length;
        let temperature_profile = point_coordinates
            .iter()
            .map(|p| (-((p[0].hypot(p[1]) - a).max(0.0)) / ell).exp())
            .collect();
        // Consistent nodal forces of a unit traction in y on the top edge.
        let mut external_force = vec![0.0; n_dof];
        let top = mesh.nodes_on_top();
        for w in top.windows(2) {
            let (p, q) = (mesh.coordinates[w[0]], mesh.coordinates[w[1]]);
            let half = 0.5 * (p[0] - q[0]).hypot(p[1] - q[1]);
            external_force[2 * w[0] + 1] += half;
            external_force[2 * w[1] + 1] += half;
        }
        let mut constrained = vec![false; n_dof];
        for k in mesh.nodes_on_x0() {
            constrained[2 * k] = true;
        }
        for k in mesh.nodes_on_y0() {
            constrained[2 * k + 1] = true;
        }
        for (i, f) in external_force.iter_mut().enumerate() {
            if constrained[i] {
                *f = 0.0;
            }
        }
        let mut free_index = vec![NONE; n_dof];
        let mut free = Vec::new();
        for i in 0..n_dof {
            if !constrained[i] {
                free_index[i] = free.len();
                free.push(i);
            }
        }
        // Sparsity pattern on the free DOFs from the cell connectivity.
        let n_free = free.len();
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n_free];
        for dofs in &cell_dofs {
            for &r in dofs {
                if free_index[r] == NONE {
                    continue;
                }
                for &c in dofs {
                    if free_index[c] != NONE {
                        rows[free_index[r]].push(free_index[c]);
                    }
                }
            }
        }
        let mut row_ptr = Vec::with_capacity(n_free + 1);
        let mut col_idx = Vec::new();
        row_ptr.push(0);
        for row in &mut rows {
            row.sort_unstable();
            row.dedup();
            col_idx.extend_from_slice(row);
            row_ptr.push(col_idx.len());
        }
        let nnz = col_idx.len();
        let mut scatter = Vec::with_capacity(n_cells);
        for dofs in &cell_dofs {
            let mut map = [NONE; CELL_DOFS * CELL_DOFS];
            for (a, &r) in dofs.iter().enumerate() {
                let fr = free_index[r];
                if fr == NONE {
                    continue;
                }
                let row = &col_idx[row_ptr[fr]..row_ptr[fr + 1]];
                for (b, &c) in dofs.iter().enumerate() {
                    let fc = free_index[c];
                    if fc != NONE {
                        // The column is in the row by construction.
                        map[CELL_DOFS * a + b] = row_ptr[fr] + row.partition_point(|&x| x < fc);
                    }
                }
            }
            scatter.push(map);
        }
        let pattern = SymbolicSparseRowMat::new_checked(n_free, n_free, row_ptr, None, col_idx);
        let cholesky =
            SparseCholesky::analyze(&SparseRowMat::new(pattern.clone(), vec![0.0; nnz]))?;
        Ok(Self {
            mesh,
            law,
            options,
            n_dof,
            cell_dofs,
            gradients,
            weights,
            point_coordinates,
            temperature_profile,
            external_force,
            free,
            scatter,
            pattern,
            cholesky,
            lu: OnceLock::new(),
        })
    }

    /// Number of displacement degrees of freedom (2 per node, constrained ones included).
    pub fn n_dof(&self) -> usize {
        self.n_dof
    }

    /// Number of integration points (4 per cell; point `g` belongs to cell `g / 4`).
    pub fn n_points(&self) -> usize {
        self.weights.len()
    }

    /// The mesh.
    pub fn mesh(&self) -> &PlateMesh {
        &self.mesh
    }

    /// The material law.
    pub fn law(&self) -> &Norton {
        &self.law
    }

    /// The options.
    pub fn options(&self) -> &ModelOptions {
        &self.options
    }

    /// The unconstrained degrees of freedom, increasing.
    pub fn free_dofs(&self) -> &[usize] {
        &self.free
    }

    /// Quadrature weight × Jacobian determinant of every point (unit thickness), in mm².
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Coordinates of the integration points.
    pub fn point_coordinates(&self) -> &[[f64; 2]] {
        &self.point_coordinates
    }

    /// The external force `f₀` of a unit traction on the top edge (zero on constrained DOFs).
    pub fn external_force(&self) -> &[f64] {
        &self.external_force
    }

    /// The temperature profile `τ` at the points: the temperature is `T_ref + θ τ`.
    pub fn temperature_profile(&self) -> &[f64] {
        &self.temperature_profile
    }

    /// The reference temperature `T_ref` (the law's).
    pub fn reference_temperature(&self) -> f64 {
        self.law.params().reference_temperature
    }

    /// The strain operator `B`, `(n_points · 4) × n_dof`: rows `4g … 4g + 3` give the strain
    /// `[ε_xx, ε_yy, ε_zz = 0, γ_xy]` at point `g` (the `zz` row is empty). It is exactly the
    /// operator the assembly uses: `f_int = Bᵀ W σ`.
    ///
    /// # Errors
    /// [`linalg::Error`] if the matrix cannot be allocated.
    pub fn strain_operator(&self) -> Result<CsrMatrix> {
        let mut triplets = Vec::with_capacity(self.n_points() * 16);
        for (g, grad) in self.gradients.iter().enumerate() {
            let dofs = &self.cell_dofs[g / POINTS_PER_CELL];
            for a in 0..4 {
                let (dx, dy) = (grad[2 * a], grad[2 * a + 1]);
                let (ux, uy) = (dofs[2 * a], dofs[2 * a + 1]);
                triplets.push((NCOMP * g, ux, dx));
                triplets.push((NCOMP * g + 1, uy, dy));
                triplets.push((NCOMP * g + 3, ux, dy));
                triplets.push((NCOMP * g + 3, uy, dx));
            }
        }
        Ok(linalg::sparse::csr_from_triplets(
            NCOMP * self.n_points(),
            self.n_dof,
            &triplets,
        )?)
    }

    /// The internal force `f_int = Bᵀ W σ` (`n_dof`, reactions included on constrained DOFs) of
    /// the point stresses `stress` (`n_points · 4`).
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `stress` has the wrong length.
    pub fn internal_force(&self, stress: &[f64]) -> Result<Vec<f64>> {
        self.check_len("stress", stress.len(), NCOMP * self.n_points())?;
        let mut f = vec![0.0; self.n_dof];
        for (g, grad) in self.gradients.iter().enumerate() {
            let dofs = &self.cell_dofs[g / POINTS_PER_CELL];
            let s = &stress[NCOMP * g..NCOMP * g + NCOMP];
            let w = self.weights[g];
            for a in 0..4 {
                let (dx, dy) = (grad[2 * a], grad[2 * a + 1]);
                f[dofs[2 * a]] += w * (dx * s[0] + dy * s[3]);
                f[dofs[2 * a + 1]] += w * (dy * s[1] + dx * s[3]);
            }
        }
        Ok(f)
    }

    /// Point values (`n_points · k`, point-major, for example stresses with `k = 4`)
    /// extrapolated to the nodes of each cell through the bilinear field of its four Gauss
    /// points, and averaged over the cells that share a node: `n_nodes · k` values.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `values` is not a multiple of the point count.
    pub fn nodal_values(&self, values: &[f64]) -> Result<Vec<f64>> {
        let np = self.n_points();
        if np == 0 || !values.len().is_multiple_of(np) || values.is_empty() {
            return Err(linalg::Error::shape("point values", (np, 1), (values.len(), 1)).into());
        }
        let k = values.len() / np;
        let n_nodes = self.mesh.n_nodes();
        let mut sum = vec![0.0; n_nodes * k];
        let mut count = vec![0usize; n_nodes];
        let s3 = 3.0_f64.sqrt();
        let corners = [[-s3, -s3], [s3, -s3], [s3, s3], [-s3, s3]];
        for (c, cell) in self.mesh.cells.iter().enumerate() {
            for (a, &node) in cell.iter().enumerate() {
                let (n, _, _) = shape(corners[a][0], corners[a][1]);
                for q in 0..POINTS_PER_CELL {
                    let g = POINTS_PER_CELL * c + q;
                    for i in 0..k {
                        sum[node * k + i] += n[q] * values[g * k + i];
                    }
                }
                count[node] += 1;
            }
        }
        for (node, &m) in count.iter().enumerate() {
            for i in 0..k {
                sum[node * k + i] /= m.max(1) as f64;
            }
        }
        Ok(sum)
    }

    fn check_len(&self, what: &'static str, found: usize, expected: usize) -> Result<()> {
        if found == expected {
            Ok(())
        } else {
            Err(linalg::Error::shape(what, (expected, 1), (found, 1)).into())
        }
    }

    fn workspace(&self) -> Workspace {
        let n_cells = self.cell_dofs.len();
        Workspace {
            tangent: SparseRowMat::new(
                self.pattern.clone(),
                vec![0.0; self.pattern.col_idx().len()],
            ),
            cell_matrices: vec![[0.0; CELL_DOFS * CELL_DOFS]; n_cells],
            cell_forces: vec![[0.0; CELL_DOFS]; n_cells],
            f_int: vec![0.0; self.n_dof],
            temperatures: vec![0.0; self.n_points()],
        }
    }

    /// Integrates the law at the four points of cell `c` and forms its internal force and
    /// tangent stiffness.
    fn cell(
        &self,
        c: usize,
        u: &[f64],
        temperatures: &[f64],
        dt: f64,
        state_old: &[f64],
        state: &mut [f64],
        stress: &mut [f64],
        force: &mut [f64; CELL_DOFS],
        matrix: &mut [f64; CELL_DOFS * CELL_DOFS],
    ) -> std::result::Result<(), (usize, BehaviourFailure)> {
        let dofs = &self.cell_dofs[c];
        let mut ue = [0.0; CELL_DOFS];
        for a in 0..CELL_DOFS {
            ue[a] = u[dofs[a]];
        }
        force.fill(0.0);
        matrix.fill(0.0);
        let mut tangent = [0.0; NCOMP * NCOMP];
        for q in 0..POINTS_PER_CELL {
            let g = POINTS_PER_CELL * c + q;
            let grad = &self.gradients[g];
            let mut eps = [0.0; NCOMP];
            for a in 0..4 {
                let (dx, dy) = (grad[2 * a], grad[2 * a + 1]);
                eps[0] += dx * ue[2 * a];
                eps[1] += dy * ue[2 * a + 1];
                eps[3] += dy * ue[2 * a] + dx * ue[2 * a + 1];
            }
            let (zs, ss) = (NSTATE * q, NCOMP * q);
            self.law
                .integrate(
                    &eps,
                    temperatures[g],
                    dt,
                    &state_old[zs..zs + NSTATE],
                    &mut state[zs..zs + NSTATE],
                    &mut stress[ss..ss + NCOMP],
                    &mut tangent,
                )
                .map_err(|e| (g, e))?;
            let s = &stress[ss..ss + NCOMP];
            let w = self.weights[g];
            // B (rows xx, yy, xy; the zz row is zero) as 3 × 8.
            let mut b = [[0.0; CELL_DOFS]; 3];
            for a in 0..4 {
                let (dx, dy) = (grad[2 * a], grad[2 * a + 1]);
                b[0][2 * a] = dx;
                b[1][2 * a + 1] = dy;
                b[2][2 * a] = dy;
                b[2][2 * a + 1] = dx;
                force[2 * a] += w * (dx * s[0] + dy * s[3]);
                force[2 * a + 1] += w * (dy * s[1] + dx * s[3]);
            }
            let rows = [0, 1, 3];
            // D restricted to xx, yy, xy, times B: 3 × 8.
            let mut db = [[0.0; CELL_DOFS]; 3];
            for (i, &ri) in rows.iter().enumerate() {
                for (k, &rk) in rows.iter().enumerate() {
                    let d = w * tangent[NCOMP * ri + rk];
                    if d != 0.0 {
                        for j in 0..CELL_DOFS {
                            db[i][j] += d * b[k][j];
                        }
                    }
                }
            }
            for i in 0..CELL_DOFS {
                for j in 0..CELL_DOFS {
                    matrix[CELL_DOFS * i + j] +=
                        b[0][i] * db[0][j] + b[1][i] * db[1][j] + b[2][i] * db[2][j];
                }
            }
        }
        Ok(())
    }

    /// Evaluates stresses, states, the internal force (all DOFs) and the tangent (free DOFs) at
    /// the displacement `u`.
    fn evaluate(
        &self,
        step: usize,
        u: &[f64],
        dt: f64,
        state_old: &[f64],
        state: &mut [f64],
        stress: &mut [f64],
        ws: &mut Workspace,
    ) -> Result<()> {
        let n_cells = self.cell_dofs.len();
        let temps = &ws.temperatures;
        let run = |(c, (((z, s), f), m)): CellSlots<'_>| {
            let zo = &state_old[c * NSTATE * POINTS_PER_CELL..(c + 1) * NSTATE * POINTS_PER_CELL];
            self.cell(c, u, temps, dt, zo, z, s, f, m)
        };
        let zl = NSTATE * POINTS_PER_CELL;
        let sl = NCOMP * POINTS_PER_CELL;
        let result = if n_cells >= PARALLEL_CELLS && linalg::num_threads() > 1 {
            state
                .par_chunks_mut(zl)
                .zip(stress.par_chunks_mut(sl))
                .zip(ws.cell_forces.par_iter_mut())
                .zip(ws.cell_matrices.par_iter_mut())
                .enumerate()
                .try_for_each(run)
        } else {
            state
                .chunks_mut(zl)
                .zip(stress.chunks_mut(sl))
                .zip(ws.cell_forces.iter_mut())
                .zip(ws.cell_matrices.iter_mut())
                .enumerate()
                .try_for_each(run)
        };
        result.map_err(|(point, failure)| Error::Behaviour {
            step,
            point,
            reason: failure.reason,
        })?;
        ws.f_int.fill(0.0);
        let values = ws.tangent.val_mut();
        values.fill(0.0);
        for c in 0..n_cells {
            let dofs = &self.cell_dofs[c];
            for (a, &d) in dofs.iter().enumerate() {
                ws.f_int[d] += ws.cell_forces[c][a];
            }
            for (pos, v) in self.scatter[c].iter().zip(ws.cell_matrices[c].iter()) {
                if *pos != NONE {
                    values[*pos] += v;
                }
            }
        }
        Ok(())
    }

    fn solve_tangent(&self, tangent: &CsrMatrix, rhs: &[f64]) -> Result<Vec<f64>> {
        match self.cholesky.factorize(tangent) {
            Ok(factor) => Ok(factor.solve(rhs)?),
            Err(linalg::Error::NotPositiveDefinite { .. }) => {
                let lu = match self.lu.get() {
                    Some(lu) => lu,
                    None => {
                        let lu = SparseLu::analyze(tangent)?;
                        self.lu.get_or_init(|| lu)
                    }
                };
                Ok(lu.factorize(tangent)?.solve(rhs)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Newton's method for one step from `(u_old, state_old)`; writes `u`, `state`, `stress`.
    fn newton(
        &self,
        step: usize,
        load: &StepLoad,
        u_old: &[f64],
        state_old: &[f64],
        u: &mut [f64],
        state: &mut [f64],
        stress: &mut [f64],
        ws: &mut Workspace,
    ) -> Result<StepStats> {
        let valid = load.dt.is_finite()
            && load.dt > 0.0
            && load.traction.is_finite()
            && load.temperature.is_finite();
        if !valid {
            return Err(linalg::Error::invalid_parameter_in(
                "loads",
                format!("{load:?}"),
                format_args!("step {step}"),
                "loads must be finite and step lengths positive",
            )
            .into());
        }
        let t_ref = self.reference_temperature();
        for (t, tau) in ws.temperatures.iter_mut().zip(&self.temperature_profile) {
            *t = t_ref + load.temperature * tau;
        }
        u.copy_from_slice(u_old);
        let lambda = load.traction;
        let f_ext_norm = lambda.abs() * linalg::blas1::nrm2(&self.external_force);
        let mut residuals = Vec::new();
        let mut r = vec![0.0; self.free.len()];
        let mut iteration = 0;
        loop {
            self.evaluate(step, u, load.dt, state_old, state, stress, ws)?;
            for (ri, &d) in r.iter_mut().zip(&self.free) {
                *ri = ws.f_int[d] - lambda * self.external_force[d];
            }
            let scale = f_ext_norm
                .max(linalg::blas1::nrm2(&ws.f_int))
                .max(f64::MIN_POSITIVE);
            let rel = linalg::blas1::nrm2(&r) / scale;
            residuals.push(rel);
            if rel <= self.options.rtol {
                return Ok(StepStats {
                    iterations: iteration,
                    residuals,
                });
            }
            if iteration == self.options.max_iterations || !rel.is_finite() {
                return Err(Error::NewtonNotConverged {
                    step,
                    iterations: iteration,
                    residual: rel,
                });
            }
            let du = self.solve_tangent(&ws.tangent, &r)?;
            for (&d, v) in self.free.iter().zip(&du) {
                u[d] -= v;
            }
            iteration += 1;
        }
    }

    /// Runs the load history `loads` from the virgin state (zero displacement, internal
    /// variables of [`Behaviour::initial_state`]), appending every converged step to `out`.
    ///
    /// Each step starts Newton's method from the previous displacement.
    ///
    /// # Errors
    /// [`Error::NewtonNotConverged`] naming the step, its iterations and relative residual, or
    /// [`Error::Behaviour`] naming the step and point, or a linear-solver error; `out` then holds
    /// every step before the failed one. [`linalg::Error::InvalidParameter`] for a load with a
    /// non-positive step length or non-finite values.
    pub fn run(&self, loads: &[StepLoad], out: &mut Trajectory) -> Result<()> {
        let mut ws = self.workspace();
        let mut u_old = vec![0.0; self.n_dof];
        let mut state_old = self.initial_state();
        let mut u = vec![0.0; self.n_dof];
        let mut state = vec![0.0; self.n_points() * NSTATE];
        let mut stress = vec![0.0; self.n_points() * NCOMP];
        for (step, load) in loads.iter().enumerate() {
            let stats = self.newton(
                step,
                load,
                &u_old,
                &state_old,
                &mut u,
                &mut state,
                &mut stress,
                &mut ws,
            )?;
            out.push(*load, &u, &stress, &state, stats);
            std::mem::swap(&mut u, &mut u_old);
            std::mem::swap(&mut state, &mut state_old);
        }
        Ok(())
    }

    /// The internal variables of the virgin material at every point.
    pub fn initial_state(&self) -> Vec<f64> {
        let mut state = vec![0.0; self.n_points() * NSTATE];
        for z in state.chunks_mut(NSTATE) {
            self.law.initial_state(z);
        }
        state
    }

    /// Runs every load case from the virgin state and gathers the snapshots with the operators
    /// a hyper-reduced model needs (strain operator, weights, `f₀`, `τ`, `T_ref`, the mesh).
    ///
    /// # Errors
    /// Those of [`ElastoviscoplasticModel::run`] (the step is counted within its case);
    /// [`linalg::Error::Empty`] if there is no step at all.
    pub fn snapshots<C: AsRef<[StepLoad]>>(&self, cases: &[C]) -> Result<MechanicalSnapshots> {
        let mut runs = Vec::with_capacity(cases.len());
        for case in cases {
            let mut run = Trajectory::new();
            self.run(case.as_ref(), &mut run)?;
            runs.push(run);
        }
        let n: usize = runs.iter().map(Trajectory::len).sum();
        if n == 0 {
            return Err(linalg::Error::Empty { what: "load cases" }.into());
        }
        let (np, nd) = (self.n_points(), self.n_dof);
        let mut displacement = Mat::zeros(nd, n);
        let mut stress = Mat::zeros(np * NCOMP, n);
        let mut state = Mat::zeros(np * NSTATE, n);
        let mut steps = Vec::with_capacity(n);
        let mut j = 0;
        for (case, run) in runs.iter().enumerate() {
            for k in 0..run.len() {
                for (i, v) in run.displacements[k].iter().enumerate() {
                    displacement[(i, j)] = *v;
                }
                for (i, v) in run.stresses[k].iter().enumerate() {
                    stress[(i, j)] = *v;
                }
                for (i, v) in run.states[k].iter().enumerate() {
                    state[(i, j)] = *v;
                }
                steps.push(StepRecord {
                    case,
                    step: k,
                    load: run.loads[k],
                });
                j += 1;
            }
        }
        Ok(MechanicalSnapshots {
            displacement,
            stress: Some(stress),
            state: Some(state),
            strain_operator: self.strain_operator()?,
            weights: self.weights.clone(),
            external_force: self.external_force.clone(),
            temperature_profile: self.temperature_profile.clone(),
            reference_temperature: self.reference_temperature(),
            ncomp: NCOMP,
            nstate: NSTATE,
            behaviour: self.law.name(),
            steps,
            mesh: Some(Mesh {
                dim: 2,
                coordinates: self.mesh.coordinates.iter().flatten().copied().collect(),
                cell_type: "quad4".into(),
                cells: self.mesh.cells.iter().map(|c| c.to_vec()).collect(),
            }),
        })
    }
}

impl FullOrderStep for ElastoviscoplasticModel {
    /// One Newton solve of the step `load` from `(u_old, state_old)`.
    ///
    /// Errors of the model (non-convergence, a failing law, a linear-solver failure, a bad
    /// load) come as [`rom_core::Error::FullOrder`] boxing the [`crate::Error`] (with step 0);
    /// wrong slice lengths as [`rom_core::Error::Linalg`].
    fn step(
        &self,
        load: &StepLoad,
        u_old: &[f64],
        state_old: &[f64],
        u: &mut [f64],
        state: &mut [f64],
        stress: &mut [f64],
    ) -> rom_core::Result<usize> {
        let (nd, np) = (self.n_dof, self.n_points());
        for (what, found, expected) in [
            ("displacement at the start of the step", u_old.len(), nd),
            ("displacement", u.len(), nd),
            (
                "internal variables at the start of the step",
                state_old.len(),
                np * NSTATE,
            ),
            ("internal variables", state.len(), np * NSTATE),
            ("stress", stress.len(), np * NCOMP),
        ] {
            if found != expected {
                return Err(linalg::Error::shape(what, (expected, 1), (found, 1)).into());
            }
        }
        let mut ws = self.workspace();
        self.newton(0, load, u_old, state_old, u, state, stress, &mut ws)
            .map(|stats| stats.iterations)
            .map_err(|e| rom_core::Error::FullOrder(Box::new(e)))
    }
}
