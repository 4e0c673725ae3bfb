//! Undirected, unweighted graphs in compressed sparse row (CSR) form, read from edge lists (npy
//! arrays or text files), and the BlogCatalog social graph embedded in the library.
//!
//! A [`Graph`] stores the symmetric adjacency matrix `A` of a simple undirected graph: each
//! edge `{i, j}` appears as `A[i][j] = A[j][i] = 1`, duplicate edges (in either direction) are
//! merged, and a self-loop `{i, i}` is one diagonal entry (it adds 1 to the degree of `i`).
//! Nodes are `0..n`; nodes without edges (isolated nodes) are allowed and have degree 0.
//!
//! # Example
//! ```
//! use sampling::graph::Graph;
//!
//! // A path 0 - 1 - 2 plus an isolated node 3 (declared by the node count).
//! let g = Graph::from_edges(&[[0, 1], [2, 1], [1, 0]], Some(4))?;
//! assert_eq!((g.num_nodes(), g.num_edges()), (4, 2));
//! assert_eq!(g.degrees(), vec![1, 2, 1, 0]);
//! assert_eq!(g.neighbors(1), &[0, 2]);
//! # Ok::<(), sampling::Error>(())
//! ```

use std::io::BufRead;
use std::path::Path;

use faer::sparse::{SparseRowMat, SymbolicSparseRowMat};
use ndarray::Array2;
use ndarray_npy::NpzReader;

use crate::Result;

/// Without an explicit node count, the largest id accepted below `16 × edges` (about 16
/// million): larger ids with few edges mean a corrupt file, not a graph.
const MAX_INFERRED_NODES: usize = 1 << 24;

/// A simple undirected graph with a symmetric CSR adjacency structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    row_ptr: Vec<usize>,
    col_idx: Vec<usize>,
}

