//! The Norton elastoviscoplastic law with isotropic hardening and temperature-dependent
//! parameters, integrated by an implicit radial return.

use rom_core::behaviour::{Behaviour, BehaviourFailure};

use crate::Result;

/// Stress and strain components in plane strain: `[xx, yy, zz, xy]`.
pub const NCOMP: usize = 4;
/// Internal variables per point: `[εp_xx, εp_yy, εp_zz, γp_xy, p]`.
pub const NSTATE: usize = 5;
/// Index of the accumulated plastic strain `p` in the internal variables.
pub const P_INDEX: usize = 4;

/// Parameters of the [`Norton`] law (units: MPa, s, °C).
///
/// Temperature-dependent parameters are tables of `(temperature, value)` pairs with strictly
/// increasing temperatures, interpolated linearly in between and held constant outside (a
/// one-entry table is a constant). The defaults are representative values of the order of
/// magnitude of a nickel-base superalloy, not the data of a particular alloy:
///
/// | parameter | default |
/// |---|---|
/// | `young_modulus` `E(T)` | 200 000 MPa at 20 °C, 160 000 MPa at 800 °C |
/// | `poisson_ratio` `ν` | 0.3 |
/// | `thermal_expansion` `α` | 1.3·10⁻⁵ /°C |
/// | `reference_temperature` `T_ref` | 20 °C |
/// | `yield_stress` `σ_y(T)` | 300 MPa at 20 °C, 200 MPa at 800 °C |
/// | `drag_stress` `K(T)` | 1500 MPa·s^(1/n) at 20 °C, 1000 at 800 °C |
/// | `norton_exponent` `n` | 5 |
/// | `hardening_q`, `hardening_b` | `Q` = 100 MPa, `b` = 50 |
/// | `hardening_h` `H` | 2000 MPa |
///
/// ```
/// use pde_bench::elastoviscoplastic::NortonParams;
/// let mut params = NortonParams::default();
/// params.poisson_ratio = 0.5;
/// let err = params.check().unwrap_err();
/// assert_eq!(err.invalid_parameter_name(), Some("poisson_ratio"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NortonParams {
    /// Young's modulus `E(T)` in MPa (`> 0`).
    pub young_modulus: Vec<(f64, f64)>,
    /// Poisson's ratio `ν`, in `(−1, 0.5)`.
    pub poisson_ratio: f64,
    /// Thermal expansion coefficient `α` in 1/°C (finite, `≥ 0`).
    pub thermal_expansion: f64,
    /// Temperature `T_ref` at which the thermal strain vanishes, in °C.
    pub reference_temperature: f64,
    /// Initial yield stress `σ_y(T)` in MPa (`≥ 0`).
    pub yield_stress: Vec<(f64, f64)>,
    /// Drag stress `K(T)` of the Norton law in MPa·s^(1/n) (`> 0`).
    pub drag_stress: Vec<(f64, f64)>,
    /// Norton exponent `n` (`> 0`).
    pub norton_exponent: f64,
    /// Saturation `Q` of the exponential hardening, in MPa (`≥ 0`).
    pub hardening_q: f64,
    /// Rate `b` of the exponential hardening (`≥ 0`).
    pub hardening_b: f64,
    /// Linear hardening modulus `H` in MPa (`≥ 0`).
    pub hardening_h: f64,
}

impl Default for NortonParams {
    fn default() -> Self {
        Self {
            young_modulus: vec![(20.0, 200e3), (800.0, 160e3)],
            poisson_ratio: 0.3,
            thermal_expansion: 1.3e-5,
            reference_temperature: 20.0,
            yield_stress: vec![(20.0, 300.0), (800.0, 200.0)],
            drag_stress: vec![(20.0, 1500.0), (800.0, 1000.0)],
            norton_exponent: 5.0,
            hardening_q: 100.0,
            hardening_b: 50.0,
            hardening_h: 2000.0,
        }
    }
}

fn invalid(name: &'static str, value: impl std::fmt::Debug, reason: &'static str) -> crate::Error {
    linalg::Error::invalid_parameter(name, value, reason).into()
}

fn check_nonnegative(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(name, value, "must be finite and non-negative"))
    }
}

/// Checks a temperature table: non-empty, strictly increasing finite temperatures, values
/// finite and positive (or non-negative when `allow_zero`).
fn check_table(name: &'static str, table: &[(f64, f64)], allow_zero: bool) -> Result<()> {
    if table.is_empty() {
        return Err(invalid(
            name,
            table,
            "needs at least one (temperature, value) pair",
        ));
    }
    if table.iter().any(|(t, _)| !t.is_finite()) || table.windows(2).any(|w| w[1].0 <= w[0].0) {
        return Err(invalid(
            name,
            table,
            "temperatures must be finite and strictly increasing",
        ));
    }
    for &(_, v) in table {
        if allow_zero {
            check_nonnegative(name, v)?;
        } else {
            crate::error::check_positive(name, v)?;
        }
    }
    Ok(())
}

