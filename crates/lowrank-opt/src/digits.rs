//! The handwritten-digits data set (UCI, as shipped by scikit-learn: 1797 images of 8 × 8
//! pixels, labels 0–9), embedded in the library, with the test bed's protocol: test set = rows
//! with index % 5 == 0 (360 rows), training set = the other 1437, features standardised with the
//! training set's per-pixel mean and standard deviation (+1e-6), batches of 64 taken cyclically
//! in row order. The origin note is in the crate's `data/README.md`.
//!
//! # Example
//! ```
//! use lowrank_opt::digits::Digits;
//!
//! let data = Digits::load()?;
//! assert_eq!((data.train_x.nrows(), data.test_x.nrows(), data.train_x.ncols()), (1437, 360, 64));
//! let (x, y) = data.batch(0, 64);
//! assert_eq!((x.nrows(), y.len()), (64, 64));
//! # Ok::<(), lowrank_opt::Error>(())
//! ```

use faer::Mat;
use ndarray::{Array1, Array2};
use ndarray_npy::ReadNpyExt;

use crate::Result;

const X_NPY: &[u8] = include_bytes!("../data/digits_x.npy");
const Y_NPY: &[u8] = include_bytes!("../data/digits_y.npy");

/// The split and standardised digits.
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    /// `1437 x 64`, standardised.
    pub train_x: Mat<f32>,
    /// Labels of the training rows.
    pub train_y: Vec<u8>,
    /// `360 x 64`, standardised with the training statistics.
    pub test_x: Mat<f32>,
    /// Labels of the test rows.
    pub test_y: Vec<u8>,
}

impl Digits {
    /// The embedded data set, split and standardised.
    ///
    /// # Errors
    /// [`linalg::Error::Npy`] only if the embedded arrays were corrupted (they are checked:
    /// shapes `(1797, 64)` and `(1797,)`, labels below 10).
    pub fn load() -> Result<Self> {
        let bad = |message: String| linalg::Error::Npy {
            path: "data/digits_*.npy (embedded)".into(),
            message,
        };
        let x = Array2::<u8>::read_npy(X_NPY).map_err(|e| bad(e.to_string()))?;
        let y = Array1::<u8>::read_npy(Y_NPY).map_err(|e| bad(e.to_string()))?;
        if x.dim() != (1797, 64) || y.len() != 1797 || y.iter().any(|&c| c > 9) {
            return Err(bad(format!("shapes {:?} and {}", x.dim(), y.len())).into());
        }
        let (train, test): (Vec<usize>, Vec<usize>) = (0..1797).partition(|i| i % 5 != 0);
        let features = x.ncols();
        let mut mean = vec![0.0f64; features];
        let mut std = vec![0.0f64; features];
        for &i in &train {
            for j in 0..features {
                mean[j] += f64::from(x[(i, j)]);
            }
        }
        mean.iter_mut().for_each(|m| *m /= train.len() as f64);
        for &i in &train {
            for j in 0..features {
                std[j] += (f64::from(x[(i, j)]) - mean[j]).powi(2);
            }
        }
        // The population standard deviation (numpy's default), plus 1e-6.
        std.iter_mut()
            .for_each(|s| *s = (*s / train.len() as f64).sqrt() + 1e-6);
        let take = |rows: &[usize]| {
            Mat::<f32>::from_fn(rows.len(), features, |r, j| {
                ((f64::from(x[(rows[r], j)]) - mean[j]) / std[j]) as f32
            })
        };
        Ok(Self {
            train_x: take(&train),
            train_y: train.iter().map(|&i| y[i]).collect(),
            test_x: take(&test),
            test_y: test.iter().map(|&i| y[i]).collect(),
        })
    }

    /// Checks that the (public) fields fit together: a non-empty training set with one label
    /// per row, a test set with one label per row, both with the same width.
    ///
    /// # Errors
    /// [`linalg::Error::Empty`] for no training rows; [`linalg::Error::ShapeMismatch`] otherwise.
    pub fn check(&self) -> Result<()> {
        if self.train_x.nrows() == 0 {
            return Err(linalg::Error::Empty {
                what: "training set",
            }
            .into());
        }
        for (what, x, y) in [
            ("training labels", &self.train_x, &self.train_y),
            ("test labels", &self.test_x, &self.test_y),
        ] {
            if y.len() != x.nrows() {
                return Err(linalg::Error::shape(what, (x.nrows(), 1), (y.len(), 1)).into());
            }
        }
        if self.test_x.ncols() != self.train_x.ncols() {
            return Err(linalg::Error::shape(
                "test set",
                (self.test_x.nrows(), self.train_x.ncols()),
                (self.test_x.nrows(), self.test_x.ncols()),
            )
            .into());
        }
        Ok(())
    }

    /// Batch number `step` of `size` training rows, taken cyclically in row order (rows
    /// `(step · size + k) mod 1437`, `k < size`). An empty training set (see
    /// [`Digits::check`]) gives an empty batch.
    pub fn batch(&self, step: usize, size: usize) -> (Mat<f32>, Vec<u8>) {
        let n = self.train_x.nrows().min(self.train_y.len());
        if n == 0 {
            return (Mat::zeros(0, self.train_x.ncols()), Vec::new());
        }
        let row = |k: usize| (step.wrapping_mul(size).wrapping_add(k)) % n;
        let x = Mat::<f32>::from_fn(size, self.train_x.ncols(), |k, j| self.train_x[(row(k), j)]);
        let y = (0..size).map(|k| self.train_y[row(k)]).collect();
        (x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_standardised_and_labels_balanced() {
        let d = Digits::load().unwrap();
        for j in 0..64 {
            let col: Vec<f64> = (0..1437).map(|i| f64::from(d.train_x[(i, j)])).collect();
            let mean = col.iter().sum::<f64>() / 1437.0;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 1437.0;
            assert!(mean.abs() < 1e-5, "{j}: mean {mean}");
            // Constant pixels (always 0) stay 0; the others have unit variance.
            assert!(var < 1e-6 || (var - 1.0).abs() < 1e-3, "{j}: var {var}");
        }
        // Every class is in both halves (the split is by row index, not stratified).
        for c in 0..10u8 {
            let test = d.test_y.iter().filter(|&&y| y == c).count();
            let train = d.train_y.iter().filter(|&&y| y == c).count();
            assert!(
                test >= 20 && train >= 130,
                "class {c}: {train} train, {test} test rows"
            );
            assert!(
                (170..=185).contains(&(test + train)),
                "class {c}: {} rows",
                test + train
            );
        }
        // Batches wrap around the training set.
        let (x, y) = d.batch(22, 64);
        assert_eq!(y[29], d.train_y[(22 * 64 + 29) % 1437]);
        assert_eq!(x[(63, 5)], d.train_x[((22 * 64 + 63) % 1437, 5)]);
    }
}