impl Graph {
    /// The graph of an edge list `[i, j]` (0-based node ids, both directions mean the same
    /// edge). With `nodes = Some(n)` the graph has `n` nodes and every id must be below `n`;
    /// with `None` it has `max id + 1` nodes (0 nodes for an empty list).
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`edges`) for an id `>= n`, or, without `nodes`, an
    /// id of at least `max(2²⁴, 16 × edges)` (a node count read from the data is bounded by
    /// the data).
    ///
    /// # Example
    /// ```
    /// use sampling::graph::Graph;
    /// let triangle = Graph::from_edges(&[[0, 1], [1, 2], [2, 0]], None)?;
    /// assert_eq!(triangle.degrees(), vec![2, 2, 2]);
    /// assert!(Graph::from_edges(&[[0, 5]], Some(3)).is_err());
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn from_edges(edges: &[[usize; 2]], nodes: Option<usize>) -> Result<Self> {
        let n = match nodes {
            Some(n) => {
                if let Some(e) = edges.iter().find(|e| e[0] >= n || e[1] >= n) {
                    return Err(linalg::Error::invalid_parameter_in(
                        "edges",
                        e,
                        format_args!("{n} nodes"),
                        "node ids must be below the number of nodes",
                    )
                    .into());
                }
                n
            }
            None => match edges.iter().map(|e| e[0].max(e[1])).max() {
                // Ids read from a file size the graph: a sparse id far beyond the edge count
                // (a corrupt or 1-based-by-mistake-scaled file) is refused, not allocated;
                // pass `nodes` to build such a graph on purpose.
                Some(top) if top >= MAX_INFERRED_NODES.max(16 * edges.len()) => {
                    return Err(linalg::Error::invalid_parameter_in(
                        "edges",
                        top,
                        format_args!("{} edges", edges.len()),
                        "node id far beyond the edge count (at most max(2^24, 16 x edges) without an explicit node count)",
                    )
                    .into());
                }
                Some(top) => top + 1,
                None => 0,
            },
        };
        // Counting sort of both directions by source node. The node count comes from the
        // data, so its allocation is tried rather than assumed (an id of 10¹² is an error, not
        // an abort).
        let mut counts: Vec<usize> = Vec::new();
        counts
            .try_reserve_exact(n.saturating_add(1))
            .map_err(|_| linalg::Error::invalid_parameter("nodes", n, "too many to allocate"))?;
        counts.resize(n + 1, 0);
        for &[i, j] in edges {
            counts[i + 1] += 1;
            if i != j {
                counts[j + 1] += 1;
            }
        }
        for k in 0..n {
            counts[k + 1] += counts[k];
        }
        let mut next = counts.clone();
        let mut targets = vec![0usize; counts[n]];
        for &[i, j] in edges {
            targets[next[i]] = j;
            next[i] += 1;
            if i != j {
                targets[next[j]] = i;
                next[j] += 1;
            }
        }
        // Sort and deduplicate each row.
        let mut row_ptr = Vec::with_capacity(n + 1);
        let mut col_idx = Vec::with_capacity(targets.len());
        row_ptr.push(0);
        for i in 0..n {
            let row = &mut targets[counts[i]..counts[i + 1]];
            row.sort_unstable();
            let mut last = None;
            for &j in row.iter() {
                if last != Some(j) {
                    col_idx.push(j);
                    last = Some(j);
                }
            }
            row_ptr.push(col_idx.len());
        }
        Ok(Self { row_ptr, col_idx })
    }

    /// The graph of an `(E, 2)` integer array of edges, as [`Graph::from_edges`].
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] (`edges`) for a negative id or an id `>= n`;
    /// [`linalg::Error::ShapeMismatch`] if the array does not have 2 columns.
    pub fn from_edge_array(edges: &Array2<i64>, nodes: Option<usize>) -> Result<Self> {
        if edges.ncols() != 2 {
            return Err(linalg::Error::shape("edge array", (edges.nrows(), 2), edges.dim()).into());
        }
        let mut list = Vec::with_capacity(edges.nrows());
        for row in edges.rows() {
            let (i, j) = (row[0], row[1]);
            match (usize::try_from(i), usize::try_from(j)) {
                (Ok(i), Ok(j)) => list.push([i, j]),
                _ => {
                    return Err(linalg::Error::invalid_parameter(
                        "edges",
                        [i, j],
                        "node ids must be non-negative",
                    )
                    .into());
                }
            }
        }
        Self::from_edges(&list, nodes)
    }

    /// Reads an `(E, 2)` edge array of dtype int32 or int64 from an npy file.
    ///
    /// # Errors
    /// [`linalg::Error::Io`] if the file cannot be opened, [`linalg::Error::Npy`] if it is not
    /// a 2-d int32/int64 npy array, and the errors of [`Graph::from_edge_array`].
    pub fn from_npy(path: impl AsRef<Path>, nodes: Option<usize>) -> Result<Self> {
        let path = path.as_ref();
        let edges = match linalg::npy::read_npy::<_, ndarray::Ix2>(path) {
            Ok(e) => e,
            Err(first) => match linalg::npy::read_npy::<ndarray::OwnedRepr<i32>, _>(path) {
                Ok(e) => e.mapv(i64::from),
                Err(_) => return Err(first.into()),
            },
        };
        Self::from_edge_array(&edges, nodes)
    }

    /// Reads a text edge list: one edge per line as two whitespace-separated integers; blank
    /// lines and everything after a `#` are ignored.
    ///
    /// # Errors
    /// [`linalg::Error::Io`] if the file cannot be read, [`linalg::Error::Parse`] (with the line
    /// number) for a line that is not two non-negative integers, and the errors of
    /// [`Graph::from_edges`].
    pub fn from_text(path: impl AsRef<Path>, nodes: Option<usize>) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| linalg::Error::io(path, e))?;
        Self::read_text(std::io::BufReader::new(file), path, nodes)
    }

    /// As [`Graph::from_text`], from any reader; `name` is used in error messages.
    ///
    /// # Errors
    /// As [`Graph::from_text`].
    ///
    /// # Example
    /// ```
    /// use sampling::graph::Graph;
    /// let text = "# a star\n0 1\n0 2  # comment\n\n0\t3\n";
    /// let g = Graph::read_text(text.as_bytes(), "star.txt", None)?;
    /// assert_eq!(g.degrees(), vec![3, 1, 1, 1]);
    /// assert!(Graph::read_text("0 x\n".as_bytes(), "bad.txt", None).is_err());
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn read_text(
        reader: impl BufRead,
        name: impl AsRef<Path>,
        nodes: Option<usize>,
    ) -> Result<Self> {
        let name = name.as_ref();
        let mut edges = Vec::new();
        let mut top = (0, 0);
        for (k, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| linalg::Error::io(name, e))?;
            let content = line.split('#').next().unwrap_or("");
            let fields: Vec<&str> = content.split_whitespace().collect();
            if fields.is_empty() {
                continue;
            }
            let parse_error = |message: String| linalg::Error::Parse {
                path: name.to_path_buf(),
                line: k + 1,
                message,
            };
            if fields.len() != 2 {
                return Err(parse_error(format!(
                    "expected two node ids, found {} fields",
                    fields.len()
                ))
                .into());
            }
            let mut ids = [0usize; 2];
            for (id, field) in ids.iter_mut().zip(&fields) {
                *id = field.parse().map_err(|_| {
                    parse_error(format!("`{field}` is not a non-negative integer node id"))
                })?;
            }
            if ids[0].max(ids[1]) >= top.0 {
                top = (ids[0].max(ids[1]), k + 1);
            }
            edges.push(ids);
        }
        // An id the graph cannot hold is reported at the line of the largest one.
        Self::from_edges(&edges, nodes).map_err(|e| {
            linalg::Error::Parse {
                path: name.to_path_buf(),
                line: top.1,
                message: e.to_string(),
            }
            .into()
        })
    }

    /// The number of nodes `n`.
    pub fn num_nodes(&self) -> usize {
        self.row_ptr.len() - 1
    }

    /// The number of distinct undirected edges (a self-loop counts once).
    pub fn num_edges(&self) -> usize {
        let loops = (0..self.num_nodes())
            .filter(|&i| self.neighbors(i).binary_search(&i).is_ok())
            .count();
        (self.col_idx.len() + loops) / 2
    }

    /// The sorted neighbours of node `i`.
    ///
    /// # Panics
    /// If `i >= n`.
    pub fn neighbors(&self, i: usize) -> &[usize] {
        &self.col_idx[self.row_ptr[i]..self.row_ptr[i + 1]]
    }

    /// The degree of every node (row sums of `A`).
    pub fn degrees(&self) -> Vec<usize> {
        self.row_ptr.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// The CSR row pointers (`n + 1` entries) and column indices of `A`.
    pub fn csr(&self) -> (&[usize], &[usize]) {
        (&self.row_ptr, &self.col_idx)
    }

    /// The adjacency matrix `A` as a faer CSR matrix of ones.
    ///
    /// # Example
    /// ```
    /// use sampling::graph::Graph;
    /// let g = Graph::from_edges(&[[0, 1]], None)?;
    /// let a = g.adjacency().to_dense();
    /// assert_eq!(a, faer::mat![[0.0, 1.0], [1.0, 0.0]]);
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn adjacency(&self) -> linalg::CsrMatrix {
        let n = self.num_nodes();
        // The structure is sorted and deduplicated by construction.
        let symbolic = SymbolicSparseRowMat::new_checked(
            n,
            n,
            self.row_ptr.clone(),
            None,
            self.col_idx.clone(),
        );
        SparseRowMat::new(symbolic, vec![1.0; self.col_idx.len()])
    }
}

