//! FastRP, graphs and node classification on Zachary's karate club: agreement with a dense
//! computation of the same formula, normalisation, community structure, F1 by hand, logistic
//! regression at its optimum, and errors on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faer::Mat;
use sampling::classify::{LogisticRegression, NodeClassification, f1_scores};
use sampling::fastrp::FastRp;
use sampling::graph::Graph;

/// Zachary's karate club (1977): 34 members, 78 friendships, 0-based.
const KARATE: [[usize; 2]; 78] = [
    [0, 1],
    [0, 2],
    [0, 3],
    [0, 4],
    [0, 5],
    [0, 6],
    [0, 7],
    [0, 8],
    [0, 10],
    [0, 11],
    [0, 12],
    [0, 13],
    [0, 17],
    [0, 19],
    [0, 21],
    [0, 31],
    [1, 2],
    [1, 3],
    [1, 7],
    [1, 13],
    [1, 17],
    [1, 19],
    [1, 21],
    [1, 30],
    [2, 3],
    [2, 7],
    [2, 8],
    [2, 9],
    [2, 13],
    [2, 27],
    [2, 28],
    [2, 32],
    [3, 7],
    [3, 12],
    [3, 13],
    [4, 6],
    [4, 10],
    [5, 6],
    [5, 10],
    [5, 16],
    [6, 16],
    [8, 30],
    [8, 32],
    [8, 33],
    [9, 33],
    [13, 33],
    [14, 32],
    [14, 33],
    [15, 32],
    [15, 33],
    [18, 32],
    [18, 33],
    [19, 33],
    [20, 32],
    [20, 33],
    [22, 32],
    [22, 33],
    [23, 25],
    [23, 27],
    [23, 29],
    [23, 32],
    [23, 33],
    [24, 25],
    [24, 27],
    [24, 31],
    [25, 31],
    [26, 29],
    [26, 33],
    [27, 33],
    [28, 31],
    [28, 33],
    [29, 32],
    [29, 33],
    [30, 32],
    [30, 33],
    [31, 32],
    [31, 33],
    [32, 33],
];

/// The members who followed the instructor (Mr. Hi) after the split.
const MR_HI: [usize; 17] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 19, 21];

fn karate() -> Graph {
    Graph::from_edges(&KARATE, None).unwrap()
}

/// The FastRP formula with dense matrices: S = D⁻¹A, N₁ = S D^β R, Nᵢ = S Nᵢ₋₁, U = Σ αᵢ
/// normalize(Nᵢ), standardised columns.
fn dense_fastrp(
    g: &Graph,
    r: &[Vec<(usize, f64)>],
    dim: usize,
    weights: &[f64],
    beta: f64,
    normalize: bool,
    standardize: bool,
) -> Mat<f64> {
    let n = g.num_nodes();
    let a = g.adjacency().to_dense();
    let d: Vec<f64> = (0..n).map(|i| (0..n).map(|j| a[(i, j)]).sum()).collect();
    let s = Mat::<f64>::from_fn(n, n, |i, j| if d[i] > 0.0 { a[(i, j)] / d[i] } else { 0.0 });
    let mut rd = Mat::<f64>::zeros(n, dim);
    for (j, row) in r.iter().enumerate() {
        for &(c, v) in row {
            rd[(j, c)] = v * if d[j] > 0.0 { d[j].powf(beta) } else { 0.0 };
        }
    }
    let mut cur = &s * &rd;
    let mut u = Mat::<f64>::zeros(n, dim);
    for (k, &alpha) in weights.iter().enumerate() {
        if k > 0 {
            cur = &s * &cur;
        }
        for i in 0..n {
            let norm = (0..dim).map(|c| cur[(i, c)].powi(2)).sum::<f64>().sqrt();
            let f = if !normalize {
                1.0
            } else if norm > 0.0 {
                1.0 / norm
            } else {
                0.0
            };
            for c in 0..dim {
                u[(i, c)] += alpha * f * cur[(i, c)];
            }
        }
    }
    if standardize {
        for c in 0..dim {
            let mean = (0..n).map(|i| u[(i, c)]).sum::<f64>() / n as f64;
            let var = (0..n).map(|i| (u[(i, c)] - mean).powi(2)).sum::<f64>() / n as f64;
            let std = if var > 0.0 { var.sqrt() } else { 1.0 };
            for i in 0..n {
                u[(i, c)] = (u[(i, c)] - mean) / std;
            }
        }
    }
    u
}

