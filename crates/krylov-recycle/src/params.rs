//! Unchecked parameter sets, checked into solvers: `Gmres::params().restart(40).rtol(1e-8)
//! .check()?` (the pattern of linfa's `ParamGuard`). Every set has the stopping-rule setters
//! `rtol`, `atol`, `max_iters`, `max_time` and `stop` (a whole [`StopCriteria`]); `check`
//! validates everything and returns the solver, or [`linalg::Error::InvalidParameter`] naming
//! the first bad value. The constructors (`Gmres::new(restart, stop)`, …) stay as they were.
//!
//! | method | parameters (default) |
//! |---|---|
//! | [`Cg`], [`Minres`], [`BiCgStab`] | the stopping rule only |
//! | [`Gmres`], [`Fgmres`] | `restart` (30, as PETSc), `orthogonalization` (CGS2) |
//! | [`Gcrodr`] | `restart` m (40), `recycle` k (20), `augment_solution` (off) |
//! | [`RecycledCg`] | `recycle` k (20) |
//! | [`Dcdm`] | `window` (2) |
//!
//! # Example
//! ```
//! use krylov_recycle::Gmres;
//!
//! let gmres = Gmres::params().restart(40).rtol(1e-8).check()?;
//! assert_eq!(gmres.restart(), 40);
//! assert!(Gmres::params().restart(0).check().is_err());
//! assert!(Gmres::params().rtol(-1.0).check().is_err());
//! # Ok::<(), krylov_recycle::Error>(())
//! ```

use std::time::Duration;

use linalg::StopCriteria;

use crate::{
    BiCgStab, Cg, Dcdm, Fgmres, Gcrodr, Gmres, Minres, Orthogonalization, RecycledCg, Result,
};

/// The stopping-rule setters every parameter set has.
macro_rules! stop_setters {
    () => {
        /// Sets the relative tolerance (see [`StopCriteria`]).
        pub fn rtol(mut self, rtol: f64) -> Self {
            self.stop = self.stop.rtol(rtol);
            self
        }
        /// Sets the absolute tolerance.
        pub fn atol(mut self, atol: f64) -> Self {
            self.stop = self.stop.atol(atol);
            self
        }
        /// Sets the iteration cap.
        pub fn max_iters(mut self, max_iters: usize) -> Self {
            self.stop = self.stop.max_iters(max_iters);
            self
        }
        /// Sets the wall-clock cap.
        pub fn max_time(mut self, max_time: Duration) -> Self {
            self.stop = self.stop.max_time(max_time);
            self
        }
        /// Replaces the whole stopping rule.
        pub fn stop(mut self, stop: StopCriteria) -> Self {
            self.stop = stop;
            self
        }
    };
}

/// A parameter set with only a stopping rule, for [`Cg`], [`Minres`] and [`BiCgStab`]
/// (`S` is the solver it checks into).
///
/// ```
/// let cg = krylov_recycle::Cg::params().rtol(1e-10).max_iters(200).check()?;
/// assert_eq!(cg.stop().max_iters, 200);
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StopParams<S> {
    stop: StopCriteria,
    solver: std::marker::PhantomData<fn() -> S>,
}

impl<S> StopParams<S> {
    fn new() -> Self {
        Self {
            stop: StopCriteria::default(),
            solver: std::marker::PhantomData,
        }
    }
    stop_setters!();
}

macro_rules! stop_only {
    ($t:ident) => {
        impl $t {
            /// The parameter set with its defaults (see [`crate::params`]).
            pub fn params() -> StopParams<$t> {
                StopParams::new()
            }
        }
        impl StopParams<$t> {
            /// Checks the parameters and builds the solver.
            ///
            /// # Errors
            /// [`linalg::Error::InvalidParameter`] for a bad stopping rule.
            pub fn check(self) -> Result<$t> {
                $t::new(self.stop)
            }
        }
    };
}

stop_only!(Cg);
stop_only!(Minres);
stop_only!(BiCgStab);

/// The parameters of [`Gmres`] and [`Fgmres`] (`S`): restart length, orthogonalisation,
/// stopping rule.
///
/// ```
/// use krylov_recycle::{Fgmres, Orthogonalization};
/// let f = Fgmres::params().restart(20).orthogonalization(Orthogonalization::Mgs2).check()?;
/// assert_eq!(f.restart(), 20);
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GmresParams<S> {
    restart: usize,
    orthogonalization: Orthogonalization,
    stop: StopCriteria,
    solver: std::marker::PhantomData<fn() -> S>,
}