/// The BlogCatalog social graph (Tang and Liu, 2009) with its group memberships, embedded in the
/// library: 10312 bloggers, 333983 undirected friendship edges, 39 groups (14476 memberships,
/// several per node). The origin note is in the crate's `data/README.md`.
#[derive(Clone, Debug)]
pub struct BlogCatalog {
    /// The friendship graph.
    pub graph: Graph,
    /// The groups of each node, sorted (node `i`'s labels in `labels[i]`).
    pub labels: Vec<Vec<usize>>,
    /// The number of groups (39).
    pub num_labels: usize,
}

const BLOGCATALOG_NPZ: &[u8] = include_bytes!("../data/blogcatalog.npz");

impl BlogCatalog {
    /// The embedded data set.
    ///
    /// # Errors
    /// [`linalg::Error::Npy`] only if the embedded archive was corrupted (shapes are checked).
    ///
    /// # Example
    /// ```
    /// use sampling::graph::BlogCatalog;
    /// let data = BlogCatalog::load()?;
    /// assert_eq!((data.graph.num_nodes(), data.graph.num_edges()), (10312, 333983));
    /// assert_eq!(data.labels.iter().map(Vec::len).sum::<usize>(), 14476);
    /// # Ok::<(), sampling::Error>(())
    /// ```
    pub fn load() -> Result<Self> {
        let bad = |message: String| linalg::Error::Npy {
            path: "data/blogcatalog.npz (embedded)".into(),
            message,
        };
        let mut npz = NpzReader::new(std::io::Cursor::new(BLOGCATALOG_NPZ))
            .map_err(|e| bad(e.to_string()))?;
        let edges: Array2<i32> = npz.by_name("edges").map_err(|e| bad(e.to_string()))?;
        let member: Array2<u8> = npz.by_name("labels").map_err(|e| bad(e.to_string()))?;
        let n = member.nrows();
        if edges.ncols() != 2 || n != 10312 || member.ncols() != 39 {
            return Err(bad(format!("shapes {:?} and {:?}", edges.dim(), member.dim())).into());
        }
        let graph = Graph::from_edge_array(&edges.mapv(i64::from), Some(n))?;
        let labels = member
            .rows()
            .into_iter()
            .map(|row| (0..row.len()).filter(|&c| row[c] != 0).collect())
            .collect();
        Ok(Self {
            graph,
            labels,
            num_labels: member.ncols(),
        })
    }
}