impl NortonParams {
    /// Checks every parameter against its valid range.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming the first parameter out of range: `E ≤ 0`,
    /// `ν ∉ (−1, 0.5)`, `α < 0`, `σ_y < 0`, `K ≤ 0`, `n ≤ 0`, `Q`, `b` or `H < 0`, a non-finite
    /// value or a table whose temperatures do not increase.
    pub fn check(&self) -> Result<()> {
        check_table("young_modulus", &self.young_modulus, false)?;
        let nu = self.poisson_ratio;
        if !(nu.is_finite() && nu > -1.0 && nu < 0.5) {
            return Err(invalid("poisson_ratio", nu, "must lie in (-1, 0.5)"));
        }
        check_nonnegative("thermal_expansion", self.thermal_expansion)?;
        if !self.reference_temperature.is_finite() {
            return Err(invalid(
                "reference_temperature",
                self.reference_temperature,
                "must be finite",
            ));
        }
        check_table("yield_stress", &self.yield_stress, true)?;
        check_table("drag_stress", &self.drag_stress, false)?;
        crate::error::check_positive("norton_exponent", self.norton_exponent)?;
        check_nonnegative("hardening_q", self.hardening_q)?;
        check_nonnegative("hardening_b", self.hardening_b)?;
        check_nonnegative("hardening_h", self.hardening_h)?;
        Ok(())
    }
}

/// Piecewise-linear interpolation in a checked table, constant outside its range.
fn interpolate(table: &[(f64, f64)], t: f64) -> f64 {
    let (first, last) = (table[0], table[table.len() - 1]);
    if t <= first.0 {
        return first.1;
    }
    if t >= last.0 {
        return last.1;
    }
    let k = table.partition_point(|&(tk, _)| tk <= t);
    let ((t0, v0), (t1, v1)) = (table[k - 1], table[k]);
    v0 + (v1 - v0) * (t - t0) / (t1 - t0)
}

/// The Norton elastoviscoplastic law (see the [module documentation](super) for the
/// equations), built from checked [`NortonParams`].
///
/// ```
/// use pde_bench::elastoviscoplastic::{Norton, NortonParams};
/// use rom_core::behaviour::Behaviour;
/// let law = Norton::new(NortonParams::default())?;
/// let (mut s, mut c, mut z) = ([0.0; 4], [0.0; 16], [0.0; 5]);
/// // Uniaxial strain of 0.5 % in 1 s at 20 °C: well past the yield point, so p grows.
/// law.integrate(&[0.0, 5e-3, 0.0, 0.0], 20.0, 1.0, &[0.0; 5], &mut z, &mut s, &mut c)?;
/// assert!(z[4] > 0.0);
/// // Viscoplastic flow relaxes the stress below the elastic response (λ + 2G) ε_yy.
/// assert!(s[1] < law.elastic_matrix(20.0)[5] * 5e-3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Norton {
    params: NortonParams,
}

/// Temperature-dependent material constants at one temperature.
#[derive(Clone, Copy, Debug)]
struct Constants {
    shear: f64,
    bulk: f64,
    yield_stress: f64,
    drag: f64,
}

impl Norton {
    /// The law with parameters `params`.
    ///
    /// # Errors
    /// Those of [`NortonParams::check`].
    pub fn new(params: NortonParams) -> Result<Self> {
        params.check()?;
        Ok(Self { params })
    }

    /// The parameters.
    pub fn params(&self) -> &NortonParams {
        &self.params
    }

    /// Young's modulus `E(T)` at temperature `t` (°C).
    pub fn young_modulus(&self, t: f64) -> f64 {
        interpolate(&self.params.young_modulus, t)
    }

    /// Yield stress `σ_y(T)` at temperature `t` (°C).
    pub fn yield_stress(&self, t: f64) -> f64 {
        interpolate(&self.params.yield_stress, t)
    }

    /// Norton drag stress `K(T)` at temperature `t` (°C).
    pub fn drag_stress(&self, t: f64) -> f64 {
        interpolate(&self.params.drag_stress, t)
    }

    /// Isotropic hardening `R(p) = Q (1 − e^{−b p}) + H p`.
    pub fn hardening(&self, p: f64) -> f64 {
        let q = &self.params;
        q.hardening_q * (1.0 - (-q.hardening_b * p).exp()) + q.hardening_h * p
    }

