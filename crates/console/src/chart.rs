//! Line charts as inline SVG: one polyline per series over a shared time axis.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::html::{esc, time};

const W: f64 = 760.0;
const H: f64 = 220.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 22.0;
const COLORS: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/// Points `(at_ms, value)` of each named series.
pub type Series = BTreeMap<String, Vec<(i64, f64)>>;

/// An SVG chart `id` of `series` with a legend; a note when there is nothing to draw yet.
#[must_use]
pub fn line_chart(id: &str, series: &Series) -> String {
    let points: Vec<&(i64, f64)> = series.values().flatten().collect();
    let (Some(t0), Some(t1)) = (points.iter().map(|p| p.0).min(), points.iter().map(|p| p.0).max()) else {
        return format!("<p class=\"muted\" id=\"{}\">No samples yet.</p>", esc(id));
    };
    let top = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1.0);
    #[allow(clippy::cast_precision_loss)] // spans of an hour in ms
    let span = (t1 - t0).max(1) as f64;
    let mut svg =
        format!("<svg class=\"chart\" id=\"{}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\">", esc(id));
    axes(&mut svg, top, t0, t1);
    let mut legend = String::from("<div class=\"legend\">");
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mut line = String::new();
        for (t, v) in pts {
            #[allow(clippy::cast_precision_loss)]
            let x = LEFT + (W - LEFT - 8.0) * ((t - t0) as f64 / span);
            let y = (H - BOTTOM) - (H - BOTTOM - 8.0) * (v / top);
            let _ = write!(line, "{x:.1},{y:.1} ");
        }
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"><title>{}</title></polyline>",
            line.trim_end(),
            esc(name)
        );
        let _ = write!(legend, "<span><i style=\"background:{color}\"></i>{}</span>", esc(name));
    }
    svg.push_str("</svg>");
    legend.push_str("</div>");
    svg + &legend
}

/// The axes, the top value and the first and last times.
fn axes(svg: &mut String, top: f64, t0: i64, t1: i64) {
    let base = H - BOTTOM;
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"8\" x2=\"{LEFT}\" y2=\"{base}\" stroke=\"#999\"/>\
         <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{W}\" y2=\"{base}\" stroke=\"#999\"/>\
         <text x=\"4\" y=\"16\">{top:.0}</text><text x=\"4\" y=\"{base}\">0</text>\
         <text x=\"{LEFT}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} UTC</text>",
        H - 6.0,
        time(t0),
        W - 8.0,
        H - 6.0,
        time(t1)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_polyline_per_series_scaled_to_the_top_value() {
        let mut s = Series::new();
        s.insert("a".into(), vec![(1_000, 0.0), (2_000, 10.0)]);
        s.insert("b<".into(), vec![(1_000, 5.0)]);
        let svg = line_chart("c", &s);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">10</text>"));
        assert!(svg.contains("b&lt;"));
        // The top value sits at the top margin, the first time at the left axis.
        assert!(svg.contains("56.0,198.0 752.0,8.0"));
    }

    #[test]
    fn no_samples_no_svg() {
        assert!(line_chart("c", &Series::new()).contains("No samples yet"));
    }
}
