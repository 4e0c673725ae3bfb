//! The report's figures: the [`Series`] a run collected, grouped by figure ([`FigureSpec::stem`])
//! and drawn as one SVG each with `plotters` (SVG backend only: text goes out as `<text>`
//! elements laid out by plotters' built-in size estimate, so no font, bitmap or image library is
//! needed), plus `figures.json` listing them for `cargo xtask bench`.
//!
//! Each curve is a line with markers and a legend entry; an axis marked logarithmic is drawn in
//! decades. Points that cannot be drawn (NaN or infinite, or not positive on a logarithmic
//! axis) are left out of their curve; a curve left without points is left out of its figure,
//! and a figure left without curves is not drawn.
//!
//! # Example
//!
//! ```
//! use benches::{FigureSpec, Outcome};
//! let dir = std::env::temp_dir().join(format!("benches-figures-doc-{}", std::process::id()));
//! let mut out = Outcome::default();
//! let spec = FigureSpec::new("linalg", "decay", "Decay", "k", "value").log_y();
//! out.push_series(&spec, "2^-k", (0..10).map(|k| (k as f64, 0.5f64.powi(k))));
//! let drawn = benches::figures::draw(&out.series, &dir).unwrap();
//! assert_eq!(drawn.len(), 1);
//! assert!(dir.join("decay.svg").exists() && dir.join("figures.json").exists());
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::path::Path;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{FigureSpec, Series, SuiteResult};

/// The file listing the drawn figures, in the figures directory.
pub const INDEX: &str = "figures.json";

/// One entry of `figures.json`: a drawn figure as the report links it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureEntry {
    /// The crate whose section links it.
    pub suite: String,
    /// Its title (the link text).
    pub title: String,
    /// Its path relative to the report directory (the parent of the figures directory):
    /// `<figures directory name>/<stem>.svg`.
    pub file: String,
}

/// Width and height of every figure, in pixels.
const SIZE: (u32, u32) = (760, 460);

/// The most markers drawn on one curve.
const MARKERS: usize = 40;

/// Line colours (the usual ten-colour qualitative palette), in curve order.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Draws every figure of `series` into `dir` (created if missing) as `<stem>.svg`, and writes
/// `dir/figures.json` listing the drawn ones in the order their first curve appears. Curves
/// with the same stem share one figure, whose title, labels and scales are those of its first
/// curve. Every file is written atomically.
///
/// # Errors
/// A stem that is not a plain file name (letters, digits, `-`, `_`), or an I/O or drawing error.
pub fn draw(series: &[Series], dir: &Path) -> SuiteResult<Vec<FigureEntry>> {
    std::fs::create_dir_all(dir).map_err(|e| linalg::Error::io(dir, e))?;
    let folder = dir
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or("figures");
    let mut entries = Vec::new();
    for (spec, curves) in group(series) {
        check_stem(&spec.stem)?;
        let Some(svg) = render(spec, &curves)? else {
            continue;
        };
        linalg::io::write_atomic(dir.join(format!("{}.svg", spec.stem)), |w| {
            std::io::Write::write_all(w, svg.as_bytes())
        })?;
        entries.push(FigureEntry {
            suite: spec.suite.clone(),
            title: spec.title.clone(),
            file: format!("{folder}/{}.svg", spec.stem),
        });
    }
    let index = serde_json::to_string_pretty(&entries)?;
    linalg::io::write_atomic(dir.join(INDEX), |w| {
        std::io::Write::write_all(w, index.as_bytes())
    })?;
    Ok(entries)
}

/// The figures of `series` by stem, in order of first appearance, each with its curves.
fn group(series: &[Series]) -> Vec<(&FigureSpec, Vec<&Series>)> {
    let mut groups: Vec<(&FigureSpec, Vec<&Series>)> = Vec::new();
    for s in series {
        match groups.iter_mut().find(|(f, _)| f.stem == s.figure.stem) {
            Some((_, curves)) => curves.push(s),
            None => groups.push((&s.figure, vec![s])),
        }
    }
    groups
}

/// A stem must name a file inside the figures directory.
fn check_stem(stem: &str) -> SuiteResult<()> {
    let plain = !stem.is_empty()
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        Ok(())
    } else {
        Err(
            format!("figure stem `{stem}` is not a plain file name (letters, digits, - and _)")
                .into(),
        )
    }
}

