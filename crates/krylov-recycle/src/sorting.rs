//! Sorting a sequence of linear systems so that neighbours are similar: the "sorting" of
//! Sorting Krylov Recycling (SKR).
//!
//! A recycled Krylov solver carries a subspace from one system to the next; it pays most when
//! consecutive systems are close. SKR orders the systems by a greedy nearest-neighbour tour on
//! the distance between their parameter fields `a_i` (the coefficient that defines `A(a_i)`):
//! start from the first system, then repeatedly go to the nearest unvisited one. With `N`
//! fields of `d` values this costs `O(N² d)`, negligible for tens of systems but not for
//! thousands of fine fields, so two cheaper variants are provided:
//!
//! - [`Sorting::Fourier`]: the distance between the lowest `p x p` Fourier coefficients of the
//!   fields (by Parseval, the Frobenius distance of their low-pass parts): `O(N d p)` to compute
//!   the features, then `O(N² p²)`;
//! - grouping ([`sort_order_grouped`]): order all systems by their leading feature (the mean of
//!   the field, the `(0, 0)` mode), cut that order into groups of at most `G` systems and run the
//!   greedy tour inside each group, joined end to end: `O(N G p²)`.
//!
//! # References
//! H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu, "Accelerating Data Generation for
//! Neural Operators via Krylov Subspace Recycling", ICLR 2024, arXiv:2401.09516.
//!
//! # Example
//! ```
//! use krylov_recycle::{sort_order, Sorting};
//! use ndarray::Array2;
//!
//! // Four constant fields 0, 3, 1, 2: the greedy tour from the first visits them in value order.
//! let fields: Vec<Array2<f64>> = [0.0, 3.0, 1.0, 2.0].iter().map(|&v| Array2::from_elem((4, 4), v)).collect();
//! let views: Vec<_> = fields.iter().map(|f| f.view()).collect();
//! assert_eq!(sort_order(&views, Sorting::Greedy)?, vec![0, 2, 3, 1]);
//! assert_eq!(sort_order(&views, Sorting::Fourier { modes: 2 })?, vec![0, 2, 3, 1]);
//! assert_eq!(sort_order(&views, Sorting::None)?, vec![0, 1, 2, 3]);
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Result;

/// How to order a sequence of systems.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sorting {
    /// Keep the given order.
    #[default]
    None,
    /// Greedy nearest neighbour on the Frobenius distance of the fields.
    Greedy,
    /// Greedy nearest neighbour on the lowest `modes x modes` Fourier coefficients.
    Fourier {
        /// Modes kept per direction (8 is plenty for smooth random fields).
        modes: usize,
    },
}

impl fmt::Display for Sorting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sorting::None => f.write_str("none"),
            Sorting::Greedy => f.write_str("greedy"),
            Sorting::Fourier { modes } => write!(f, "fourier{modes}"),
        }
    }
}

impl FromStr for Sorting {
    type Err = String;
    /// `none`, `greedy`, `fourier` (8 modes) or `fourierP`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(Sorting::None),
            "greedy" => Ok(Sorting::Greedy),
            "fourier" => Ok(Sorting::Fourier { modes: 8 }),
            other => other
                .strip_prefix("fourier")
                .and_then(|p| p.parse().ok())
                .filter(|&modes: &usize| modes > 0)
                .map(|modes| Sorting::Fourier { modes })
                .ok_or_else(|| format!("unknown sorting `{other}` (none|greedy|fourier|fourierP)")),
        }
    }
}