    /// `R'(p)`.
    fn hardening_slope(&self, p: f64) -> f64 {
        let q = &self.params;
        q.hardening_q * q.hardening_b * (-q.hardening_b * p).exp() + q.hardening_h
    }

    /// The plane-strain elastic stiffness at temperature `t`, row-major `4 × 4` in the
    /// ordering `[xx, yy, zz, xy]` with engineering shear.
    pub fn elastic_matrix(&self, t: f64) -> [f64; 16] {
        let c = self.constants(t);
        let lambda = c.bulk - 2.0 / 3.0 * c.shear;
        let mut d = [0.0; 16];
        for i in 0..3 {
            for j in 0..3 {
                d[4 * i + j] = lambda + if i == j { 2.0 * c.shear } else { 0.0 };
            }
        }
        d[15] = c.shear;
        d
    }

    fn constants(&self, t: f64) -> Constants {
        let e = self.young_modulus(t);
        let nu = self.params.poisson_ratio;
        Constants {
            shear: e / (2.0 * (1.0 + nu)),
            bulk: e / (3.0 * (1.0 - 2.0 * nu)),
            yield_stress: self.yield_stress(t),
            drag: self.drag_stress(t),
        }
    }

    /// Solves the scalar return-mapping equation in the viscous-stress variable
    /// `x = (Δp/Δt)^{1/n}` (so that `Δp = Δt xⁿ` and the viscous stress is `K x`):
    ///
    /// `F(x) = q_tr − 3G Δt xⁿ − σ_y − R(p_n + Δt xⁿ) − K x = 0`,
    ///
    /// decreasing in `x`, positive at 0 and non-positive at `x_hi = f_tr / K`. Newton's method
    /// from `x_hi` (monotone when `F` is concave), safeguarded by bisection of the bracket.
    /// Returns `(x, Δp)`.
    fn solve_viscous(
        &self,
        c: &Constants,
        q_tr: f64,
        p_old: f64,
        dt: f64,
    ) -> std::result::Result<(f64, f64), BehaviourFailure> {
        let n = self.params.norton_exponent;
        let f = |x: f64| {
            let dp = dt * x.powf(n);
            let value = q_tr
                - 3.0 * c.shear * dp
                - c.yield_stress
                - self.hardening(p_old + dp)
                - c.drag * x;
            // dF/dx = −(3G + R') dΔp/dx − K, dΔp/dx = n Δt x^{n−1}.
            let ddp = if x > 0.0 {
                n * dt * x.powf(n - 1.0)
            } else {
                0.0
            };
            let slope = -(3.0 * c.shear + self.hardening_slope(p_old + dp)) * ddp - c.drag;
            (value, slope, dp)
        };
        let f_trial = q_tr - c.yield_stress - self.hardening(p_old);
        let scale = q_tr.max(c.yield_stress).max(f64::MIN_POSITIVE);
        let tol = 4.0 * f64::EPSILON * scale;
        let (mut lo, mut hi) = (0.0_f64, f_trial / c.drag);
        // The plastic strain cannot exceed what relaxes the whole overstress elastically.
        let hi_elastic = (f_trial / (3.0 * c.shear * dt)).powf(1.0 / n);
        if hi_elastic.is_finite() && hi_elastic < hi {
            hi = hi_elastic;
        }
        let mut x = hi;
        for _ in 0..200 {
            let (value, slope, dp) = f(x);
            if !(value.is_finite() && slope.is_finite()) {
                return Err(BehaviourFailure::new(format!(
                    "non-finite return-mapping residual at x = {x:e} (q_trial = {q_tr:e})"
                )));
            }
            if value.abs() <= tol {
                return Ok((x, dp));
            }
            if value > 0.0 {
                lo = x;
            } else {
                hi = x;
            }
            let newton = x - value / slope;
            let next = if newton > lo && newton < hi && slope < 0.0 {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if next == x || hi - lo <= 4.0 * f64::EPSILON * hi {
                // The bracket cannot shrink further: x is the root to working precision.
                let (_, _, dp) = f(next);
                return Ok((next, dp));
            }
            x = next;
        }
        Err(BehaviourFailure::new(format!(
            "the return mapping did not converge in 200 iterations (q_trial = {q_tr:e}, p = {p_old:e}, dt = {dt:e})"
        )))
    }
}

impl Behaviour for Norton {
    /// `"norton"` (the parameter values are not part of the name).
    fn name(&self) -> String {
        "norton".into()
    }

    fn ncomp(&self) -> usize {
        NCOMP
    }

    fn nstate(&self) -> usize {
        NSTATE
    }

    fn dual_index(&self) -> usize {
        P_INDEX
    }