/// A curve reduced to its drawable points.
struct Curve<'a> {
    label: &'a str,
    points: Vec<(f64, f64)>,
}

/// Whether `v` can be drawn on an axis (finite, and positive on a logarithmic one).
fn drawable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// The smallest and largest of `values` (none if empty).
fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// The drawn range of an axis whose data spans `lo..=hi`: 5% padding on a linear axis (one unit
/// around a single value), a tenth of a decade on a logarithmic one (`lo > 0`).
fn axis_range(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if log {
        let pad = 10f64.powf(0.1);
        (lo / pad, hi * pad)
    } else if hi > lo {
        let pad = 0.05 * (hi - lo);
        (lo - pad, hi + pad)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - pad, hi + pad)
    }
}

/// Where `v` sits in `lo..hi` on the axis, from 0 to 1.
fn fraction(v: f64, (lo, hi): (f64, f64), log: bool) -> f64 {
    if log {
        (v.log10() - lo.log10()) / (hi.log10() - lo.log10())
    } else {
        (v - lo) / (hi - lo)
    }
}

/// The plotting area in pixels, roughly: the figure less margins, label areas and caption.
const PLOT_AREA: (f64, f64) = (
    SIZE.0 as f64 - 2.0 * 14.0 - 72.0,
    SIZE.1 as f64 - 2.0 * 14.0 - 48.0 - 30.0,
);

/// Where the legend goes, and the y range that leaves it room: the corner (upper right, upper
/// left, lower left, lower right, in this order of preference) whose legend box covers the
/// fewest points and line pieces; where every corner covers some, the y range is raised so
/// that the data stays below an upper legend.
fn place_legend(
    curves: &[Curve<'_>],
    x: (f64, f64),
    y: (f64, f64),
    spec: &FigureSpec,
) -> (SeriesLabelPosition, (f64, f64)) {
    // The box as plotters draws it (13 px labels after a 26 px glyph, about 7 px a character
    // as browsers render sans-serif; 10 px from the plot's edges), as fractions of the area.
    let longest = curves
        .iter()
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0);
    let width = (26.0 + 7.0 * longest as f64 + 30.0) / PLOT_AREA.0;
    let height = (17.0 * curves.len() as f64 + 22.0) / PLOT_AREA.1;
    // Points and line pieces (each segment sampled) in plot fractions.
    let samples = |y: (f64, f64)| {
        let mut out = Vec::new();
        for c in curves {
            let f: Vec<(f64, f64)> = c
                .points
                .iter()
                .map(|&(px, py)| (fraction(px, x, spec.log_x), fraction(py, y, spec.log_y)))
                .collect();
            out.extend(f.iter().copied());
            for w in f.windows(2) {
                out.extend((1..16).map(|k| {
                    let t = f64::from(k) / 16.0;
                    (
                        w[0].0 + t * (w[1].0 - w[0].0),
                        w[0].1 + t * (w[1].1 - w[0].1),
                    )
                }));
            }
        }
        out
    };
    let covered = |at: &[(f64, f64)], right: bool, upper: bool| {
        at.iter()
            .filter(|&&(fx, fy)| {
                (if right { fx > 1.0 - width } else { fx < width })
                    && (if upper {
                        fy > 1.0 - height
                    } else {
                        fy < height
                    })
            })
            .count()
    };
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerLeft, false, false),
        (SeriesLabelPosition::LowerRight, true, false),
    ];
    let best = |at: &[(f64, f64)], corners: &[(SeriesLabelPosition, bool, bool)]| {
        let mut best = (SeriesLabelPosition::UpperRight, usize::MAX);
        for (corner, right, upper) in corners {
            let n = covered(at, *right, *upper);
            if n < best.1 {
                best = (corner.clone(), n);
            }
        }
        best
    };
    let (corner, hits) = best(&samples(y), &corners);
    if hits == 0 || height > 0.5 {
        return (corner, y);
    }
    // Raise the top so that the data ends below the legend's box.
    let grown = if spec.log_y {
        let (a, b) = (y.0.log10(), y.1.log10());
        (y.0, 10f64.powf(a + (b - a) / (1.0 - height)))
    } else {
        (y.0, y.0 + (y.1 - y.0) / (1.0 - height))
    };
    let (corner, _) = best(&samples(grown), &corners[..2]);
    (corner, grown)
}