impl<S> GmresParams<S> {
    fn new() -> Self {
        Self {
            restart: 30,
            orthogonalization: Orthogonalization::default(),
            stop: StopCriteria::default(),
            solver: std::marker::PhantomData,
        }
    }
    /// Sets the restart length `m ≥ 1` (default 30).
    pub fn restart(mut self, restart: usize) -> Self {
        self.restart = restart;
        self
    }
    /// Sets the orthogonalisation (default [`Orthogonalization::Cgs2`]).
    pub fn orthogonalization(mut self, orthogonalization: Orthogonalization) -> Self {
        self.orthogonalization = orthogonalization;
        self
    }
    stop_setters!();
}

impl Gmres {
    /// The parameter set with its defaults (see [`crate::params`]).
    pub fn params() -> GmresParams<Gmres> {
        GmresParams::new()
    }
}

impl GmresParams<Gmres> {
    /// Checks the parameters and builds the solver.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `restart = 0` or a bad stopping rule.
    pub fn check(self) -> Result<Gmres> {
        Ok(Gmres::new(self.restart, self.stop)?.orthogonalization(self.orthogonalization))
    }
}

impl Fgmres {
    /// The parameter set with its defaults (see [`crate::params`]).
    pub fn params() -> GmresParams<Fgmres> {
        GmresParams::new()
    }
}

impl GmresParams<Fgmres> {
    /// Checks the parameters and builds the solver.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `restart = 0` or a bad stopping rule.
    pub fn check(self) -> Result<Fgmres> {
        Ok(Fgmres::new(self.restart, self.stop)?.orthogonalization(self.orthogonalization))
    }
}

/// The parameters of [`Gcrodr`].
///
/// ```
/// let g = krylov_recycle::Gcrodr::params().restart(30).recycle(10).check()?;
/// assert_eq!((g.restart(), g.recycle()), (30, 10));
/// assert!(krylov_recycle::Gcrodr::params().restart(10).recycle(10).check().is_err());
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GcrodrParams {
    restart: usize,
    recycle: usize,
    augment: bool,
    stop: StopCriteria,
}

impl GcrodrParams {
    /// Sets the cycle length `m ≥ 2` (default 40).
    pub fn restart(mut self, restart: usize) -> Self {
        self.restart = restart;
        self
    }
    /// Sets the recycle dimension `1 ≤ k < m` (default 20).
    pub fn recycle(mut self, recycle: usize) -> Self {
        self.recycle = recycle;
        self
    }
    /// See [`Gcrodr::augment_solution`] (default off).
    pub fn augment_solution(mut self, on: bool) -> Self {
        self.augment = on;
        self
    }
    stop_setters!();

    /// Checks the parameters and builds the solver.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for `m < 2`, `k = 0`, `k ≥ m` or a bad stopping
    /// rule.
    pub fn check(self) -> Result<Gcrodr> {
        Ok(Gcrodr::new(self.restart, self.recycle, self.stop)?.augment_solution(self.augment))
    }
}

impl Gcrodr {
    /// The parameter set with its defaults (see [`crate::params`]).
    pub fn params() -> GcrodrParams {
        GcrodrParams {
            restart: 40,
            recycle: 20,
            augment: false,
            stop: StopCriteria::default(),
        }
    }
}

/// The parameters of [`RecycledCg`].
///
/// ```
/// let r = krylov_recycle::RecycledCg::params().recycle(8).check()?;
/// assert_eq!(r.recycle(), 8);
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RecycledCgParams {
    recycle: usize,
    stop: StopCriteria,
}

impl RecycledCgParams {
    /// Sets the recycle dimension `k` (default 20).
    pub fn recycle(mut self, recycle: usize) -> Self {
        self.recycle = recycle;
        self
    }
    stop_setters!();

    /// Checks the parameters and builds the solver.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad recycle dimension or stopping rule.
    pub fn check(self) -> Result<RecycledCg> {
        RecycledCg::new(self.recycle, self.stop)
    }
}

impl RecycledCg {
    /// The parameter set with its defaults (see [`crate::params`]).
    pub fn params() -> RecycledCgParams {
        RecycledCgParams {
            recycle: 20,
            stop: StopCriteria::default(),
        }
    }
}

/// The parameters of [`Dcdm`].
///
/// ```
/// let d = krylov_recycle::Dcdm::params().window(4).check()?;
/// assert_eq!(d.window_len(), 4);
/// # Ok::<(), krylov_recycle::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DcdmParams {
    window: usize,
    stop: StopCriteria,
}

impl DcdmParams {
    /// Sets the orthogonalisation window (default 2).
    pub fn window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }
    stop_setters!();

    /// Checks the parameters and builds the solver.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] for a bad stopping rule.
    pub fn check(self) -> Result<Dcdm> {
        Ok(Dcdm::new(self.stop)?.window(self.window))
    }
}

impl Dcdm {
    /// The parameter set with its defaults (see [`crate::params`]).
    pub fn params() -> DcdmParams {
        DcdmParams {
            window: 2,
            stop: StopCriteria::default(),
        }
    }
}
