//! The cluster page: name servers, and every broker with its role, address, version, TPS now,
//! disk use and HA lag.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use rmq_admin::cluster::{BrokerInfo, Cluster};
use rmq_admin::no_progress;

use crate::html::{esc, num, time, Table};
use crate::state::St;

/// `GET /`.
pub async fn page(axum::extract::State(c): St) -> Response {
    let cluster = Cluster::new(&c.admin);
    let brokers = match cluster.cluster_list(None, &no_progress).await {
        Ok(b) => b,
        Err(e) => return c.error(StatusCode::BAD_GATEWAY, "Cluster", "/", &e.to_string()),
    };
    let mut t = Table::new(
        "brokers",
        &[
            "Cluster",
            "Broker",
            "Id",
            "Address",
            "Role",
            "Version",
            "TPS in",
            "TPS out",
            "Disk used",
            "HA lag (bytes)",
            "Started (UTC)",
        ],
    );
    for b in &brokers {
        let runtime = cluster.broker_runtime(&b.addr).await.unwrap_or_default();
        t.row(&row(b, &runtime));
    }
    let namesrv = c.admin.instance().namesrv_addrs().join(", ");
    let body = format!(
        "<p>Name servers: <span id=\"namesrv\">{}</span> · {} broker(s)</p>{}",
        esc(&namesrv),
        brokers.len(),
        t.finish()
    );
    c.page("Cluster", "/", &body)
}

/// One broker's cells.
fn row(b: &BrokerInfo, runtime: &BTreeMap<String, String>) -> Vec<String> {
    let role = match &b.error {
        Some(e) => format!("{} (unreachable: {})", b.role, e),
        None => b.role.clone(),
    };
    vec![
        esc(&b.cluster),
        esc(&b.broker_name),
        num(b.broker_id),
        esc(&b.addr),
        esc(&role),
        esc(&b.version),
        num(format!("{:.1}", b.in_tps)),
        num(format!("{:.1}", b.out_tps)),
        num(disk(runtime)),
        num(b.replication_lag_bytes.map_or_else(|| "-".to_owned(), |l| l.to_string())),
        esc(&time(b.boot_timestamp.unwrap_or(0))),
    ]
}

/// `commitLogDiskRatio` (0..1) as a percentage.
fn disk(runtime: &BTreeMap<String, String>) -> String {
    runtime
        .get("commitLogDiskRatio")
        .and_then(|r| r.trim().parse::<f64>().ok())
        .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_ratio_is_a_percentage() {
        let mut t = BTreeMap::new();
        assert_eq!(disk(&t), "-");
        t.insert("commitLogDiskRatio".to_owned(), "0.4321".to_owned());
        assert_eq!(disk(&t), "43.2%");
    }
}
