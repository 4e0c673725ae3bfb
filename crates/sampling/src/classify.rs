//! Multi-label node classification, the standard evaluation of node embeddings: one-vs-rest
//! L2-regularised logistic regression trained on a random fraction of the nodes, top-`k`
//! prediction (`k` = the test node's true number of labels) and micro-/macro-F1, averaged over
//! random splits.
//!
//! The protocol is that of Perozzi, Al-Rfou & Skiena, "DeepWalk: Online Learning of Social
//! Representations" (KDD 2014), used by Chen et al. for FastRP (CIKM 2019): shuffle the nodes,
//! train on the first `⌊fraction · n⌋`, test on the rest. Each binary problem minimises
//! scikit-learn's `LogisticRegression` objective
//! `½‖w‖² + C Σᵢ log(1 + exp(−yᵢ (xᵢ·w + b)))` (the intercept `b` unpenalised) with L-BFGS
//! (Liu & Nocedal, 1989), stopping when the largest gradient entry of the objective divided by
//! `C · n` is at most `tol` or after `max_iter` iterations (scikit-learn's rule and defaults).
//!
//! # Example
//! ```
//! use sampling::classify::f1_scores;
//!
//! // Two nodes, three labels: one right and one wrong prediction.
//! let truth = vec![vec![0], vec![1, 2]];
//! let predicted = vec![vec![0], vec![1, 0]];
//! let f1 = f1_scores(&truth, &predicted, 3)?;
//! assert!((f1.micro - 2.0 / 3.0).abs() < 1e-12); // tp 2, fp 1, fn 1
//! assert!((f1.macro_f1 - (2.0 / 3.0 + 1.0 + 0.0) / 3.0).abs() < 1e-12);
//! # Ok::<(), sampling::Error>(())
//! ```

use faer::{Mat, MatRef};
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::Result;

/// Micro- and macro-averaged F1 scores.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct F1 {
    /// F1 of the pooled counts over all labels: `2 tp / (2 tp + fp + fn)`.
    pub micro: f64,
    /// The mean over labels of each label's F1 (0 for a label never true nor predicted).
    pub macro_f1: f64,
}

/// Micro- and macro-F1 of multi-label predictions: `truth[i]` and `predicted[i]` are the label
/// sets of item `i` (labels `< num_labels`; duplicates within a set count once).
///
/// # Errors
/// [`linalg::Error::ShapeMismatch`] if the two lists differ in length,
/// [`linalg::Error::InvalidParameter`] for a label `>= num_labels` or `num_labels = 0`.
pub fn f1_scores(truth: &[Vec<usize>], predicted: &[Vec<usize>], num_labels: usize) -> Result<F1> {
    if truth.len() != predicted.len() {
        return Err(
            linalg::Error::shape("label sets", (truth.len(), 1), (predicted.len(), 1)).into(),
        );
    }
    if num_labels == 0 {
        return Err(linalg::Error::invalid_parameter("num_labels", 0, "must be at least 1").into());
    }
    check_labels(truth, num_labels)?;
    check_labels(predicted, num_labels)?;
    let (mut tp, mut fp, mut fn_) = (
        vec![0usize; num_labels],
        vec![0usize; num_labels],
        vec![0usize; num_labels],
    );
    let mut in_truth = vec![false; num_labels];
    let mut in_pred = vec![false; num_labels];
    for (t, p) in truth.iter().zip(predicted) {
        t.iter().for_each(|&l| in_truth[l] = true);
        p.iter().for_each(|&l| in_pred[l] = true);
        for l in t.iter().chain(p) {
            let l = *l;
            match (in_truth[l], in_pred[l]) {
                (true, true) => tp[l] += 1,
                (false, true) => fp[l] += 1,
                (true, false) => fn_[l] += 1,
                (false, false) => continue,
            }
            // Count each label of this item once.
            in_truth[l] = false;
            in_pred[l] = false;
        }
    }
    let f1 = |tp: usize, fp: usize, fn_: usize| {
        let den = 2 * tp + fp + fn_;
        if den == 0 {
            0.0
        } else {
            2.0 * tp as f64 / den as f64
        }
    };
    let micro = f1(tp.iter().sum(), fp.iter().sum(), fn_.iter().sum());
    let macro_f1 = (0..num_labels)
        .map(|l| f1(tp[l], fp[l], fn_[l]))
        .sum::<f64>()
        / num_labels as f64;
    Ok(F1 { micro, macro_f1 })
}

