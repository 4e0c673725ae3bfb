#![doc = include_str!("../README.md")]

pub mod adaptive;
pub mod affine;
pub mod behaviour;
pub mod bopdmd;
pub mod clustering;
mod complex;
pub mod complex_dmd;
pub mod deim;
pub mod dictionary;
pub mod dmd;
pub mod dmdc;
pub mod ecm;
pub mod edmd;
mod error;
pub mod error_estimator;
pub mod fbdmd;
pub mod gappy;
pub mod greedy;
pub mod hodmd;
pub mod hyper_reduced;
pub mod inner_product;
pub mod kmeans;
pub mod local_bases;
pub mod mrdmd;
pub mod pidmd;
pub mod pod;
pub mod rdmd;
pub mod resdmd;
pub mod snapshots;
pub mod spdmd;
pub mod time_delay;
pub mod tlsdmd;

pub use affine::{
    AffineProblem, AffineProblemBuilder, ParameterBox, ReducedModel, ReducedSolution,
};
pub use clustering::{Clustering, DissimilarityMatrix, KMedoids, KMedoidsParams};
pub use complex_dmd::ComplexDmdModel;
pub use deim::{DeimInterpolation, DeimVariant};
pub use dictionary::{Dictionary, GaussianRbf, Monomials};
pub use dmd::{Amplitudes, Dmd, DmdModel, DmdParams, DynamicModes};
pub use ecm::{Cubature, Ecm, EcmMethod, EcmParams};
pub use edmd::{Edmd, EdmdModel, EdmdParams};
pub use error::{Error, Result};
pub use error_estimator::{CertifiedReducedModel, CertifiedSolution, ResidualEstimator};
pub use fbdmd::{FbDmd, FbDmdParams};
pub use greedy::{GreedyResult, WeakGreedy, WeakGreedyParams};
pub use hodmd::{Hodmd, HodmdParams};
pub use inner_product::InnerProduct;
pub use kmeans::{KMeans, KMeansFit, KMeansParams};
pub use local_bases::{LocalBases, LocalPod, LocalPodParams};
pub use mrdmd::{MrDmd, MrDmdModel, MrDmdParams};
pub use pod::{Pod, PodBasis, PodParams, SnapshotMatrix};
pub use resdmd::{ResDmd, ResDmdParams, ResDmdReport};
pub use spdmd::{SparseDmd, SparseDmdModel, SparseDmdParams};
pub use time_delay::{HankelDmd, HankelDmdParams, TimeDelayModel};
pub use tlsdmd::{TlsDmd, TlsDmdParams};
