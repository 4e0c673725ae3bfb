//! The recycle space `U_k`: `k` vectors carried from one solve of a sequence to the next.
//!
//! A recycling solver ([`crate::Gcrodr`], [`crate::RecycledCg`]) takes an
//! `&mut Option<RecycleSpace>`: it uses the space it finds there (after re-orthogonalising it
//! against the *current* operator, `C = A M U`), and leaves there the space it built during the
//! solve, for the next system. The space is a plain value: the caller keeps it, inspects it,
//! drops it (see [`crate::RecyclePolicy`]), or saves it to a JSON file and loads it in another
//! process.
//!
//! The basis `U` lives in the variable the solver iterates on: for right-preconditioned
//! GCRO-DR that is the preconditioned variable `y` (`x = M y`), so a space is meant to be reused
//! with the same kind of preconditioner.
//!
//! # Example
//! ```
//! use krylov_recycle::RecycleSpace;
//!
//! let space = RecycleSpace::new(faer::Mat::<f64>::identity(5, 2))?;
//! assert_eq!((space.n(), space.dim()), (5, 2));
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("space.json");
//! space.save(&path)?;
//! assert_eq!(RecycleSpace::load(&path)?.basis(), space.basis());
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use std::io::{BufReader, Write};
use std::path::Path;

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::Result;

/// A recycle space: the basis `U` (`n x k`), and, when a solver produced it, the image
/// `C = A M U` under the operator of that solve (orthonormal for GCRO-DR).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecycleSpace {
    #[serde(with = "linalg::serde_mat")]
    u: Mat<f64>,
    #[serde(default, with = "opt_mat")]
    c: Option<Mat<f64>>,
}

mod opt_mat {
    use faer::Mat;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Wrap(#[serde(with = "linalg::serde_mat")] Mat<f64>);

    pub fn serialize<S: Serializer>(m: &Option<Mat<f64>>, s: S) -> Result<S::Ok, S::Error> {
        m.as_ref().map(|m| Wrap(m.clone())).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Mat<f64>>, D::Error> {
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

impl RecycleSpace {
    /// A space with basis `u` (`n x k`, `k ≥ 1`, any full-rank basis: the solver
    /// re-orthogonalises it).
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for no rows or no columns; [`linalg::Error::NonFinite`];
    /// [`linalg::Error::RankTooLarge`] if `k > n`.
    pub fn new(u: Mat<f64>) -> Result<Self> {
        Self::check_basis(u.as_ref())?;
        Ok(Self { u, c: None })
    }

    /// A space with its image `c` under the operator that produced it.
    pub(crate) fn with_image(u: Mat<f64>, c: Mat<f64>) -> Self {
        Self { u, c: Some(c) }
    }

    fn check_basis(u: MatRef<'_, f64>) -> Result<()> {
        if u.nrows() == 0 || u.ncols() == 0 {
            return Err(linalg::Error::Empty {
                what: "recycle space basis",
            }
            .into());
        }
        if u.ncols() > u.nrows() {
            return Err(linalg::Error::RankTooLarge {
                what: "recycle space basis",
                rank: u.ncols(),
                max: u.nrows(),
            }
            .into());
        }
        for j in 0..u.ncols() {
            for i in 0..u.nrows() {
                let v = u[(i, j)];
                if !v.is_finite() {
                    return Err(linalg::Error::NonFinite {
                        what: "recycle space basis",
                        row: i,
                        col: j,
                        value: v,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Length `n` of the vectors.
    pub fn n(&self) -> usize {
        self.u.nrows()
    }

    /// Dimension `k` of the space (number of basis vectors).
    pub fn dim(&self) -> usize {
        self.u.ncols()
    }

    /// The basis `U` (`n x k`).
    pub fn basis(&self) -> MatRef<'_, f64> {
        self.u.as_ref()
    }

    /// `C = A M U` for the operator and preconditioner of the solve that produced the space
    /// (GCRO-DR: orthonormal columns), or `None` for a space built by [`RecycleSpace::new`] or
    /// by recycled CG. A solver never trusts it for a new system: it recomputes it.
    pub fn image(&self) -> Option<MatRef<'_, f64>> {
        self.c.as_ref().map(|c| c.as_ref())
    }

    /// Errors unless the space has vectors of length `n`.
    pub(crate) fn check_n(&self, n: usize) -> Result<()> {
        if self.n() != n {
            return Err(linalg::Error::shape(
                "recycle space",
                (n, self.dim()),
                (self.n(), self.dim()),
            )
            .into());
        }
        Ok(())
    }

    /// Writes the space as JSON, atomically (a temporary file renamed over `path`).
    ///
    /// # Errors
    /// [`linalg::Error::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        linalg::io::write_atomic(path, |w| {
            serde_json::to_writer(&mut *w, self).map_err(std::io::Error::other)?;
            w.flush()
        })?;
        Ok(())
    }

    /// Reads a space written by [`RecycleSpace::save`].
    ///
    /// # Errors
    /// [`linalg::Error::Io`] if the file cannot be read or is not a valid space (bad JSON, a
    /// shape that does not match its data, non-finite entries, an image of the wrong shape).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = linalg::io::open(path)?;
        let bad = |e: String| {
            linalg::Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        };
        let space: Self =
            serde_json::from_reader(BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
        Self::check_basis(space.u.as_ref()).map_err(|e| bad(e.to_string()))?;
        if let Some(c) = &space.c
            && (c.nrows(), c.ncols()) != (space.n(), space.dim())
        {
            return Err(bad("recycle space image has the wrong shape".into()).into());
        }
        Ok(space)
    }
}
