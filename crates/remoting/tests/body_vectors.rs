//! Codec vectors: JSON bodies captured from real clients of every family (Java 4.9 and 5.x,
//! Go v2, the C++ core 2.x, the rocketmq-rust client, official brokers), each read with the
//! lenient body layer into the type the broker or name server reads it as.
//!
//! Files: `vectors/bodies/<family>/<Code>[-<variant>].json` where `<Code>` is the request code's
//! variant name, or `<Code>-response` for the body a client answers a broker call with.
//! `MANIFEST.md` beside them says how each was captured (`tests/kit/capture.rs`).
// Test code: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::path::{Path, PathBuf};

use rmq_remoting::body::{
    self, DataVersion, HeartbeatData, LockBatchRequestBody, LockBatchResponseBody, RegisterBrokerBody, ResetOffsetBody,
    SubscriptionGroupConfig, TopicRouteData,
};

fn vectors() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/bodies");
    let mut out = Vec::new();
    for family in std::fs::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for file in std::fs::read_dir(family.path()).unwrap().flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "json") {
                let family = family.file_name().to_string_lossy().into_owned();
                out.push((family, path));
            }
        }
    }
    out.sort();
    out
}

/// The kind of a vector: its file stem without a `-variant` suffix (keeping `-response`).
fn kind(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let mut parts = stem.split('-');
    let code = parts.next().unwrap_or_default().to_owned();
    if stem.contains("-response") {
        format!("{code}-response")
    } else {
        code
    }
}

/// Reads one vector as the server reads its kind; returns what was checked.
fn check(kind: &str, bytes: &[u8]) -> Result<String, String> {
    let e = |e: body::BodyError| e.to_string();
    match kind {
        "HeartBeat" => {
            let hb: HeartbeatData = body::decode(bytes).map_err(e)?;
            if hb.client_id.is_empty() {
                return Err("empty clientID".into());
            }
            for c in &hb.consumer_data_set {
                if c.group_name.is_empty() || c.subscription_data_set.iter().any(|s| s.topic.is_empty()) {
                    return Err(format!("consumer data without group or topic: {c:?}"));
                }
            }
            Ok(format!("{} consumers, {} producers", hb.consumer_data_set.len(), hb.producer_data_set.len()))
        }
        "LockBatchMq" | "UnlockBatchMq" => {
            let b: LockBatchRequestBody = body::decode(bytes).map_err(e)?;
            if b.consumer_group.is_empty() || b.client_id.is_empty() || b.mq_set.is_empty() {
                return Err(format!("incomplete lock body: {b:?}"));
            }
            Ok(format!("{} queues", b.mq_set.len()))
        }
        "LockBatchMq-response" => {
            let b: LockBatchResponseBody = body::decode(bytes).map_err(e)?;
            Ok(format!("{} locked", b.lock_ok_mq_set.len()))
        }
        "RegisterBroker" => {
            let b: RegisterBrokerBody = body::decode(bytes).map_err(e)?;
            let topics = &b.topic_config_serialize_wrapper.topic_config_table;
            if topics.is_empty() {
                return Err("no topics".into());
            }
            Ok(format!("{} topics", topics.len()))
        }
        "QueryDataVersion" | "BrokerHeartbeat" => {
            let v: DataVersion = body::decode(bytes).map_err(e)?;
            Ok(format!("counter {}", v.counter))
        }
        "UpdateAndCreateSubscriptiongroup" => {
            let g: SubscriptionGroupConfig = body::decode(bytes).map_err(e)?;
            if g.group_name.is_empty() {
                return Err("empty groupName".into());
            }
            Ok(g.group_name)
        }
        "GetRouteinfoByTopic-response" | "RegisterTopicInNamesrv" => {
            let r: TopicRouteData = body::decode(bytes).map_err(e)?;
            Ok(format!("{} queue datas", r.queue_datas.len()))
        }
        "ResetConsumerClientOffset" | "InvokeBrokerToResetOffset" => {
            let r = ResetOffsetBody::parse(bytes).map_err(|e| e.to_string())?;
            Ok(format!("{} queues", r.offset_table.len()))
        }
        "QueryAssignment" => {
            let q: body::QueryAssignmentRequestBody = body::decode(bytes).map_err(e)?;
            if q.topic.is_empty() || q.consumer_group.is_empty() || q.client_id.is_empty() {
                return Err(format!("incomplete assignment query: {q:?}"));
            }
            Ok(format!("{} by {}", q.topic, q.strategy_name))
        }
        "SetMessageRequestMode" => {
            let m: body::SetMessageRequestModeRequestBody = body::decode(bytes).map_err(e)?;
            if m.topic.is_empty() || m.consumer_group.is_empty() {
                return Err(format!("incomplete mode: {m:?}"));
            }
            Ok(format!("{} {}", m.mode, m.pop_share_queue_num))
        }
        // Kinds the servers do not read as a typed body: they must still be JSON.
        _ => body::lenient::parse(bytes).map(|_| "JSON".to_owned()).map_err(e),
    }
}

#[test]
fn every_captured_body_reads_leniently() {
    let all = vectors();
    let mut failures = Vec::new();
    for (family, path) in &all {
        let kind = kind(path);
        let bytes = std::fs::read(path).unwrap();
        match check(&kind, &bytes) {
            Ok(what) => println!("{family}/{}: {kind}: {what}", path.file_name().unwrap().to_string_lossy()),
            Err(why) => failures.push(format!("{}: {why}", path.display())),
        }
    }
    assert!(failures.is_empty(), "unreadable vectors:\n{}", failures.join("\n"));
}

#[test]
fn every_family_has_a_heartbeat_vector() {
    let all = vectors();
    let mut families: Vec<&str> = all.iter().map(|(f, _)| f.as_str()).collect();
    families.dedup();
    assert!(!families.is_empty(), "no vectors found");
    for family in families.iter().filter(|f| !f.starts_with("broker")) {
        assert!(
            all.iter().any(|(f, p)| f == family && kind(p) == "HeartBeat"),
            "family {family} has no HeartBeat vector"
        );
    }
}
