//! Charts of each broker's put TPS and each group's lag over the last `historyMinutes`, from the
//! console's own samples (`history`). The page reloads itself every sample interval.

use axum::extract::State;
use axum::response::Response;

use crate::chart::{line_chart, Series};
use crate::history::Sample;
use crate::state::St;

/// `GET /charts`.
pub async fn page(State(c): St) -> Response {
    let samples = c.history.snapshot();
    let (tps, lag) = series(&samples);
    let every = c.config.sample_interval.as_secs().max(1);
    let body = format!(
        "<p class=\"muted\">{} sample(s), one every {every} s, the last {} min kept.</p>\
         <h2>Put TPS by broker</h2>{}<h2>Lag by consumer group</h2>{}",
        samples.len(),
        c.config.history.as_secs() / 60,
        line_chart("chart-tps", &tps),
        line_chart("chart-lag", &lag),
    );
    let page = c.page("Charts", "/charts", &body);
    with_refresh(page, every)
}

/// TPS and lag series from samples, oldest first.
fn series(samples: &[Sample]) -> (Series, Series) {
    let (mut tps, mut lag) = (Series::new(), Series::new());
    for s in samples {
        for (k, v) in &s.tps {
            tps.entry(k.clone()).or_default().push((s.at_ms, *v));
        }
        for (k, v) in &s.lag {
            lag.entry(k.clone()).or_default().push((s.at_ms, *v));
        }
    }
    (tps, lag)
}

/// Makes the page reload itself every `secs` (the `Refresh` header).
fn with_refresh(page: Response, secs: u64) -> Response {
    let (parts, body) = page.into_parts();
    let refresh = axum::http::HeaderValue::from(secs);
    let mut page = Response::from_parts(parts, body);
    page.headers_mut().insert("refresh", refresh);
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_become_one_series_per_name() {
        let mut a = Sample { at_ms: 1, ..Sample::default() };
        a.tps.insert("b/0".into(), 2.0);
        let mut b = Sample { at_ms: 2, ..Sample::default() };
        b.tps.insert("b/0".into(), 3.0);
        b.lag.insert("g".into(), 7.0);
        let (tps, lag) = series(&[a, b]);
        assert_eq!(tps["b/0"], vec![(1, 2.0), (2, 3.0)]);
        assert_eq!(lag["g"], vec![(2, 7.0)]);
    }
}
