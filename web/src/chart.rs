//! Charts, drawn by plotters to SVG text and inserted as markup.
//!
//! plotters is a maintained Rust charting crate: no JavaScript library to
//! ship or to allow in the Content-Security-Policy, and the SVG scales to any
//! width. Every chart sits beside a table of the same numbers (the accessible
//! and exportable form), so the chart is marked as an image with a summary.
//!
//! Amounts are converted to `f64` here for geometry only (bar lengths, line
//! heights); every number a person reads comes from the exact decimal text.

use farebox_core::{glance, Usd};
use plotters::prelude::*;

const WIDTH: u32 = 720;
const ACCENT: RGBColor = RGBColor(37, 99, 235);
const GRID: RGBColor = RGBColor(226, 232, 240);

/// How a chart's values read on its axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Usd,
    Tokens,
}

impl Unit {
    /// An axis value by the one rounding rule numbers read at a glance follow
    /// (core's `glance`, as the cards): the axis of a $0.0004 chart still
    /// reads, and a billion tokens is `1.00 B`. The axis' positions are
    /// floats; each is read back as the decimal it prints as first.
    pub fn tick(self, v: f64) -> String {
        match self {
            Unit::Usd => Usd::parse_float_text(&v.to_string()).map(glance::usd).unwrap_or_default(),
            Unit::Tokens => glance::count(v.max(0.0).round() as u64),
        }
    }

    fn caption(self) -> &'static str {
        match self {
            Unit::Usd => "USD",
            Unit::Tokens => "tokens",
        }
    }
}

const FONT: (&str, u32) = ("sans-serif", 15);

/// A bar's or point's label and value.
pub struct Datum {
    pub label: String,
    /// Exact decimal text (USD or a count).
    pub value: String,
}

fn number(text: &str) -> f64 {
    text.parse::<f64>().unwrap_or(0.0)
}

/// The values to draw and the axis' end (the largest value plus `headroom`);
/// `None` when there is nothing to draw.
fn scale(data: &[Datum], headroom: f64) -> Option<(Vec<f64>, f64)> {
    if data.is_empty() {
        return None;
    }
    let values: Vec<f64> = data.iter().map(|d| number(&d.value)).collect();
    let top = values.iter().cloned().fold(0.0, f64::max).max(f64::MIN_POSITIVE) * headroom;
    Some((values, top))
}

fn short(label: &str) -> String {
    const MAX: usize = 28;
    if label.chars().count() <= MAX {
        return label.to_string();
    }
    let cut: String = label.chars().take(MAX - 1).collect();
    format!("{cut}…")
}

/// A line chart's outer margin, its right margin (room for half the last
/// day's label, centred under the plot's end) and its value axis' width, in
/// SVG units: the plot spans `LINE_LEFT..WIDTH - LINE_RIGHT`, which
/// [`line_x`] and [`line_index`] (pointing at a day) share with the drawing.
const LINE_MARGIN: u32 = 12;
const LINE_RIGHT: u32 = 36;
const LINE_AXIS: u32 = 96;
const LINE_LEFT: u32 = LINE_MARGIN + LINE_AXIS;

/// The plot's width from the first point to the last, in SVG units: plotters
/// maps a range onto the pixels from the plot's first to its last, one less
/// than its width.
fn line_span() -> f64 {
    f64::from(WIDTH - LINE_RIGHT - LINE_LEFT - 1)
}

/// Where point `i` of `n` is drawn, as a fraction of the chart's width.
pub fn line_x(i: usize, n: usize) -> f64 {
    let span = line_span();
    let last = n.saturating_sub(1).max(1) as f64;
    (f64::from(LINE_LEFT) + span * i as f64 / last) / f64::from(WIDTH)
}

/// The point of `n` nearest to `fraction` of the chart's width (a pointer's place).
pub fn line_index(fraction: f64, n: usize) -> usize {
    let span = line_span();
    let last = n.saturating_sub(1);
    let at = (fraction * f64::from(WIDTH) - f64::from(LINE_LEFT)) / span * last.max(1) as f64;
    (at.round().max(0.0) as usize).min(last)
}

/// The colours of a split chart's series, in order; the last is `(other)`'s
/// (grey, so the named series stand out). The legend's swatches use them.
const SERIES: [RGBColor; 9] = [
    ACCENT,
    RGBColor(234, 88, 12),
    RGBColor(22, 163, 74),
    RGBColor(220, 38, 38),
    RGBColor(147, 51, 234),
    RGBColor(8, 145, 178),
    RGBColor(202, 138, 4),
    RGBColor(219, 39, 119),
    RGBColor(148, 163, 184),
];

fn colour(i: usize, other: bool) -> RGBColor {
    if other {
        SERIES[SERIES.len() - 1]
    } else {
        SERIES[i % (SERIES.len() - 1)]
    }
}

/// Series `i`'s colour as CSS (`#2563eb`); `(other)` takes the last.
pub fn series_colour(i: usize, other: bool) -> String {
    let RGBColor(r, g, b) = colour(i, other);
    format!("#{r:02x}{g:02x}{b:02x}")
}

type DayChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordusize, plotters::coord::types::RangedCoordf64>,
>;

/// A chart over the days (`labels` in date order) up to `top`, with the
/// axes and grid the line and the stacked chart share, and what `draw` adds.
fn days(
    labels: &[String],
    top: f64,
    unit: Unit,
    draw: impl FnOnce(&mut DayChart) -> Result<(), Box<dyn std::error::Error>>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 260)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
            let last = labels.len().saturating_sub(1).max(1);
            let mut chart = ChartBuilder::on(&root)
                .margin(LINE_MARGIN)
                .margin_right(LINE_RIGHT)
                .x_label_area_size(32)
                .y_label_area_size(LINE_AXIS)
                .build_cartesian_2d(0..last, 0.0..top)?;
            chart
                .configure_mesh()
                // Fine lines fainter than the major ones: the data reads first.
                .light_line_style(GRID.mix(0.4))
                .bold_line_style(GRID)
                .label_style(FONT)
                .axis_desc_style(FONT)
                .x_labels(6.min(labels.len()))
                .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
                .y_labels(6)
                .y_desc(format!("{} per day", unit.caption()))
                .y_label_formatter(&|v| unit.tick(*v))
                .draw()?;
            draw(&mut chart)?;
            root.present()?;
            Ok(())
        })();
        if drawn.is_err() {
            return String::new();
        }
    }
    svg
}

/// A line over the days (`data` in date order), e.g. the daily cost trend.
pub fn line(data: &[Datum], unit: Unit) -> String {
    let Some((values, top)) = scale(data, 1.1) else { return String::new() };
    let labels: Vec<String> = data.iter().map(|d| d.label.clone()).collect();
    days(&labels, top, unit, |chart| {
        chart.draw_series(LineSeries::new(values.iter().enumerate().map(|(i, v)| (i, *v)), ACCENT.stroke_width(2)))?;
        chart.draw_series(values.iter().enumerate().map(|(i, v)| Circle::new((i, *v), 3, ACCENT.filled())))?;
        Ok(())
    })
}

/// Stacked areas over the days: `layers` bottom first, each one value per
/// label (exact decimal text), coloured as [`series_colour`]; the last is
/// `(other)` when `other`. Points sit where [`line_x`] puts them.
pub fn stacked(labels: &[String], layers: &[Vec<String>], other: bool, unit: Unit) -> String {
    if labels.is_empty() || layers.is_empty() {
        return String::new();
    }
    let mut base = vec![0.0; labels.len()];
    let bands: Vec<(Vec<f64>, Vec<f64>)> = layers
        .iter()
        .map(|layer| {
            let low = base.clone();
            for (b, v) in base.iter_mut().zip(layer) {
                *b += number(v);
            }
            (low, base.clone())
        })
        .collect();
    let top = base.iter().cloned().fold(0.0, f64::max).max(f64::MIN_POSITIVE) * 1.1;
    days(labels, top, unit, |chart| {
        for (i, (low, high)) in bands.iter().enumerate() {
            let colour = colour(i, other && i + 1 == layers.len());
            // One polygon per series: along its top, back along its base.
            let outline: Vec<(usize, f64)> = high
                .iter()
                .enumerate()
                .map(|(x, y)| (x, *y))
                .chain(low.iter().enumerate().rev().map(|(x, y)| (x, *y)))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(outline, colour.mix(0.85).filled())))?;
        }
        Ok(())
    })
}

