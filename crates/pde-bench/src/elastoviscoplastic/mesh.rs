//! The quarter plate with a central circular hole and its structured Q4 mesh.

use crate::Result;

/// The geometry and refinement of the quarter plate `[0, L]²` minus the disc of radius `a`
/// centred at the origin (lengths in mm).
///
/// The mesh is one logically rectangular block of `2m × m` Q4 cells: `2m` cells around the
/// quarter hole (angles `θ_i = (π/2) i/(2m)`) and `m` along each straight ray-like line that
/// joins the arc point at `θ_i` to a point of the outer boundary (the right edge `x = L` for
/// `i ≤ m`, the top edge `y = L` for `i ≥ m`, equally spaced along each edge, the corner
/// `(L, L)` at `i = m`). Cells are graded geometrically along these lines, the last over the
/// first cell length being `radial_grading`, so that the cells are small near the hole. There
/// are `(2m + 1)(m + 1)` nodes: `m = 10` gives 462 degrees of freedom, `m = 40` gives 6642 and
/// `m = 100` gives 40 602.
///
/// ```
/// use pde_bench::elastoviscoplastic::PlateWithHole;
/// let mesh = PlateWithHole::new(10.0, 2.0, 4).mesh()?;
/// assert_eq!(mesh.n_nodes(), 9 * 5);
/// assert_eq!(mesh.cells.len(), 8 * 4);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlateWithHole {
    /// Half-width `L` of the full plate (the quarter is `[0, L]²`), in mm.
    pub half_width: f64,
    /// Radius `a` of the hole (`0 < a < L`), in mm.
    pub hole_radius: f64,
    /// Refinement `m ≥ 1`: `2m` cells around the hole, `m` from the hole to the outer edge.
    pub refinement: usize,
    /// Ratio of the outermost to the innermost cell length along the radial lines (`≥ 1`;
    /// 1 is uniform).
    pub radial_grading: f64,
}

impl Default for PlateWithHole {
    /// `L = 10` mm, `a = 2` mm, `m = 10`, grading 4.
    fn default() -> Self {
        Self::new(10.0, 2.0, 10)
    }
}

/// A structured Q4 mesh of the quarter plate (see [`PlateWithHole`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PlateMesh {
    /// Node coordinates `[x, y]` in mm; node `(i, j)` (`i` around the hole, `j` outwards) is
    /// `i (m + 1) + j`.
    pub coordinates: Vec<[f64; 2]>,
    /// The four nodes of every cell, counterclockwise.
    pub cells: Vec<[usize; 4]>,
    /// The geometry the mesh was built from.
    pub plate: PlateWithHole,
}

impl PlateWithHole {
    /// A plate of half-width `half_width`, hole radius `hole_radius` and refinement
    /// `refinement`, with radial grading 4.
    pub fn new(half_width: f64, hole_radius: f64, refinement: usize) -> Self {
        Self {
            half_width,
            hole_radius,
            refinement,
            radial_grading: 4.0,
        }
    }

    /// The same plate with radial grading `grading`.
    pub fn with_grading(mut self, grading: f64) -> Self {
        self.radial_grading = grading;
        self
    }

    /// Checks the geometry.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming `half_width`, `hole_radius` (not in
    /// `(0, L)`), `refinement` (0) or `radial_grading` (below 1 or not finite).
    pub fn check(&self) -> Result<()> {
        crate::error::check_positive("half_width", self.half_width)?;
        crate::error::check_positive("hole_radius", self.hole_radius)?;
        if self.hole_radius >= self.half_width {
            return Err(linalg::Error::invalid_parameter_in(
                "hole_radius",
                self.hole_radius,
                format_args!("half-width {}", self.half_width),
                "must be smaller than the half-width",
            )
            .into());
        }
        if self.refinement == 0 {
            return Err(
                linalg::Error::invalid_parameter("refinement", 0, "must be at least 1").into(),
            );
        }
        if !(self.radial_grading.is_finite() && self.radial_grading >= 1.0) {
            return Err(linalg::Error::invalid_parameter(
                "radial_grading",
                self.radial_grading,
                "must be finite and at least 1",
            )
            .into());
        }
        Ok(())
    }

