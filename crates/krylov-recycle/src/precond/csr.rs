//! A plain compressed-sparse-row matrix with sorted column indices, the working format of the
//! factorisations and of the multigrid hierarchy (compact arrays, no faer indirection in the
//! inner loops), and the few sparse kernels they need.

use linalg::sparse::CsrMatrix;

use crate::Result;

/// `nrows x ncols` CSR matrix; the columns of each row are sorted and distinct.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Csr {
    pub nrows: usize,
    pub ncols: usize,
    /// Row `i` is `ptr[i]..ptr[i + 1]`.
    pub ptr: Vec<usize>,
    pub idx: Vec<usize>,
    pub val: Vec<f64>,
}

impl Csr {
    /// A compact, row-sorted copy of `a`; errors on non-finite values or repeated columns.
    pub fn from_faer(what: &'static str, a: &CsrMatrix) -> Result<Self> {
        let symbolic = a.symbolic();
        let (row_ptr, row_nnz, col_idx, val) = (
            symbolic.row_ptr(),
            symbolic.row_nnz(),
            symbolic.col_idx(),
            a.val(),
        );
        let n = a.nrows();
        let mut out = Csr {
            nrows: n,
            ncols: a.ncols(),
            ptr: Vec::with_capacity(n + 1),
            idx: Vec::with_capacity(val.len()),
            val: Vec::with_capacity(val.len()),
        };
        out.ptr.push(0);
        let mut order: Vec<usize> = Vec::new();
        for i in 0..n {
            let start = row_ptr[i];
            let end = match row_nnz {
                Some(nnz) => start + nnz[i],
                None => row_ptr[i + 1],
            };
            let cols = &col_idx[start..end];
            if cols.windows(2).all(|w| w[0] < w[1]) {
                out.idx.extend_from_slice(cols);
                out.val.extend_from_slice(&val[start..end]);
            } else {
                order.clear();
                order.extend(start..end);
                order.sort_unstable_by_key(|&p| col_idx[p]);
                for w in order.windows(2) {
                    if col_idx[w[0]] == col_idx[w[1]] {
                        return Err(linalg::Error::InvalidParameter {
                            name: "matrix",
                            value: format!("row {i}, column {}", col_idx[w[0]]),
                            reason: "a CSR row stores the same column twice",
                        }
                        .into());
                    }
                }
                out.idx.extend(order.iter().map(|&p| col_idx[p]));
                out.val.extend(order.iter().map(|&p| val[p]));
            }
            out.ptr.push(out.idx.len());
        }
        if let Some(p) = out.val.iter().position(|v| !v.is_finite()) {
            let row = out.ptr.partition_point(|&s| s <= p) - 1;
            return Err(linalg::Error::NonFinite {
                what,
                row,
                col: out.idx[p],
                value: out.val[p],
            }
            .into());
        }
        Ok(out)
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.idx.len()
    }

    /// Whether `other` has exactly this sparsity pattern.
    pub fn same_pattern(&self, other: &Csr) -> bool {
        self.nrows == other.nrows
            && self.ncols == other.ncols
            && self.ptr == other.ptr
            && self.idx == other.idx
    }

    /// [`linalg::Error::ShapeMismatch`] unless `other` has this pattern.
    pub fn check_pattern(&self, what: &'static str, other: &Csr) -> Result<()> {
        if self.same_pattern(other) {
            Ok(())
        } else {
            Err(linalg::Error::ShapeMismatch {
                what,
                expected: format!(
                    "the sparsity pattern built for ({} x {}, {} entries)",
                    self.nrows,
                    self.ncols,
                    self.nnz()
                ),
                found: format!(
                    "another pattern ({} x {}, {} entries)",
                    other.nrows,
                    other.ncols,
                    other.nnz()
                ),
            }
            .into())
        }
    }

    /// Position of the diagonal entry of each row (`None` where it is not stored).
    pub fn diag_positions(&self) -> Vec<Option<usize>> {
        (0..self.nrows)
            .map(|i| {
                let (s, e) = (self.ptr[i], self.ptr[i + 1]);
                self.idx[s..e].binary_search(&i).ok().map(|k| s + k)
            })
            .collect()
    }

    /// The diagonal (zero where not stored).
    pub fn diagonal(&self) -> Vec<f64> {
        self.diag_positions()
            .into_iter()
            .map(|p| p.map_or(0.0, |p| self.val[p]))
            .collect()
    }

    /// `y = A x`.
    #[inline]
    pub fn matvec(&self, x: &[f64], y: &mut [f64]) {
        debug_assert_eq!(x.len(), self.ncols);
        debug_assert_eq!(y.len(), self.nrows);
        for (i, yi) in y.iter_mut().enumerate() {
            let (s, e) = (self.ptr[i], self.ptr[i + 1]);
            let mut sum = 0.0;
            for (c, v) in self.idx[s..e].iter().zip(&self.val[s..e]) {
                sum += v * x[*c];
            }
            *yi = sum;
        }
    }