/// The order in which to solve systems with parameter fields `fields` (all of one shape):
/// a permutation of `0..fields.len()` starting at 0.
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] for fields of different shapes,
/// [`linalg::Error::NonFinite`] for NaN in a field, [`linalg::Error::InvalidParameter`] for
/// `modes = 0`.
pub fn sort_order(fields: &[ArrayView2<'_, f64>], sorting: Sorting) -> Result<Vec<usize>> {
    sort_order_grouped(fields, sorting, usize::MAX)
}

/// [`sort_order`] with the greedy tour run inside groups of at most `group` systems, the groups
/// taken in the order of the fields' means (see the module docs).
///
/// # Errors
/// As [`sort_order`], and [`linalg::Error::InvalidParameter`] for `group = 0`.
pub fn sort_order_grouped(
    fields: &[ArrayView2<'_, f64>],
    sorting: Sorting,
    group: usize,
) -> Result<Vec<usize>> {
    if group == 0 {
        return Err(linalg::Error::InvalidParameter {
            name: "group",
            value: "0".into(),
            reason: "must be >= 1",
        }
        .into());
    }
    let Some(first) = fields.first() else {
        return Ok(Vec::new());
    };
    let shape = first.dim();
    for f in fields {
        if f.dim() != shape {
            return Err(linalg::Error::shape("parameter field", shape, f.dim()).into());
        }
        if let Some(((r, c), v)) = f.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(linalg::Error::NonFinite {
                what: "parameter field",
                row: r,
                col: c,
                value: *v,
            }
            .into());
        }
    }
    let features: Vec<Vec<f64>> = match sorting {
        Sorting::None => return Ok((0..fields.len()).collect()),
        Sorting::Greedy => fields
            .par_iter()
            .map(|f| f.iter().copied().collect())
            .collect(),
        Sorting::Fourier { modes } => {
            if modes == 0 {
                return Err(linalg::Error::InvalidParameter {
                    name: "modes",
                    value: "0".into(),
                    reason: "must be >= 1",
                }
                .into());
            }
            let basis = LowFourier::new(shape, modes);
            fields.par_iter().map(|f| basis.features(f)).collect()
        }
    };
    if group >= fields.len() {
        return Ok(greedy_tour(
            &features,
            &(0..fields.len()).collect::<Vec<_>>(),
        ));
    }
    // Groups along the fields' means; the first system stays first.
    let mean = |i: usize| fields[i].mean().unwrap_or(0.0);
    let mut by_mean: Vec<usize> = (1..fields.len()).collect();
    by_mean.sort_by(|&i, &j| mean(i).total_cmp(&mean(j)));
    by_mean.insert(0, 0);
    let mut order = Vec::with_capacity(fields.len());
    for chunk in by_mean.chunks(group) {
        order.extend(greedy_tour(&features, chunk));
    }
    Ok(order)
}

/// Greedy nearest-neighbour tour through `members` (indices into `features`) from the first.
fn greedy_tour(features: &[Vec<f64>], members: &[usize]) -> Vec<usize> {
    let mut left: Vec<usize> = members.to_vec();
    let mut order = Vec::with_capacity(left.len());
    let mut current = left.remove(0);
    order.push(current);
    while !left.is_empty() {
        let here = &features[current];
        let (pos, _) = left
            .par_iter()
            .enumerate()
            .map(|(p, &j)| {
                let d: f64 = here
                    .iter()
                    .zip(&features[j])
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                (p, d)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .unwrap_or((0, 0.0));
        current = left.remove(pos);
        order.push(current);
    }
    order
}

/// Cosine and sine tables of the lowest Fourier modes of an `r x c` grid.
struct LowFourier {
    rows: Vec<Vec<(f64, f64)>>,
    cols: Vec<Vec<(f64, f64)>>,
}

impl LowFourier {
    fn new((r, c): (usize, usize), modes: usize) -> Self {
        let table = |len: usize| -> Vec<Vec<(f64, f64)>> {
            (0..modes.min(len))
                .map(|k| {
                    (0..len)
                        .map(|t| {
                            let phase = 2.0 * PI * (k * t) as f64 / len as f64;
                            (phase.cos(), phase.sin())
                        })
                        .collect()
                })
                .collect()
        };
        Self {
            rows: table(r),
            cols: table(c),
        }
    }

    /// Real and imaginary parts of `F[k, l] = Σ_{j,i} f[j, i] e^{−2πi(kj/r + li/c)}` for the
    /// kept `k, l`, scaled by `1/sqrt(rc)` (so distances approximate Frobenius distances).
    fn features(&self, f: &ArrayView2<'_, f64>) -> Vec<f64> {
        let (r, c) = f.dim();
        // First along the columns: g[j][l] = Σ_i f[j, i] e^{−2πi li/c}.
        let g: Vec<Vec<(f64, f64)>> = (0..r)
            .map(|j| {
                let row = f.row(j);
                self.cols
                    .iter()
                    .map(|tab| {
                        row.iter()
                            .zip(tab)
                            .fold((0.0, 0.0), |(re, im), (v, (co, si))| {
                                (re + v * co, im - v * si)
                            })
                    })
                    .collect()
            })
            .collect();
        let scale = 1.0 / ((r * c) as f64).sqrt();
        let mut out = Vec::with_capacity(2 * self.rows.len() * self.cols.len());
        for tab in &self.rows {
            for l in 0..self.cols.len() {
                let (mut re, mut im) = (0.0, 0.0);
                for (j, (co, si)) in tab.iter().enumerate() {
                    let (gr, gi) = g[j][l];
                    // (gr + i gi)(co − i si)
                    re += gr * co + gi * si;
                    im += gi * co - gr * si;
                }
                out.push(re * scale);
                out.push(im * scale);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn fourier_features_keep_the_frobenius_distance_of_low_pass_fields() {
        // Fields that are sums of the kept modes: Parseval makes the feature distance equal to
        // the Frobenius distance exactly (a full 8x8 transform keeps every mode).
        let f = Array2::from_shape_fn((8, 8), |(j, i)| ((i * 3 + j * 5) % 7) as f64);
        let g = Array2::from_shape_fn((8, 8), |(j, i)| ((i + 2 * j) % 5) as f64);
        let basis = LowFourier::new((8, 8), 8);
        let (a, b) = (basis.features(&f.view()), basis.features(&g.view()));
        let feat: f64 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
        let frob: f64 = (&f - &g).iter().map(|v| v * v).sum();
        assert!((feat - frob).abs() < 1e-10 * frob, "{feat} vs {frob}");
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in ["none", "greedy", "fourier4"] {
            assert_eq!(
                s.parse::<Sorting>().map(|x| x.to_string()),
                Ok(s.to_string())
            );
        }
        assert!("fourier0".parse::<Sorting>().is_err());
        assert!("sorted".parse::<Sorting>().is_err());
    }

    #[test]
    fn grouping_keeps_a_permutation_and_starts_at_zero() {
        let fields: Vec<Array2<f64>> = (0..23)
            .map(|k| Array2::from_elem((3, 3), ((k * 7) % 23) as f64))
            .collect();
        let views: Vec<_> = fields.iter().map(|f| f.view()).collect();
        let mut order = sort_order_grouped(&views, Sorting::Greedy, 5).unwrap();
        assert_eq!(order[0], 0);
        order.sort_unstable();
        assert_eq!(order, (0..23).collect::<Vec<_>>());
    }
}