fn check_labels(sets: &[Vec<usize>], num_labels: usize) -> Result<()> {
    if let Some((i, &l)) = sets
        .iter()
        .enumerate()
        .find_map(|(i, s)| s.iter().find(|&&l| l >= num_labels).map(|l| (i, l)))
    {
        return Err(linalg::Error::invalid_parameter_in(
            "labels",
            l,
            format_args!("item {i}, {num_labels} labels"),
            "labels must be below the number of labels",
        )
        .into());
    }
    Ok(())
}

/// L2-regularised binary logistic regression, scikit-learn's `LogisticRegression(C, lbfgs)`
/// ([`LogisticRegression::params`] builds it).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `c` | 1.0 | inverse regularisation strength `C` |
/// | `max_iter` | 100 | L-BFGS iteration cap |
/// | `tol` | 1e-4 | stop when `‖∇f‖_∞ / (C n) ≤ tol` |
/// | `memory` | 10 | L-BFGS correction pairs kept |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogisticRegression {
    c: f64,
    max_iter: usize,
    tol: f64,
    memory: usize,
}

/// Builder of [`LogisticRegression`]; [`LogisticRegressionParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogisticRegressionParams(LogisticRegression);

/// A fitted binary logistic model: `P(y = 1 | x) = σ(x·w + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticModel {
    /// The weights `w`.
    pub weights: Vec<f64>,
    /// The intercept `b` (±∞ when the training labels are all equal: a constant predictor).
    pub intercept: f64,
    /// L-BFGS iterations done.
    pub iterations: usize,
    /// `‖∇f‖_∞ / (C n)` at the returned point (0 for a constant predictor).
    pub gradient_norm: f64,
    /// Whether `gradient_norm ≤ tol` was reached.
    pub converged: bool,
}

impl LogisticModel {
    /// The decision value `x·w + b` of one sample.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of weights.
    pub fn decision(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.weights.len(), "feature count");
        x.iter().zip(&self.weights).map(|(a, b)| a * b).sum::<f64>() + self.intercept
    }
}

impl LogisticRegression {
    /// scikit-learn's defaults: `C = 1`, 100 iterations, `tol = 1e-4`, memory 10.
    pub fn params() -> LogisticRegressionParams {
        LogisticRegressionParams(LogisticRegression {
            c: 1.0,
            max_iter: 100,
            tol: 1e-4,
            memory: 10,
        })
    }

