//! A cyclic run of the elastoviscoplastic plate with a hole at a few mesh sizes: prints the
//! degrees of freedom, steps, Newton iterations, wall time and the largest accumulated plastic
//! strain.
//!
//! ```text
//! cargo run --release -p pde-bench --example elastoviscoplastic [refinement ...]
//! ```

use std::time::Instant;

use pde_bench::elastoviscoplastic::{
    CyclicLoading, ElastoviscoplasticModel, ModelOptions, Norton, NortonParams, PlateWithHole,
    Trajectory,
};

fn main() -> Result<(), pde_bench::Error> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10, 30, 60]
    } else {
        sizes
    };
    let loading = CyclicLoading::default();
    let loads = loading.loads()?;
    println!(
        "cyclic loading: {} cycles of {} steps, λ_max = {} MPa, θ = {} °C, period {} s, {} threads",
        loading.cycles,
        loading.steps_per_cycle,
        loading.max_traction,
        loading.temperature,
        loading.period,
        rayon::current_num_threads()
    );
    println!(
        "| refinement | DOFs | points | steps | Newton iterations | max per step | wall time (s) | max p |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for m in sizes {
        let law = Norton::new(NortonParams::default())?;
        let model = ElastoviscoplasticModel::new(
            &PlateWithHole::new(10.0, 2.0, m),
            law,
            ModelOptions::default(),
        )?;
        let mut run = Trajectory::last_step_only();
        let start = Instant::now();
        model.run(&loads, &mut run)?;
        let seconds = start.elapsed().as_secs_f64();
        let total: usize = run.iterations.iter().sum();
        let most = run.iterations.iter().max().copied().unwrap_or(0);
        println!(
            "| {m} | {} | {} | {} | {total} | {most} | {seconds:.2} | {:.3e} |",
            model.n_dof(),
            model.n_points(),
            run.len(),
            run.max_plastic_strain()
        );
    }
    Ok(())
}