fn max_abs_diff(a: &Mat<f32>, b: &Mat<f64>) -> f64 {
    let mut m = 0.0f64;
    for j in 0..b.ncols() {
        for i in 0..b.nrows() {
            m = m.max((f64::from(a[(i, j)]) - b[(i, j)]).abs());
        }
    }
    m
}

#[test]
fn karate_graph_structure() {
    let g = karate();
    assert_eq!((g.num_nodes(), g.num_edges()), (34, 78));
    let deg = g.degrees();
    assert_eq!(deg.iter().sum::<usize>(), 2 * 78);
    assert_eq!((deg[0], deg[33], deg[11]), (16, 17, 1));
    // Symmetric adjacency, and duplicates / reversed copies are merged.
    let a = g.adjacency().to_dense();
    for i in 0..34 {
        for j in 0..34 {
            assert_eq!(a[(i, j)], a[(j, i)]);
        }
    }
    let mut doubled: Vec<[usize; 2]> = KARATE.to_vec();
    doubled.extend(KARATE.iter().map(|&[i, j]| [j, i]));
    assert_eq!(Graph::from_edges(&doubled, Some(34)).unwrap(), g);
}

#[test]
fn loaders_agree_and_reject_bad_input() {
    let dir = std::env::temp_dir().join(format!("sampling-fastrp-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let g = karate();
    // npy, int64 and int32.
    let arr64 = ndarray::Array2::from_shape_fn((78, 2), |(e, k)| KARATE[e][k] as i64);
    linalg::npy::write_npy(dir.join("k64.npy"), &arr64).unwrap();
    linalg::npy::write_npy(dir.join("k32.npy"), &arr64.mapv(|v| v as i32)).unwrap();
    assert_eq!(Graph::from_npy(dir.join("k64.npy"), Some(34)).unwrap(), g);
    assert_eq!(Graph::from_npy(dir.join("k32.npy"), None).unwrap(), g);
    // Text with comments and blank lines.
    let text: String = std::iter::once("# karate\n\n".to_string())
        .chain(KARATE.iter().map(|[i, j]| format!("{i}\t{j}  # edge\n")))
        .collect();
    std::fs::write(dir.join("k.txt"), &text).unwrap();
    assert_eq!(Graph::from_text(dir.join("k.txt"), None).unwrap(), g);
    // Isolated nodes come from the declared node count.
    let padded = Graph::from_npy(dir.join("k64.npy"), Some(40)).unwrap();
    assert_eq!(padded.num_nodes(), 40);
    assert_eq!(padded.degrees()[34..], [0; 6]);

    // Errors: ids outside the graph, negative ids, malformed lines, missing files.
    assert!(Graph::from_npy(dir.join("k64.npy"), Some(33)).is_err());
    let negative = ndarray::array![[0i64, 1], [-1, 2]];
    linalg::npy::write_npy(dir.join("neg.npy"), &negative).unwrap();
    let err = Graph::from_npy(dir.join("neg.npy"), None).unwrap_err();
    assert!(err.to_string().contains("non-negative"), "{err}");
    let bad_dtype = ndarray::array![[0.0f64, 1.0]];
    linalg::npy::write_npy(dir.join("f.npy"), &bad_dtype).unwrap();
    assert!(Graph::from_npy(dir.join("f.npy"), None).is_err());
    let three_cols = ndarray::array![[0i64, 1, 2]];
    assert!(Graph::from_edge_array(&three_cols, None).is_err());
    for bad in ["0 1\n1 2 3\n", "0 1\n-1 2\n", "0 1\n1 x\n", "0\n"] {
        let err = Graph::read_text(bad.as_bytes(), "bad.txt", None).unwrap_err();
        assert!(
            matches!(err, sampling::Error::Linalg(linalg::Error::Parse { .. })),
            "{bad:?}: {err}"
        );
    }
    let err = Graph::read_text("0 1\n1 x\n".as_bytes(), "bad.txt", None).unwrap_err();
    assert!(err.to_string().contains(":2:"), "{err}");
    assert!(Graph::read_text("0 5\n".as_bytes(), "x", Some(3)).is_err());
    assert!(Graph::from_text(dir.join("missing.txt"), None).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn embedding_equals_dense_formula() {
    let g = karate();
    let dim = 24;
    for (weights, beta, normalize, standardize) in [
        (vec![0.0, 0.0, 1.0, 6.67], -0.64, true, true),
        (vec![1.0, 0.5, 2.0], 0.0, false, false),
        (vec![0.3, 1.0], -1.0, true, false),
    ] {
        let fastrp = FastRp::params()
            .dim(dim)
            .weights(&weights)
            .beta(beta)
            .normalize(normalize)
            .standardize(standardize)
            .sparsity(3.0)
            .seed(11)
            .check()
            .unwrap();
        let u = fastrp.embed(&g).unwrap();
        let r = fastrp.projection(34);
        let reference = dense_fastrp(&g, &r, dim, &weights, beta, normalize, standardize);
        let scale = (0..dim)
            .flat_map(|c| (0..34).map(move |i| (i, c)))
            .fold(0.0f64, |m, (i, c)| m.max(reference[(i, c)].abs()));
        assert!(scale > 0.0);
        let err = max_abs_diff(&u, &reference);
        assert!(err <= 1e-5 * scale, "{weights:?}: {err} vs scale {scale}");
    }
}

#[test]
fn rows_are_normalised_and_columns_standardised() {
    let g = karate();
    // One power, normalised, not standardised: unit rows.
    let u = FastRp::params()
        .dim(64)
        .weights(&[2.5])
        .standardize(false)
        .check()
        .unwrap()
        .embed(&g)
        .unwrap();
    for i in 0..34 {
        let norm: f64 = (0..64)
            .map(|c| f64::from(u[(i, c)]).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!((norm - 2.5).abs() < 1e-5, "row {i}: {norm}");
    }
    // Standardised: zero mean and unit variance per column (non-constant columns).
    let u = FastRp::params().dim(64).check().unwrap().embed(&g).unwrap();
    for c in 0..64 {
        let mean = (0..34).map(|i| f64::from(u[(i, c)])).sum::<f64>() / 34.0;
        let var = (0..34)
            .map(|i| (f64::from(u[(i, c)]) - mean).powi(2))
            .sum::<f64>()
            / 34.0;
        assert!(mean.abs() < 1e-5, "column {c}: mean {mean}");
        assert!(
            var < 1e-10 || (var - 1.0).abs() < 1e-4,
            "column {c}: variance {var}"
        );
    }
}

#[test]
fn projection_has_the_very_sparse_distribution() {
    let fastrp = FastRp::params().dim(200).seed(3).check().unwrap();
    let n = 2500;
    let r = fastrp.projection(n);
    // s = √2500 = 50: nonzero with probability 1/50, value ±√(50/200) = ±0.5, signs balanced.
    let entries: Vec<f64> = r.iter().flatten().map(|&(_, v)| v).collect();
    let total = (n * 200) as f64;
    let expected = total / 50.0;
    let sd = (total * (1.0 / 50.0) * (49.0 / 50.0)).sqrt();
    assert!(
        (entries.len() as f64 - expected).abs() < 4.0 * sd,
        "{}",
        entries.len()
    );
    assert!(entries.iter().all(|v| (v.abs() - 0.5).abs() < 1e-12));
    let positive = entries.iter().filter(|&&v| v > 0.0).count() as f64;
    let m = entries.len() as f64;
    assert!((positive - m / 2.0).abs() < 4.0 * (m / 4.0).sqrt());
    // Columns strictly increase within a row, and the same seed gives the same matrix.
    assert!(
        r.iter()
            .all(|row| row.windows(2).all(|w| w[0].0 < w[1].0 && w[1].0 < 200))
    );
    assert_eq!(r, fastrp.projection(n));
}

#[test]
fn same_faction_members_are_closer() {
    let g = karate();
    let u = FastRp::params()
        .dim(256)
        .weights(&[1.0, 1.0, 1.0])
        .beta(0.0)
        .standardize(false)
        .seed(5)
        .check()
        .unwrap()
        .embed(&g)
        .unwrap();
    let cosine = |i: usize, j: usize| {
        let (mut dot, mut ni, mut nj) = (0.0f64, 0.0f64, 0.0f64);
        for c in 0..256 {
            let (a, b) = (f64::from(u[(i, c)]), f64::from(u[(j, c)]));
            dot += a * b;
            ni += a * a;
            nj += b * b;
        }
        dot / (ni * nj).sqrt()
    };
    let faction = |i: usize| MR_HI.contains(&i);
    let (mut within, mut nw, mut between, mut nb) = (0.0, 0, 0.0, 0);
    for i in 0..34 {
        for j in (i + 1)..34 {
            if faction(i) == faction(j) {
                within += cosine(i, j);
                nw += 1;
            } else {
                between += cosine(i, j);
                nb += 1;
            }
        }
    }
    let (within, between) = (within / nw as f64, between / nb as f64);
    assert!(within > between + 0.2, "within {within}, between {between}");
}

#[test]
fn isolated_nodes_and_bad_parameters() {
    let mut edges = KARATE.to_vec();
    edges.push([0, 0]); // a self-loop counts once in the degree
    let g = Graph::from_edges(&edges, Some(36)).unwrap();
    assert_eq!(g.degrees()[0], 17);
    assert_eq!(g.num_edges(), 79);
    let u = FastRp::params()
        .dim(32)
        .standardize(false)
        .check()
        .unwrap()
        .embed(&g)
        .unwrap();
    assert!((0..36).all(|i| (0..32).all(|c| u[(i, c)].is_finite())));
    assert!((34..36).all(|i| (0..32).all(|c| u[(i, c)] == 0.0)));
    let u = FastRp::params().dim(32).check().unwrap().embed(&g).unwrap();
    assert!((0..36).all(|i| (0..32).all(|c| u[(i, c)].is_finite())));

    let name = |r: sampling::Result<FastRp>| match r.unwrap_err() {
        sampling::Error::Linalg(e) => e.invalid_parameter_name(),
        _ => None,
    };
    assert_eq!(name(FastRp::params().dim(0).check()), Some("dim"));
    assert_eq!(name(FastRp::params().weights(&[]).check()), Some("weights"));
    assert_eq!(
        name(FastRp::params().weights(&[1.0, f64::NAN]).check()),
        Some("weights")
    );
    assert_eq!(
        name(FastRp::params().beta(f64::INFINITY).check()),
        Some("beta")
    );
    assert_eq!(
        name(FastRp::params().sparsity(0.5).check()),
        Some("sparsity")
    );
    let empty = Graph::from_edges(&[], None).unwrap();
    assert!(FastRp::params().check().unwrap().embed(&empty).is_err());
}

#[test]
fn f1_matches_hand_count() {
    // Labels 0..4. Item sets (truth → predicted):
    // {0,1} → {0,2}; {1} → {1}; {2,3} → {3,1}; {0} → {0,0} (duplicate counts once).
    let truth = vec![vec![0, 1], vec![1], vec![2, 3], vec![0]];
    let predicted = vec![vec![0, 2], vec![1], vec![3, 1], vec![0, 0]];
    // Per label (tp, fp, fn): 0: (2,0,0); 1: (1,1,1); 2: (0,1,1); 3: (1,0,0); 4: (0,0,0).
    let f1 = f1_scores(&truth, &predicted, 5).unwrap();
    let micro = 2.0 * 4.0 / (2.0 * 4.0 + 2.0 + 2.0);
    let per_label = [1.0, 2.0 / 4.0, 0.0, 1.0, 0.0];
    let macro_f1 = per_label.iter().sum::<f64>() / 5.0;
    assert!((f1.micro - micro).abs() < 1e-15, "{}", f1.micro);
    assert!((f1.macro_f1 - macro_f1).abs() < 1e-15, "{}", f1.macro_f1);
    assert!(f1_scores(&truth, &predicted[..3], 5).is_err());
    assert!(f1_scores(&truth, &predicted, 3).is_err());
}

/// `w + C Xᵀ(−y σ(−y z))` and the intercept's derivative, for the unscaled objective.
fn objective_gradient(x: &Mat<f64>, y: &[bool], c: f64, w: &[f64], b: f64) -> (f64, Vec<f64>) {
    let (n, p) = (x.nrows(), x.ncols());
    let mut f = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
    let mut g: Vec<f64> = w.iter().copied().chain([0.0]).collect();
    for i in 0..n {
        let s = if y[i] { 1.0 } else { -1.0 };
        let z = (0..p).map(|j| x[(i, j)] * w[j]).sum::<f64>() + b;
        f += c * (1.0 + (-s * z).exp()).ln();
        let r = -s / (1.0 + (s * z).exp());
        for j in 0..p {
            g[j] += c * r * x[(i, j)];
        }
        g[p] += c * r;
    }
    (f, g)
}

#[test]
fn logistic_regression_reaches_the_optimum() {
    let mut rng = linalg::rng::seeded(9);
    let (n, p) = (120, 6);
    let x = linalg::rng::gaussian_mat(&mut rng, n, p);
    let noise = linalg::rng::gaussian_vec(&mut rng, n);
    let truth = [1.0, -2.0, 0.5, 0.0, 1.5, -0.5];
    for (separable, c) in [(false, 1.0), (false, 0.1), (true, 1.0)] {
        let y: Vec<bool> = (0..n)
            .map(|i| {
                let z: f64 = (0..p).map(|j| x[(i, j)] * truth[j]).sum::<f64>() + 0.3;
                if separable {
                    z > 0.0
                } else {
                    z + 1.5 * noise[i] > 0.0
                }
            })
            .collect();
        let model = LogisticRegression::params()
            .c(c)
            .tol(1e-10)
            .max_iter(2000)
            .check()
            .unwrap()
            .fit(x.as_ref(), &y)
            .unwrap();
        assert!(model.converged, "{separable} {c}: {model:?}");
        let (f, g) = objective_gradient(&x, &y, c, &model.weights, model.intercept);
        let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            gmax < 1e-7 * c * n as f64 + 1e-9,
            "{separable} {c}: gradient {gmax}"
        );
        // Any perturbation increases the objective (strict convexity at the optimum).
        for k in 0..p {
            let mut w = model.weights.clone();
            w[k] += 1e-3;
            assert!(objective_gradient(&x, &y, c, &w, model.intercept).0 > f);
        }
        // Predictions agree with the labels on most samples.
        let correct = (0..n)
            .filter(|&i| {
                let row: Vec<f64> = (0..p).map(|j| x[(i, j)]).collect();
                (model.decision(&row) > 0.0) == y[i]
            })
            .count();
        assert!(correct as f64 > if separable { 0.95 } else { 0.7 } * n as f64);
    }
    // Bad input.
    let y = vec![true; n - 1];
    assert!(
        LogisticRegression::params()
            .check()
            .unwrap()
            .fit(x.as_ref(), &y)
            .is_err()
    );
    assert!(LogisticRegression::params().c(0.0).check().is_err());
    assert!(LogisticRegression::params().tol(f64::NAN).check().is_err());
    let mut bad = x.clone();
    bad[(3, 2)] = f64::NAN;
    let y = vec![true; n];
    assert!(
        LogisticRegression::params()
            .check()
            .unwrap()
            .fit(bad.as_ref(), &y)
            .is_err()
    );
}

#[test]
fn classification_of_karate_factions() {
    let g = karate();
    let u = FastRp::params()
        .dim(64)
        .weights(&[1.0, 1.0, 1.0])
        .beta(0.0)
        .seed(2)
        .check()
        .unwrap()
        .embed(&g)
        .unwrap();
    let labels: Vec<Vec<usize>> = (0..34)
        .map(|i| vec![usize::from(!MR_HI.contains(&i))])
        .collect();
    let eval = NodeClassification::params()
        .train_fraction(0.5)
        .shuffles(5)
        .check()
        .unwrap()
        .evaluate(u.as_ref(), &labels, 2)
        .unwrap();
    assert_eq!(eval.per_split.len(), 5);
    // One label per node: micro-F1 is the accuracy; chance is about 0.5.
    assert!(eval.mean.micro > 0.8, "{:?}", eval.mean);
    // Bad input.
    let protocol = NodeClassification::params().check().unwrap();
    assert!(protocol.evaluate(u.as_ref(), &labels[..33], 2).is_err());
    assert!(protocol.evaluate(u.as_ref(), &labels, 1).is_err());
    assert!(
        NodeClassification::params()
            .train_fraction(1.0)
            .check()
            .is_err()
    );
    assert!(NodeClassification::params().shuffles(0).check().is_err());
    // 10% of 34 nodes leaves 3 training nodes: allowed; 1% leaves none: an error.
    let tiny = NodeClassification::params()
        .train_fraction(0.01)
        .check()
        .unwrap();
    assert!(tiny.evaluate(u.as_ref(), &labels, 2).is_err());
}

/// A node id at the top of the integer range is an error, not an overflow or an abort.
#[test]
fn huge_node_ids_are_errors() {
    assert!(Graph::from_edges(&[[0, usize::MAX]], None).is_err());
    assert!(Graph::from_edges(&[[0, 1usize << 60]], None).is_err());
    // Ids far beyond the edge count are refused before anything is sized by them (an id of
    // 10¹⁰ in a one-line file would otherwise zero 80 GB) ...
    let e = Graph::read_text("0 10000000000\n".as_bytes(), "big.txt", None).unwrap_err();
    assert!(
        e.to_string().contains("node id far beyond the edge count"),
        "{e}"
    );
    // ... while sparse ids up to 2²⁴ and an explicit node count still build the graph.
    let g = Graph::read_text("0 16000000\n".as_bytes(), "sparse.txt", None).unwrap();
    assert_eq!((g.num_nodes(), g.num_edges()), (16_000_001, 1));
    assert!(Graph::from_edges(&[[0, 20_000_000]], Some(20_000_001)).is_ok());
}