    /// Builds the mesh.
    ///
    /// # Errors
    /// Those of [`PlateWithHole::check`].
    pub fn mesh(&self) -> Result<PlateMesh> {
        self.check()?;
        let (m, l, a) = (self.refinement, self.half_width, self.hole_radius);
        let (nc, nr) = (2 * m, m);
        // Radial fractions s_j in [0, 1], geometric with ratio q between successive cells.
        let fractions: Vec<f64> = if m == 1 || self.radial_grading == 1.0 {
            (0..=nr).map(|j| j as f64 / nr as f64).collect()
        } else {
            let q = self.radial_grading.powf(1.0 / (nr as f64 - 1.0));
            let total = (q.powi(nr as i32) - 1.0) / (q - 1.0);
            (0..=nr)
                .map(|j| ((q.powi(j as i32) - 1.0) / (q - 1.0)) / total)
                .collect()
        };
        let mut coordinates = Vec::with_capacity((nc + 1) * (nr + 1));
        for i in 0..=nc {
            let theta = std::f64::consts::FRAC_PI_2 * i as f64 / nc as f64;
            // Exact zeros on the symmetry lines.
            let (cos, sin) = match i {
                0 => (1.0, 0.0),
                _ if i == nc => (0.0, 1.0),
                _ => (theta.cos(), theta.sin()),
            };
            let inner = [a * cos, a * sin];
            let outer = if i <= m {
                [l, l * i as f64 / m as f64]
            } else {
                [l * (nc - i) as f64 / m as f64, l]
            };
            for &s in &fractions {
                let mut p = [
                    inner[0] + s * (outer[0] - inner[0]),
                    inner[1] + s * (outer[1] - inner[1]),
                ];
                if i == nc {
                    p[0] = 0.0;
                }
                if i == 0 {
                    p[1] = 0.0;
                }
                coordinates.push(p);
            }
        }
        let node = |i: usize, j: usize| i * (nr + 1) + j;
        let mut cells = Vec::with_capacity(nc * nr);
        for i in 0..nc {
            for j in 0..nr {
                cells.push([
                    node(i, j),
                    node(i, j + 1),
                    node(i + 1, j + 1),
                    node(i + 1, j),
                ]);
            }
        }
        Ok(PlateMesh {
            coordinates,
            cells,
            plate: *self,
        })
    }
}

impl PlateMesh {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.coordinates.len()
    }

    fn sizes(&self) -> (usize, usize) {
        (2 * self.plate.refinement, self.plate.refinement)
    }

    /// Node `(i, j)`: `i` in `0..=2m` around the hole from `θ = 0`, `j` in `0..=m` outwards.
    pub fn node(&self, i: usize, j: usize) -> usize {
        i * (self.sizes().1 + 1) + j
    }

    /// Nodes on the symmetry line `x = 0` (where `u_x = 0`).
    pub fn nodes_on_x0(&self) -> Vec<usize> {
        let (nc, nr) = self.sizes();
        (0..=nr).map(|j| self.node(nc, j)).collect()
    }

    /// Nodes on the symmetry line `y = 0` (where `u_y = 0`).
    pub fn nodes_on_y0(&self) -> Vec<usize> {
        (0..=self.sizes().1).map(|j| self.node(0, j)).collect()
    }

    /// Nodes on the loaded top edge `y = L`, from the corner `(L, L)` to `(0, L)`.
    pub fn nodes_on_top(&self) -> Vec<usize> {
        let (nc, nr) = self.sizes();
        (self.plate.refinement..=nc)
            .map(|i| self.node(i, nr))
            .collect()
    }

    /// Nodes on the hole edge, from `(a, 0)` to `(0, a)`.
    pub fn nodes_on_hole(&self) -> Vec<usize> {
        (0..=self.sizes().0).map(|i| self.node(i, 0)).collect()
    }
}
