//! serde support for faer matrices (as `{nrows, ncols, data}` in column-major order), for use
//! with `#[serde(with = "linalg::serde_mat")]` on fields of type `Mat<f64>`.
//!
//! # Example
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Basis {
//!     #[serde(with = "linalg::serde_mat")]
//!     v: faer::Mat<f64>,
//! }
//! let b = Basis { v: faer::mat![[1.0, 2.0], [3.0, 4.0]] };
//! let json = serde_json::to_string(&b)?;
//! assert_eq!(json, r#"{"v":{"nrows":2,"ncols":2,"data":[1.0,3.0,2.0,4.0]}}"#);
//! let back: Basis = serde_json::from_str(&json)?;
//! assert_eq!(back.v, b.v);
//! # Ok::<(), serde_json::Error>(())
//! ```

use faer::Mat;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize, Deserialize)]
struct Repr {
    nrows: usize,
    ncols: usize,
    data: Vec<f64>,
}

/// Serializes a matrix.
///
/// # Errors
/// Those of the serializer.
pub fn serialize<S: Serializer>(m: &Mat<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    let data = (0..m.ncols())
        .flat_map(|j| (0..m.nrows()).map(move |i| m[(i, j)]))
        .collect();
    Repr {
        nrows: m.nrows(),
        ncols: m.ncols(),
        data,
    }
    .serialize(serializer)
}

/// Deserializes a matrix, checking that the data length matches the shape.
///
/// # Errors
/// Those of the deserializer, or a custom error when `data.len() != nrows * ncols`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Mat<f64>, D::Error> {
    let r = Repr::deserialize(deserializer)?;
    if r.nrows.checked_mul(r.ncols) != Some(r.data.len()) {
        return Err(D::Error::custom(format!(
            "matrix of shape {} x {} needs {} entries, found {}",
            r.nrows,
            r.ncols,
            r.nrows.saturating_mul(r.ncols),
            r.data.len()
        )));
    }
    Ok(Mat::from_fn(r.nrows, r.ncols, |i, j| {
        r.data[i + j * r.nrows]
    }))
}

/// serde support for `Vec<Mat<f64>>` fields: `#[serde(with = "linalg::serde_mat::vec")]`.
pub mod vec {
    use faer::Mat;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Item(#[serde(with = "super")] Mat<f64>);

    /// Serializes a list of matrices.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(ms: &[Mat<f64>], serializer: S) -> Result<S::Ok, S::Error> {
        let items: Vec<Item> = ms.iter().map(|m| Item(m.clone())).collect();
        items.serialize(serializer)
    }

    /// Deserializes a list of matrices.
    ///
    /// # Errors
    /// Those of the deserializer, or a shape/length mismatch.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Mat<f64>>, D::Error> {
        Ok(Vec::<Item>::deserialize(deserializer)?
            .into_iter()
            .map(|i| i.0)
            .collect())
    }
}
