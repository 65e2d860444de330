//! Writing a metric family into a scrape from rows computed by a collector: each row is a label
//! set and a value. Families with no rows are left out.

use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use crate::meters::HistogramSnapshot;

/// One series' labels: (name, value) pairs.
pub type Labels = Vec<(&'static str, String)>;

/// A gauge family: one value per label set.
///
/// # Errors
/// When the writer fails.
pub fn gauges(enc: &mut DescriptorEncoder<'_>, name: &str, help: &str, rows: &[(Labels, i64)]) -> std::fmt::Result {
    family(enc, name, help, MetricType::Gauge, rows, |m, v| m.encode_gauge(v))
}

/// A counter family (the name without `_total`).
///
/// # Errors
/// When the writer fails.
pub fn counters(enc: &mut DescriptorEncoder<'_>, name: &str, help: &str, rows: &[(Labels, u64)]) -> std::fmt::Result {
    family(enc, name, help, MetricType::Counter, rows, |m, v| m.encode_counter::<NoLabelSet, _, u64>(v, None))
}

/// A histogram family.
///
/// # Errors
/// When the writer fails.
pub fn histograms(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    rows: &[(Labels, HistogramSnapshot)],
) -> std::fmt::Result {
    family(enc, name, help, MetricType::Histogram, rows, |m, h| {
        m.encode_histogram::<NoLabelSet>(h.sum, h.count, &h.buckets, None)
    })
}

fn family<T>(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    kind: MetricType,
    rows: &[(Labels, T)],
    write: impl Fn(&mut MetricEncoder<'_>, &T) -> std::fmt::Result,
) -> std::fmt::Result {
    if rows.is_empty() {
        return Ok(());
    }
    let mut metric = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, value) in rows {
        let mut series = metric.encode_family(labels)?;
        write(&mut series, value)?;
    }
    Ok(())
}

/// The labels every series of a server carries, as RocketMQ puts them on each of its meters.
#[derive(Debug, Clone)]
pub struct NodeLabels {
    /// `cluster`.
    pub cluster: String,
    /// `node_type`: broker, namesrv, proxy.
    pub node_type: &'static str,
    /// `node_id`: the broker name, or the server's address.
    pub node_id: String,
}

impl NodeLabels {
    /// These labels followed by `more`.
    #[must_use]
    pub fn with(&self, more: &[(&'static str, &str)]) -> Labels {
        let mut l = Vec::with_capacity(3 + more.len());
        l.push((crate::names::label::CLUSTER, self.cluster.clone()));
        l.push((crate::names::label::NODE_TYPE, self.node_type.to_owned()));
        l.push((crate::names::label::NODE_ID, self.node_id.clone()));
        l.extend(more.iter().map(|(k, v)| (*k, (*v).to_owned())));
        l
    }
}