    /// Fits the model to the rows of `x` (samples) and the labels `y`. Not converging within
    /// `max_iter` is not an error: check [`LogisticModel::converged`].
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `y.len() != x.nrows()`, [`linalg::Error::Empty`] for
    /// no samples, [`linalg::Error::NonFinite`] for a NaN or infinite feature.
    ///
    /// # Example
    /// ```
    /// use sampling::classify::LogisticRegression;
    /// let x = faer::mat![[0.0], [1.0], [2.0], [3.0]];
    /// let y = [false, true, false, true];
    /// let model = LogisticRegression::params().tol(1e-8).max_iter(200).check()?.fit(x.as_ref(), &y)?;
    /// assert!(model.converged && model.gradient_norm <= 1e-8);
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[bool]) -> Result<LogisticModel> {
        if y.len() != x.nrows() {
            return Err(linalg::Error::shape("labels", (x.nrows(), 1), (y.len(), 1)).into());
        }
        if x.nrows() == 0 {
            return Err(linalg::Error::Empty {
                what: "training set",
            }
            .into());
        }
        check_finite(x)?;
        let rows = RowMajor::from(x);
        Ok(self.fit_rows(&rows, y))
    }

    fn fit_rows(&self, x: &RowMajor, y: &[bool]) -> LogisticModel {
        let (n, p) = (x.nrows, x.ncols);
        let positives = y.iter().filter(|&&v| v).count();
        if positives == 0 || positives == n {
            return LogisticModel {
                weights: vec![0.0; p],
                intercept: if positives == 0 {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                },
                iterations: 0,
                gradient_norm: 0.0,
                converged: true,
            };
        }
        let sign: Vec<f64> = y.iter().map(|&v| if v { 1.0 } else { -1.0 }).collect();
        let scale = 1.0 / (self.c * n as f64);
        // Scaled objective F(θ) = (½‖w‖² + C Σ log(1 + e^{−yᵢ zᵢ})) / (C n), θ = (w, b).
        let objective = |theta: &[f64], z: &[f64]| {
            let reg: f64 = theta[..p].iter().map(|v| v * v).sum::<f64>() * 0.5;
            let loss: f64 = z
                .iter()
                .zip(&sign)
                .map(|(&zi, &si)| log1p_exp(-si * zi))
                .sum();
            scale * reg + loss / n as f64
        };
        let gradient = |theta: &[f64], z: &[f64], g: &mut [f64]| {
            let r: Vec<f64> = z
                .iter()
                .zip(&sign)
                .map(|(&zi, &si)| -si * sigmoid(-si * zi) / n as f64)
                .collect();
            x.transpose_times(&r, &mut g[..p]);
            for k in 0..p {
                g[k] += scale * theta[k];
            }
            g[p] = r.iter().sum();
        };

        let dim = p + 1;
        let mut theta = vec![0.0; dim];
        let mut z = vec![0.0; n];
        let mut f = objective(&theta, &z);
        let mut g = vec![0.0; dim];
        gradient(&theta, &z, &mut g);
        let mut pairs: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
            std::collections::VecDeque::new();
        let mut iterations = 0;
        let inf_norm = |g: &[f64]| g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut gnorm = inf_norm(&g);
        let mut xd = vec![0.0; n];
        let mut trial_z = vec![0.0; n];
        while gnorm > self.tol && iterations < self.max_iter {
            // Two-loop recursion: d = −H g.
            let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
            let mut alphas = Vec::with_capacity(pairs.len());
            for (s, yv, rho) in pairs.iter().rev() {
                let a = rho * dot(s, &d);
                axpy(-a, yv, &mut d);
                alphas.push(a);
            }
            let mut first_step = 1.0;
            if let Some((s, yv, _)) = pairs.back() {
                let gamma = dot(s, yv) / dot(yv, yv);
                d.iter_mut().for_each(|v| *v *= gamma);
            } else {
                first_step = 1.0 / dot(&g, &g).sqrt().max(1.0);
            }
            for ((s, yv, rho), a) in pairs.iter().zip(alphas.iter().rev()) {
                let b = rho * dot(yv, &d);
                axpy(a - b, s, &mut d);
            }
            let mut slope = dot(&g, &d);
            if slope >= 0.0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                pairs.clear();
                d = g.iter().map(|v| -v).collect();
                slope = -dot(&g, &g);
                first_step = 1.0 / dot(&g, &g).sqrt().max(1.0);
            }
            // The margins along d are affine in the step: z(t) = z + t · X d.
            x.times(&d[..p], &mut xd);
            xd.iter_mut().for_each(|v| *v += d[p]);
            let mut t = first_step;
            let mut accepted = false;
            let mut trial = theta.clone();
            let mut f_trial = f;
            for _ in 0..40 {
                for k in 0..dim {
                    trial[k] = theta[k] + t * d[k];
                }
                for i in 0..n {
                    trial_z[i] = z[i] + t * xd[i];
                }
                f_trial = objective(&trial, &trial_z);
                if f_trial <= f + 1e-4 * t * slope {
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted {
                break;
            }
            let mut g_new = vec![0.0; dim];
            gradient(&trial, &trial_z, &mut g_new);
            let s: Vec<f64> = trial.iter().zip(&theta).map(|(a, b)| a - b).collect();
            let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
            let sy = dot(&s, &yv);
            if sy > 1e-12 * dot(&yv, &yv) {
                if pairs.len() == self.memory {
                    pairs.pop_front();
                }
                pairs.push_back((s, yv, 1.0 / sy));
            }
            theta = trial;
            std::mem::swap(&mut z, &mut trial_z);
            f = f_trial;
            g = g_new;
            gnorm = inf_norm(&g);
            iterations += 1;
        }
        let intercept = theta[p];
        theta.truncate(p);
        LogisticModel {
            weights: theta,
            intercept,
            iterations,
            gradient_norm: gnorm,
            converged: gnorm <= self.tol,
        }
    }
}

impl LogisticRegressionParams {
    /// The inverse regularisation strength `C` (> 0, finite).
    pub fn c(mut self, c: f64) -> Self {
        self.0.c = c;
        self
    }