/// A base-10 logarithmic axis over `lo..hi` (`0 < lo < hi`), ticked by [`log_ticks`].
///
/// (plotters' own `LogCoord` labels only powers of ten, so an axis spanning less than a decade
/// or two gets one label or none, and it labels nothing below about `2.2e-16`.)
#[derive(Clone, Debug)]
struct LogAxis {
    lo: f64,
    hi: f64,
}

impl Ranged for LogAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.lo.log10(), self.hi.log10());
        let f = (value.log10() - a) / (b - a);
        let f = if f.is_nan() { 0.0 } else { f };
        // Saturating: a point far outside lands on the border's side, not wrapped around.
        limit.0 + (f64::from(limit.1 - limit.0) * f).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        log_ticks(self.lo, self.hi, hint.max_num_points())
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// At most `max` ticks in `lo..=hi` (`0 < lo < hi`) on a logarithmic axis, the densest of:
/// 1..9 times every power of ten, 1-2-5 times, powers of ten, every 2nd, 3rd, 5th, 10th, ...
/// power of ten. Where the densest fitting set has fewer than two ticks inside (a range much
/// narrower than a decade), evenly spaced ones as on a linear axis.
fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) || max == 0 {
        return Vec::new();
    }
    let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let mantissas: [&[f64]; 3] = [
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        &[1.0, 2.0, 5.0],
        &[1.0],
    ];
    for m in mantissas {
        let ticks: Vec<f64> = (d0..=d1)
            .flat_map(|d| m.iter().map(move |k| k * 10f64.powi(d)))
            .filter(inside)
            .collect();
        if ticks.len() <= max {
            return if ticks.len() >= 2 {
                ticks
            } else {
                linear_ticks(lo, hi, max)
            };
        }
    }
    // Every 2nd, 3rd, 5th, 10th, 20th, ... power of ten: ends with at most one tick.
    let mut magnitude = 1;
    loop {
        for k in [2, 3, 5, 10] {
            let stride = k * magnitude;
            let ticks: Vec<f64> = (d0..=d1)
                .filter(|d| d.rem_euclid(stride) == 0)
                .map(|d| 10f64.powi(d))
                .filter(inside)
                .collect();
            if ticks.len() <= max {
                return ticks;
            }
        }
        magnitude *= 10;
    }
}

/// At most `max` evenly spaced ticks in `lo..=hi` at a step of 1, 2 or 5 times a power of ten.
fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let raw = (hi - lo) / max.max(1) as f64;
    if !(raw > 0.0 && raw.is_finite()) {
        return Vec::new();
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A tick label: plain decimals in `1e-3..1e5`, otherwise `1.5e-7`, with at most four
/// significant digits and no trailing zeros.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() {
        return if a == 0.0 { "0".into() } else { v.to_string() };
    }
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.3e}");
        return match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        };
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The figure as SVG text, or none if no curve has a drawable point.
fn render(spec: &FigureSpec, series: &[&Series]) -> SuiteResult<Option<String>> {
    let curves: Vec<Curve<'_>> = series
        .iter()
        .map(|s| Curve {
            label: &s.label,
            points: s
                .points
                .iter()
                .copied()
                .filter(|&(x, y)| drawable(x, spec.log_x) && drawable(y, spec.log_y))
                .collect(),
        })
        .filter(|c| !c.points.is_empty())
        .collect();
    let all = || curves.iter().flat_map(|c| c.points.iter().copied());
    let (Some((x0, x1)), Some((y0, y1))) = (bounds(all().map(|p| p.0)), bounds(all().map(|p| p.1)))
    else {
        return Ok(None);
    };
    let x = axis_range(x0, x1, spec.log_x);
    let y = axis_range(y0, y1, spec.log_y);
    if ![x.0, x.1, y.0, y.1].iter().all(|v| v.is_finite()) {
        return Err(format!("figure `{}`: values too large to draw", spec.stem).into());
    }
    let (corner, y) = place_legend(&curves, x, y, spec);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let linear = |(lo, hi): (f64, f64)| RangedCoordf64::from(lo..hi);
        let log = |(lo, hi): (f64, f64)| LogAxis { lo, hi };
        match (spec.log_x, spec.log_y) {
            (false, false) => plot(&root, spec, &curves, linear(x), linear(y), corner)?,
            (true, false) => plot(&root, spec, &curves, log(x), linear(y), corner)?,
            (false, true) => plot(&root, spec, &curves, linear(x), log(y), corner)?,
            (true, true) => plot(&root, spec, &curves, log(x), log(y), corner)?,
        }
        root.present()?;
    }
    Ok(Some(svg))
}