    /// `r = b − A x`.
    #[inline]
    pub fn residual(&self, b: &[f64], x: &[f64], r: &mut [f64]) {
        for (i, ri) in r.iter_mut().enumerate() {
            let (s, e) = (self.ptr[i], self.ptr[i + 1]);
            let mut sum = b[i];
            for (c, v) in self.idx[s..e].iter().zip(&self.val[s..e]) {
                sum -= v * x[*c];
            }
            *ri = sum;
        }
    }

    /// `Aᵀ` and, for each entry of `Aᵀ`, the position of the same entry in `A` (so that the
    /// values of a transpose can be refreshed by a gather).
    pub fn transpose_with_map(&self) -> (Csr, Vec<usize>) {
        let mut count = vec![0usize; self.ncols + 1];
        for &c in &self.idx {
            count[c + 1] += 1;
        }
        for j in 0..self.ncols {
            count[j + 1] += count[j];
        }
        let ptr = count.clone();
        let mut next = count;
        let nnz = self.nnz();
        let mut idx = vec![0; nnz];
        let mut val = vec![0.0; nnz];
        let mut map = vec![0; nnz];
        for i in 0..self.nrows {
            for p in self.ptr[i]..self.ptr[i + 1] {
                let c = self.idx[p];
                let q = next[c];
                next[c] += 1;
                idx[q] = i; // rows visited in order: sorted
                val[q] = self.val[p];
                map[q] = p;
            }
        }
        (
            Csr {
                nrows: self.ncols,
                ncols: self.nrows,
                ptr,
                idx,
                val,
            },
            map,
        )
    }

    /// The sparsity pattern of `self · b` (values zero), rows sorted.
    pub fn product_pattern(&self, b: &Csr) -> Csr {
        debug_assert_eq!(self.ncols, b.nrows);
        let mut marker = vec![usize::MAX; b.ncols];
        let mut ptr = Vec::with_capacity(self.nrows + 1);
        let mut idx = Vec::new();
        ptr.push(0);
        for i in 0..self.nrows {
            let start = idx.len();
            for &k in &self.idx[self.ptr[i]..self.ptr[i + 1]] {
                for &j in &b.idx[b.ptr[k]..b.ptr[k + 1]] {
                    if marker[j] != i {
                        marker[j] = i;
                        idx.push(j);
                    }
                }
            }
            idx[start..].sort_unstable();
            ptr.push(idx.len());
        }
        let nnz = idx.len();
        Csr {
            nrows: self.nrows,
            ncols: b.ncols,
            ptr,
            idx,
            val: vec![0.0; nnz],
        }
    }

    /// Fills the values of `c`, whose pattern contains that of `self · b`, with `self · b`.
    /// `work` is a scratch array of length `b.ncols` (any content).
    pub fn product_values(&self, b: &Csr, c: &mut Csr, work: &mut Vec<f64>) {
        work.clear();
        work.resize(b.ncols, 0.0);
        for i in 0..self.nrows {
            for p in self.ptr[i]..self.ptr[i + 1] {
                let (k, a) = (self.idx[p], self.val[p]);
                for q in b.ptr[k]..b.ptr[k + 1] {
                    work[b.idx[q]] += a * b.val[q];
                }
            }
            for p in c.ptr[i]..c.ptr[i + 1] {
                let j = c.idx[p];
                c.val[p] = work[j];
                work[j] = 0.0;
            }
        }
    }

    /// The dense copy (row-major order irrelevant: a faer matrix).
    pub fn to_dense(&self) -> faer::Mat<f64> {
        let mut d = faer::Mat::zeros(self.nrows, self.ncols);
        for i in 0..self.nrows {
            for p in self.ptr[i]..self.ptr[i + 1] {
                d[(i, self.idx[p])] += self.val[p];
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn small() -> Csr {
        // [[1, 2, 0], [0, 3, 4], [5, 0, 6]]
        let t = [
            (0, 0, 1.0),
            (0, 1, 2.0),
            (1, 1, 3.0),
            (1, 2, 4.0),
            (2, 0, 5.0),
            (2, 2, 6.0),
        ];
        Csr::from_faer(
            "test",
            &linalg::sparse::csr_from_triplets(3, 3, &t).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn transpose_and_product_match_dense() {
        let a = small();
        let (at, map) = a.transpose_with_map();
        let d = a.to_dense();
        assert_eq!(at.to_dense(), d.transpose().to_owned());
        for (q, &p) in map.iter().enumerate() {
            assert_eq!(at.val[q], a.val[p]);
        }
        let mut c = a.product_pattern(&at);
        let mut work = Vec::new();
        a.product_values(&at, &mut c, &mut work);
        assert_eq!(c.to_dense(), &d * d.transpose());
        let mut y = vec![0.0; 3];
        a.matvec(&[1.0, 1.0, 1.0], &mut y);
        assert_eq!(y, vec![3.0, 7.0, 11.0]);
        let mut r = vec![0.0; 3];
        a.residual(&[3.0, 7.0, 10.0], &[1.0, 1.0, 1.0], &mut r);
        assert_eq!(r, vec![0.0, 0.0, -1.0]);
        assert_eq!(a.diagonal(), vec![1.0, 3.0, 6.0]);
    }
}
