//! Cyclic load histories.

use rom_core::snapshots::StepLoad;

use crate::Result;

/// A fully reversed sinusoidal traction `λ(t) = λ_max sin(2π t / period)` over several cycles,
/// with a temperature factor `θ(t) = θ_max min(1, t / t_ramp)` (constant `θ_max` from the first
/// step when `t_ramp = 0`). Steps are uniform, `steps_per_cycle` per cycle; step `k` ends at
/// `t = (k + 1) period / steps_per_cycle`.
///
/// The defaults (`λ_max` = 200 MPa, period 20 s, 3 cycles of 20 steps, `θ_max` = 100 °C ramped
/// over 5 s) make the stress concentration at the hole flow viscoplastically while the far field
/// stays elastic.
///
/// ```
/// use pde_bench::elastoviscoplastic::CyclicLoading;
/// let loads = CyclicLoading { cycles: 2, steps_per_cycle: 4, ..CyclicLoading::default() }.loads()?;
/// assert_eq!(loads.len(), 8);
/// assert!((loads[0].traction - 200.0).abs() < 1e-12); // t = 5 s: a quarter period
/// assert!((loads[7].time - 40.0).abs() < 1e-12);
/// # Ok::<(), pde_bench::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CyclicLoading {
    /// Amplitude `λ_max` of the traction, in MPa.
    pub max_traction: f64,
    /// Period of a cycle, in s (`> 0`).
    pub period: f64,
    /// Number of cycles (`≥ 1`).
    pub cycles: usize,
    /// Steps per cycle (`≥ 1`).
    pub steps_per_cycle: usize,
    /// Temperature factor `θ_max`: the temperature rise at the hole edge, in °C.
    pub temperature: f64,
    /// Duration `t_ramp ≥ 0` of the initial linear ramp of the temperature factor, in s.
    pub temperature_ramp: f64,
}

impl Default for CyclicLoading {
    fn default() -> Self {
        Self {
            max_traction: 200.0,
            period: 20.0,
            cycles: 3,
            steps_per_cycle: 20,
            temperature: 100.0,
            temperature_ramp: 5.0,
        }
    }
}

impl CyclicLoading {
    /// The loads of every step.
    ///
    /// # Errors
    /// [`linalg::Error::InvalidParameter`] naming `period` (not finite and positive), `cycles`
    /// or `steps_per_cycle` (0), `max_traction` or `temperature` (not finite) or
    /// `temperature_ramp` (negative or not finite).
    pub fn loads(&self) -> Result<Vec<StepLoad>> {
        crate::error::check_positive("period", self.period)?;
        for (name, v) in [
            ("cycles", self.cycles),
            ("steps_per_cycle", self.steps_per_cycle),
        ] {
            if v == 0 {
                return Err(linalg::Error::invalid_parameter(name, v, "must be at least 1").into());
            }
        }
        for (name, v) in [
            ("max_traction", self.max_traction),
            ("temperature", self.temperature),
        ] {
            if !v.is_finite() {
                return Err(linalg::Error::invalid_parameter(name, v, "must be finite").into());
            }
        }
        if !(self.temperature_ramp.is_finite() && self.temperature_ramp >= 0.0) {
            return Err(linalg::Error::invalid_parameter(
                "temperature_ramp",
                self.temperature_ramp,
                "must be finite and non-negative",
            )
            .into());
        }
        let dt = self.period / self.steps_per_cycle as f64;
        let n = self.cycles * self.steps_per_cycle;
        Ok((0..n)
            .map(|k| {
                let time = (k + 1) as f64 * dt;
                let ramp = if self.temperature_ramp > 0.0 {
                    (time / self.temperature_ramp).min(1.0)
                } else {
                    1.0
                };
                StepLoad {
                    time,
                    dt,
                    traction: self.max_traction
                        * (2.0 * std::f64::consts::PI * time / self.period).sin(),
                    temperature: self.temperature * ramp,
                }
            })
            .collect())
    }
}

/// The loads of [`CyclicLoading`] with amplitude `max_traction`, `cycles` cycles of
/// `steps_per_cycle` steps of the given `period`, and a constant temperature factor
/// `temperature` (no ramp).
///
/// ```
/// let loads = pde_bench::elastoviscoplastic::cyclic_loads(150.0, 10.0, 1, 10, 0.0)?;
/// assert_eq!(loads.len(), 10);
/// assert!(loads.iter().all(|l| l.dt == 1.0 && l.temperature == 0.0));
/// # Ok::<(), pde_bench::Error>(())
/// ```
///
/// # Errors
/// As [`CyclicLoading::loads`].
pub fn cyclic_loads(
    max_traction: f64,
    period: f64,
    cycles: usize,
    steps_per_cycle: usize,
    temperature: f64,
) -> Result<Vec<StepLoad>> {
    CyclicLoading {
        max_traction,
        period,
        cycles,
        steps_per_cycle,
        temperature,
        temperature_ramp: 0.0,
    }
    .loads()
}