    /// The iteration cap (≥ 1).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.0.max_iter = max_iter;
        self
    }

    /// The gradient tolerance (≥ 0).
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }

    /// The number of L-BFGS correction pairs (≥ 1).
    pub fn memory(mut self, memory: usize) -> Self {
        self.0.memory = memory;
        self
    }

    /// The checked hyper-parameters.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `C ≤ 0` or not finite, `max_iter = 0`, a
    /// negative or NaN `tol`, or `memory = 0`.
    pub fn check(self) -> Result<LogisticRegression> {
        let l = self.0;
        if !(l.c.is_finite() && l.c > 0.0) {
            return Err(
                linalg::Error::invalid_parameter("c", l.c, "must be positive and finite").into(),
            );
        }
        if l.max_iter == 0 {
            return Err(
                linalg::Error::invalid_parameter("max_iter", 0, "must be at least 1").into(),
            );
        }
        if l.tol.is_nan() || l.tol < 0.0 {
            return Err(
                linalg::Error::invalid_parameter("tol", l.tol, "must be non-negative").into(),
            );
        }
        if l.memory == 0 {
            return Err(linalg::Error::invalid_parameter("memory", 0, "must be at least 1").into());
        }
        Ok(l)
    }
}

/// The node-classification protocol ([`NodeClassification::params`] builds it).
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `train_fraction` | 0.1 | fraction of the nodes used for training, in (0, 1) |
/// | `shuffles` | 10 | random splits averaged over |
/// | `seed` | 0 | seed of the splits (split `k` uses `derive_seed(seed, k)`) |
/// | `classifier` | [`LogisticRegression::params`] defaults | the one-vs-rest classifier |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeClassification {
    train_fraction: f64,
    shuffles: usize,
    seed: u64,
    classifier: LogisticRegression,
}

/// Builder of [`NodeClassification`]; [`NodeClassificationParams::check`] validates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeClassificationParams(NodeClassification, LogisticRegressionParams);

/// The scores of [`NodeClassification::evaluate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The mean over the splits.
    pub mean: F1,
    /// The scores of each split.
    pub per_split: Vec<F1>,
}

impl NodeClassification {
    /// The DeepWalk/FastRP protocol at 10% training labels, 10 splits, scikit-learn's
    /// classifier defaults.
    pub fn params() -> NodeClassificationParams {
        NodeClassificationParams(
            NodeClassification {
                train_fraction: 0.1,
                shuffles: 10,
                seed: 0,
                classifier: LogisticRegression::params().0,
            },
            LogisticRegression::params(),
        )
    }

    /// Trains and scores the classifier on `shuffles` random splits of the rows of `embedding`
    /// (one per node); `labels[i]` are node `i`'s labels (`< num_labels`). Nodes without
    /// labels are kept in the splits (as in DeepWalk's scoring) and predicted no label.
    ///
    /// # Errors
    /// [`linalg::Error::ShapeMismatch`] if `labels.len() != embedding.nrows()`,
    /// [`linalg::Error::InvalidParameter`] for a bad label or a split with an empty training or
    /// test set, [`linalg::Error::NonFinite`] for a NaN or infinite embedding entry.
    ///
    /// # Example
    /// ```
    /// use sampling::classify::NodeClassification;
    /// // Features that reveal the label: perfect scores.
    /// let labels: Vec<Vec<usize>> = (0..40).map(|i| vec![i % 2]).collect();
    /// let x = faer::Mat::<f32>::from_fn(40, 2, |i, j| if i % 2 == j { 1.0 } else { 0.0 });
    /// let eval = NodeClassification::params().train_fraction(0.5).shuffles(2).check()?
    ///     .evaluate(x.as_ref(), &labels, 2)?;
    /// assert_eq!(eval.mean.micro, 1.0);
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn evaluate(
        &self,
        embedding: MatRef<'_, f32>,
        labels: &[Vec<usize>],
        num_labels: usize,
    ) -> Result<Evaluation> {
        let n = embedding.nrows();
        if labels.len() != n {
            return Err(linalg::Error::shape("node labels", (n, 1), (labels.len(), 1)).into());
        }
        if num_labels == 0 {
            return Err(
                linalg::Error::invalid_parameter("num_labels", 0, "must be at least 1").into(),
            );
        }
        check_labels(labels, num_labels)?;
        let x = Mat::<f64>::from_fn(n, embedding.ncols(), |i, j| f64::from(embedding[(i, j)]));
        check_finite(x.as_ref())?;
        let train_size = (self.train_fraction * n as f64).floor() as usize;
        if train_size == 0 || train_size >= n {
            return Err(linalg::Error::invalid_parameter_in(
                "train_fraction",
                self.train_fraction,
                format_args!("{n} nodes"),
                "must leave at least one training and one test node",
            )
            .into());
        }
        let mut per_split = Vec::with_capacity(self.shuffles);
        for k in 0..self.shuffles {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut linalg::rng::seeded(linalg::rng::derive_seed(
                self.seed, k as u64,
            )));
            let (train, test) = order.split_at(train_size);
            per_split.push(self.split_scores(x.as_ref(), labels, num_labels, train, test)?);
        }
        let count = per_split.len().max(1) as f64;
        let mean = F1 {
            micro: per_split.iter().map(|s| s.micro).sum::<f64>() / count,
            macro_f1: per_split.iter().map(|s| s.macro_f1).sum::<f64>() / count,
        };
        Ok(Evaluation { mean, per_split })
    }

    fn split_scores(
        &self,
        x: MatRef<'_, f64>,
        labels: &[Vec<usize>],
        num_labels: usize,
        train: &[usize],
        test: &[usize],
    ) -> Result<F1> {
        let p = x.ncols();
        let train_x =
            RowMajor::from(Mat::<f64>::from_fn(train.len(), p, |i, j| x[(train[i], j)]).as_ref());
        let models: Vec<LogisticModel> = (0..num_labels)
            .into_par_iter()
            .map(|l| {
                let y: Vec<bool> = train.iter().map(|&i| labels[i].contains(&l)).collect();
                self.classifier.fit_rows(&train_x, &y)
            })
            .collect();
        let predicted: Vec<Vec<usize>> = test
            .par_iter()
            .map(|&i| {
                let row: Vec<f64> = (0..p).map(|j| x[(i, j)]).collect();
                let mut scores: Vec<(f64, usize)> = models
                    .iter()
                    .enumerate()
                    .map(|(l, m)| (m.decision(&row), l))
                    .collect();
                scores.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                let k = labels[i].len();
                scores.iter().take(k).map(|&(_, l)| l).collect()
            })
            .collect();
        let truth: Vec<Vec<usize>> = test.iter().map(|&i| labels[i].clone()).collect();
        f1_scores(&truth, &predicted, num_labels)
    }
}