    fn integrate(
        &self,
        strain: &[f64],
        temperature: f64,
        dt: f64,
        state_old: &[f64],
        state_new: &mut [f64],
        stress: &mut [f64],
        tangent: &mut [f64],
    ) -> std::result::Result<(), BehaviourFailure> {
        if strain.len() != NCOMP
            || state_old.len() != NSTATE
            || state_new.len() != NSTATE
            || stress.len() != NCOMP
            || tangent.len() != NCOMP * NCOMP
        {
            return Err(BehaviourFailure::new(format!(
                "wrong sizes: strain {}, states {} and {}, stress {}, tangent {} (expected 4, 5, 5, 4, 16)",
                strain.len(),
                state_old.len(),
                state_new.len(),
                stress.len(),
                tangent.len()
            )));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(BehaviourFailure::new(format!(
                "time step {dt:e} must be finite and positive"
            )));
        }
        if !temperature.is_finite() || strain.iter().chain(state_old).any(|v| !v.is_finite()) {
            return Err(BehaviourFailure::new(
                "non-finite strain, temperature or internal variable",
            ));
        }
        let c = self.constants(temperature);
        let thermal =
            self.params.thermal_expansion * (temperature - self.params.reference_temperature);
        // Elastic trial strain as a tensor (xy is the tensor component, half the engineering one).
        let e = [
            strain[0] - state_old[0] - thermal,
            strain[1] - state_old[1] - thermal,
            strain[2] - state_old[2] - thermal,
            0.5 * (strain[3] - state_old[3]),
        ];
        let trace = e[0] + e[1] + e[2];
        let mean = trace / 3.0;
        let s_tr = [
            2.0 * c.shear * (e[0] - mean),
            2.0 * c.shear * (e[1] - mean),
            2.0 * c.shear * (e[2] - mean),
            2.0 * c.shear * e[3],
        ];
        let norm =
            (s_tr[0] * s_tr[0] + s_tr[1] * s_tr[1] + s_tr[2] * s_tr[2] + 2.0 * s_tr[3] * s_tr[3])
                .sqrt();
        let q_tr = (1.5_f64).sqrt() * norm;
        let p_old = state_old[P_INDEX];
        let pressure = c.bulk * trace;
        tangent.copy_from_slice(&self.elastic_matrix(temperature));
        state_new.copy_from_slice(state_old);
        if q_tr - c.yield_stress - self.hardening(p_old) <= 0.0 {
            for i in 0..3 {
                stress[i] = pressure + s_tr[i];
            }
            stress[3] = s_tr[3];
            return Ok(());
        }
        let (x, dp) = self.solve_viscous(&c, q_tr, p_old, dt)?;
        let g = c.shear;
        let beta = 1.0 - 3.0 * g * dp / q_tr;
        for i in 0..3 {
            stress[i] = pressure + beta * s_tr[i];
        }
        stress[3] = beta * s_tr[3];
        // Flow direction N = 3/2 s/q; Δεp = Δp N, engineering shear doubles the xy component.
        let flow = 1.5 * dp / q_tr;
        for i in 0..3 {
            state_new[i] = state_old[i] + flow * s_tr[i];
        }
        state_new[3] = state_old[3] + 2.0 * flow * s_tr[3];
        state_new[P_INDEX] = p_old + dp;
        // Consistent tangent: κ 1⊗1 + 2Gβ I_dev + 6G² (Δp/q_tr − 1/(3G + h)) n̂⊗n̂ with
        // h = R'(p) + dσ_v/dΔp; 1/(3G + h) = dΔp/dx / ((3G + R') dΔp/dx + K), finite at x → 0.
        let n = self.params.norton_exponent;
        let ddp = if x > 0.0 {
            n * dt * x.powf(n - 1.0)
        } else {
            0.0
        };
        let inv = ddp / ((3.0 * g + self.hardening_slope(p_old + dp)) * ddp + c.drag);
        let gamma = 6.0 * g * g * (dp / q_tr - inv);
        let lambda_bulk = c.bulk;
        let unit = [
            s_tr[0] / norm,
            s_tr[1] / norm,
            s_tr[2] / norm,
            s_tr[3] / norm,
        ];
        for i in 0..4 {
            for j in 0..4 {
                let mut v = gamma * unit[i] * unit[j];
                if i < 3 && j < 3 {
                    v +=
                        lambda_bulk + 2.0 * g * beta * (if i == j { 1.0 } else { 0.0 } - 1.0 / 3.0);
                } else if i == 3 && j == 3 {
                    v += g * beta;
                }
                tangent[4 * i + j] = v;
            }
        }
        if stress
            .iter()
            .chain(tangent.iter())
            .chain(state_new.iter())
            .any(|v| !v.is_finite())
        {
            return Err(BehaviourFailure::new(
                "the return mapping produced non-finite values",
            ));
        }
        Ok(())
    }
}