/// Horizontal bars, largest first as given, e.g. cost by model.
pub fn bars(data: &[Datum], unit: Unit) -> String {
    let mut svg = String::new();
    let Some((values, top)) = scale(data, 1.05) else { return svg };
    let height = 60 + 32 * data.len() as u32;
    let last = data.len() - 1;
    // An integer range a..b has b - a + 1 segments, one per row 0..=rows; a
    // range of one value would map every row to the same place, so a single
    // bar keeps an empty second row.
    let rows = last.max(1);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
            let mut chart = ChartBuilder::on(&root)
                .margin(8)
                .x_label_area_size(44)
                .y_label_area_size(230)
                .build_cartesian_2d(0.0..top, (0..rows).into_segmented())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                // Fine lines fainter than the major ones: the data reads first.
                .light_line_style(GRID.mix(0.4))
                .bold_line_style(GRID)
                .label_style(FONT)
                .axis_desc_style(FONT)
                .y_labels(data.len())
                .y_label_formatter(&|v| match v {
                    // Row 0 is drawn at the top: the first (largest) bar reads first.
                    SegmentValue::CenterOf(row) | SegmentValue::Exact(row) => {
                        last.checked_sub(*row).and_then(|i| data.get(i)).map(|d| short(&d.label)).unwrap_or_default()
                    }
                    SegmentValue::Last => String::new(),
                })
                .x_labels(5)
                .x_desc(unit.caption())
                .x_label_formatter(&|v| unit.tick(*v))
                .draw()?;
            chart.draw_series(values.iter().enumerate().map(|(i, v)| {
                let row = last - i;
                let top = if row == rows { SegmentValue::Last } else { SegmentValue::Exact(row + 1) };
                let mut bar = Rectangle::new([(0.0, SegmentValue::Exact(row)), (*v, top)], ACCENT.mix(0.85).filled());
                bar.set_margin(4, 4, 0, 0);
                bar
            }))?;
            root.present()?;
            Ok(())
        })();
        if drawn.is_err() {
            return String::new();
        }
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_read_as_money_or_counts() {
        assert_eq!(Unit::Usd.tick(0.0), "$0");
        assert_eq!(Unit::Usd.tick(12.5), "$12.50");
        assert_eq!(Unit::Usd.tick(0.000_412_34), "$0.0004123");
        assert_eq!(Unit::Usd.tick(0.05), "$0.05");
        assert_eq!(Unit::Usd.tick(0.6000000000000001), "$0.6", "a float's noise is not a digit");
        assert_eq!(Unit::Usd.tick(4144.7051581), "$4,144.71");
        assert_eq!(Unit::Tokens.tick(250_000.0), "250,000");
        assert_eq!(Unit::Tokens.tick(2_091_726_180.0), "2.09 B");
    }

    /// `(y, height)` of each filled bar in a bar chart's SVG, top to bottom.
    fn bar_rows(svg: &str) -> Vec<(f64, f64)> {
        let attr = |tag: &str, name: &str| -> f64 {
            let at = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            tag[at..].split('"').next().unwrap().parse().unwrap()
        };
        let mut rows: Vec<(f64, f64)> = svg
            .split("<rect")
            .skip(1)
            .filter(|tag| tag.contains("fill=\"#2563EB\""))
            .map(|tag| (attr(tag, "y"), attr(tag, "height")))
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        rows
    }

    #[test]
    fn a_pointer_finds_the_day_drawn_under_it() {
        let data: Vec<Datum> =
            (0..9).map(|i| Datum { label: format!("2026-11-{:02}", i + 1), value: format!("{i}.5") }).collect();
        let svg = line(&data, Unit::Usd);
        let xs: Vec<f64> = svg
            .split("<circle")
            .skip(1)
            .map(|tag| {
                let at = tag.find(" cx=\"").unwrap() + 5;
                tag[at..].split('"').next().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(xs.len(), 9, "{svg}");
        for (i, x) in xs.iter().enumerate() {
            // Within a pixel of where the markers are drawn ...
            assert!((line_x(i, 9) * f64::from(WIDTH) - x).abs() <= 1.0, "point {i}: drawn at {x}");
            // ... and a pointer anywhere nearer this point than the next finds it.
            assert_eq!(line_index(x / f64::from(WIDTH), 9), i);
            assert_eq!(line_index((x + 30.0) / f64::from(WIDTH), 9), i);
        }
        assert_eq!(line_index(0.0, 9), 0);
        assert_eq!(line_index(1.0, 9), 8);
        assert_eq!(line_index(0.5, 1), 0);
    }

    #[test]
    fn stacked_areas_one_per_series_coloured_in_order() {
        let labels: Vec<String> = (1..=3).map(|d| format!("2026-11-0{d}")).collect();
        let layer = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let layers = [layer(&["1", "2", "0"]), layer(&["0.5", "0", "1"]), layer(&["1", "1", "1"])];
        let svg = stacked(&labels, &layers, true, Unit::Usd);
        assert_eq!(svg.matches("<polygon").count(), 3, "{svg}");
        // The first series in the first colour, (other) last in grey.
        assert!(svg.contains(&series_colour(0, false).to_uppercase()), "{svg}");
        assert!(svg.contains(&series_colour(2, true).to_uppercase()), "{svg}");
        assert_eq!(series_colour(8, false), series_colour(0, false), "colours cycle before (other)'s grey");
        assert_eq!(stacked(&[], &layers, false, Unit::Usd), "");
        assert_eq!(stacked(&labels, &[], false, Unit::Usd), "");
    }

    #[test]
    fn bars_fill_the_plot_from_the_top_largest_first() {
        let datum = |label: &str, value: &str| Datum { label: label.into(), value: value.into() };
        let svg = bars(&[datum("a", "3"), datum("b", "2"), datum("c", "1")], Unit::Usd);
        let rows = bar_rows(&svg);
        assert_eq!(rows.len(), 3, "{svg}");
        // Equal rows, one after the other, the first just under the top margin.
        let pitch = rows[1].0 - rows[0].0;
        assert!((rows[2].0 - rows[1].0 - pitch).abs() <= 1.0, "{rows:?}");
        assert!(rows[0].0 <= 8.0 + 4.0 + 1.0, "an empty band above the first bar: {rows:?}");
        let one = bar_rows(&bars(&[datum("a", "3")], Unit::Usd));
        assert_eq!(one.len(), 1);
    }
}