impl NodeClassificationParams {
    /// The fraction of nodes used for training, in (0, 1).
    pub fn train_fraction(mut self, fraction: f64) -> Self {
        self.0.train_fraction = fraction;
        self
    }

    /// The number of random splits (≥ 1).
    pub fn shuffles(mut self, shuffles: usize) -> Self {
        self.0.shuffles = shuffles;
        self
    }

    /// The seed of the splits.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// The classifier's `C`.
    pub fn c(mut self, c: f64) -> Self {
        self.1 = self.1.c(c);
        self
    }

    /// The classifier's iteration cap.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.1 = self.1.max_iter(max_iter);
        self
    }

    /// The classifier's gradient tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.1 = self.1.tol(tol);
        self
    }

    /// The checked protocol.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a fraction outside (0, 1), no shuffles, or a bad
    /// classifier parameter.
    pub fn check(self) -> Result<NodeClassification> {
        let mut e = self.0;
        if !(e.train_fraction > 0.0 && e.train_fraction < 1.0) {
            return Err(linalg::Error::invalid_parameter(
                "train_fraction",
                e.train_fraction,
                "must be in (0, 1)",
            )
            .into());
        }
        if e.shuffles == 0 {
            return Err(
                linalg::Error::invalid_parameter("shuffles", 0, "must be at least 1").into(),
            );
        }
        e.classifier = self.1.check()?;
        Ok(e)
    }
}

/// A dense matrix stored row by row (samples contiguous).
struct RowMajor {
    nrows: usize,
    ncols: usize,
    data: Vec<f64>,
}

impl From<MatRef<'_, f64>> for RowMajor {
    fn from(x: MatRef<'_, f64>) -> Self {
        let (nrows, ncols) = (x.nrows(), x.ncols());
        let mut data = Vec::with_capacity(nrows * ncols);
        for i in 0..nrows {
            data.extend((0..ncols).map(|j| x[(i, j)]));
        }
        Self { nrows, ncols, data }
    }
}

impl RowMajor {
    /// `out = X v`.
    fn times(&self, v: &[f64], out: &mut [f64]) {
        for (o, row) in out
            .iter_mut()
            .zip(self.data.chunks_exact(self.ncols.max(1)))
        {
            *o = dot(row, v);
        }
    }

    /// `out = Xᵀ r`.
    fn transpose_times(&self, r: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for (&ri, row) in r.iter().zip(self.data.chunks_exact(self.ncols.max(1))) {
            axpy(ri, row, out);
        }
    }
}

fn check_finite(x: MatRef<'_, f64>) -> Result<()> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if !v.is_finite() {
                return Err(linalg::Error::NonFinite {
                    what: "features",
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

/// `a · b`, with eight partial sums so the loop vectorises.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f64>() + tail
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi += a * xi);
}

/// `log(1 + eˣ)` without overflow.
fn log1p_exp(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The logistic function.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