/// Draws `curve` on `chart` in `color`: the line, a marker `$shape` (built from the colour
/// `$c`, centred on `(0, 0)` in pixels) on every point (on every k-th of a long curve, at most
/// [`MARKERS`] of them), and its legend entry (a short line through the marker).
macro_rules! draw_curve {
    ($chart:expr, $curve:expr, $color:expr, |$c:ident| $shape:expr) => {{
        let color: RGBColor = $color;
        $chart
            .draw_series(LineSeries::new(
                $curve.points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label($curve.label)
            .legend(move |(x, y)| {
                let $c = color;
                EmptyElement::at((x + 10, y))
                    + PathElement::new(vec![(-10, 0), (10, 0)], color.stroke_width(2))
                    + $shape
            });
        let step = $curve.points.len().div_ceil(MARKERS).max(1);
        $chart.draw_series($curve.points.iter().step_by(step).map(|&p| {
            let $c = color;
            EmptyElement::at(p) + $shape
        }))?;
    }};
}

/// Draws the chart of `curves` on `root` with the axes `x` and `y`.
fn plot<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    spec: &FigureSpec,
    curves: &[Curve<'_>],
    x: X,
    y: Y,
    corner: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(&spec.title, ("sans-serif", 19))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(spec.x_label.as_str())
        .y_desc(spec.y_label.as_str())
        .x_labels(if spec.log_x { 8 } else { 10 })
        .y_labels(if spec.log_y { 8 } else { 10 })
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;
    for (k, curve) in curves.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        // Markers in turn: filled circle, filled triangle, cross, open circle.
        match k % 4 {
            0 => draw_curve!(chart, curve, color, |c| Circle::new((0, 0), 4, c.filled())),
            1 => draw_curve!(chart, curve, color, |c| TriangleMarker::new(
                (0, 0),
                5,
                c.filled()
            )),
            2 => draw_curve!(chart, curve, color, |c| Cross::new(
                (0, 0),
                4,
                c.stroke_width(2)
            )),
            _ => draw_curve!(chart, curve, color, |c| Circle::new(
                (0, 0),
                4,
                c.stroke_width(2)
            )),
        }
    }
    chart
        .configure_series_labels()
        .position(corner)
        .margin(10)
        .legend_area_size(26)
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.35))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::Outcome;

    /// Every element opened in `text` is closed, in order (attributes and text are escaped by
    /// the backend, so `<` and `>` only delimit tags).
    fn tags_balance(text: &str) -> bool {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find('<') {
            let Some(len) = rest[start..].find('>') else {
                return false;
            };
            let tag = &rest[start + 1..start + len];
            rest = &rest[start + len + 1..];
            if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
                continue;
            }
            let name = tag.split_whitespace().next().unwrap_or("");
            if let Some(closed) = name.strip_prefix('/') {
                if open.pop() != Some(closed) {
                    return false;
                }
            } else {
                open.push(name);
            }
        }
        open.is_empty() && !rest.contains('>')
    }

    #[test]
    fn draws_a_figure_and_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let figs = dir.path().join("figures");
        let mut out = Outcome::default();
        let spec = FigureSpec::new(
            "rom-core",
            "decay",
            "Greedy error decay <test>",
            "N",
            "error",
        )
        .log_y();
        out.push_series(
            &spec,
            "estimator",
            (0..8).map(|n| (n as f64, 10f64.powi(-n))),
        );
        out.push_series(
            &spec,
            "true error",
            (0..8).map(|n| (n as f64, 0.1 * 10f64.powi(-n))),
        );
        let lin = FigureSpec::new("linalg", "lin", "Linear", "x", "y");
        out.push_series(&lin, "one point", [(2.0, 3.0)]);
        let drawn = draw(&out.series, &figs).unwrap();
        assert_eq!(drawn.len(), 2);
        assert_eq!(drawn[0].file, "figures/decay.svg");
        assert_eq!(drawn[0].suite, "rom-core");

        let svg = std::fs::read_to_string(figs.join("decay.svg")).unwrap();
        assert!(svg.trim_start().starts_with("<svg") || svg.trim_start().starts_with("<?xml"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(tags_balance(&svg), "unbalanced SVG:\n{svg}");
        assert!(svg.contains("Greedy error decay &lt;test&gt;"));
        assert!(svg.contains(">estimator<") || svg.contains("estimator\n"));
        assert!(svg.contains("true error"));
        assert!(svg.contains("<polyline") || svg.contains("<path"));
        assert!(figs.join("lin.svg").exists());

        let index: Vec<FigureEntry> =
            serde_json::from_str(&std::fs::read_to_string(figs.join(INDEX)).unwrap()).unwrap();
        assert_eq!(index, drawn);
        assert_eq!(index[0].title, "Greedy error decay <test>");
    }

    /// NaN, infinite and (on a log axis) non-positive points are left out; a curve or figure
    /// with nothing left is left out, without an error.
    #[test]
    fn undrawable_points_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Outcome::default();
        let spec = FigureSpec::new("s", "mixed", "Mixed", "n", "t")
            .log_x()
            .log_y();
        out.push_series(
            &spec,
            "some bad",
            [
                (0.0, 1.0),
                (1.0, f64::NAN),
                (10.0, -1.0),
                (100.0, 2.0),
                (f64::INFINITY, 3.0),
                (1000.0, 4.0),
            ],
        );
        out.push_series(&spec, "all bad", [(f64::NAN, 1.0), (-1.0, 0.0)]);
        let empty = FigureSpec::new("s", "empty", "Empty", "n", "t").log_y();
        out.push_series(&empty, "zeros", [(1.0, 0.0), (2.0, 0.0)]);
        out.push_series(&empty, "no points", []);
        let drawn = draw(&out.series, dir.path()).unwrap();
        assert_eq!(drawn.len(), 1);
        assert_eq!(drawn[0].title, "Mixed");
        let svg = std::fs::read_to_string(dir.path().join("mixed.svg")).unwrap();
        assert!(svg.contains("some bad"));
        assert!(!svg.contains("all bad"));
        assert!(!svg.contains("NaN"));
        assert!(!dir.path().join("empty.svg").exists());
    }

    #[test]
    fn a_stem_must_be_a_plain_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Outcome::default();
        let spec = FigureSpec::new("s", "../escape", "Bad", "x", "y");
        out.push_series(&spec, "c", [(1.0, 1.0)]);
        assert!(draw(&out.series, dir.path()).is_err());
    }

    #[test]
    fn ranges_and_ticks() {
        let (lo, hi) = axis_range(1e-6, 1.0, true);
        assert!(lo < 1e-6 && hi > 1.0);
        // Log ticks: 1..9 per decade where they fit, then 1-2-5, then decades, then every
        // k-th decade; evenly spaced within a narrow range.
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs())
        };
        assert!(close(
            &log_ticks(1.5, 10.0, 10),
            &[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
        ));
        assert!(close(&log_ticks(1.6, 20.0, 8), &[2.0, 5.0, 10.0, 20.0]));
        assert!(close(
            &log_ticks(0.5, 2000.0, 5),
            &[1.0, 10.0, 100.0, 1000.0]
        ));
        let deep = log_ticks(1e-30, 1.0, 8);
        assert!(!deep.is_empty() && deep.len() <= 8 && deep.contains(&1.0));
        assert!(deep.iter().any(|&t| t < 1e-16));
        let narrow = log_ticks(0.11, 0.19, 8);
        assert!(narrow.len() >= 2 && narrow.iter().all(|&t| (0.11..=0.19).contains(&t)));
        assert!(log_ticks(1.0, 1.0, 8).is_empty() && log_ticks(0.0, 1.0, 8).is_empty());
        assert_eq!(LogAxis { lo: 1.0, hi: 100.0 }.map(&10.0, (0, 100)), 50);
        assert_eq!(axis_range(0.0, 0.0, false), (-1.0, 1.0));
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(2500.0), "2500");
        assert_eq!(tick(1e-5), "1e-5");
        assert_eq!(tick(1.5e6), "1.5e6");
        assert_eq!(tick(-0.125), "-0.125");
    }
}
