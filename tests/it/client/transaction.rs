//! Transactional messages against the broker process: commit and rollback, an unknown outcome
//! resolved by a check that another producer of the group answers, across a broker restart.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_client::consumer::{pull, PullRequest, PullStatus, Subscription};
use rmq_client::producer::{
    LocalTransactionState, ProducerConfig, SendResult, TransactionListener, TransactionProducer,
};
use rmq_client::{ClientConfig, ClientInstance, Message, MessageExt, MessageQueue};
use rmq_tests::{start_broker, start_namesrv, BrokerSpec};

/// Executes by body: "commit…" commits, "rollback…" rolls back, anything else is unknown.
/// Checks answer `check_answer`, counting the calls.
struct Local {
    check_answer: LocalTransactionState,
    checks: AtomicUsize,
}

impl TransactionListener for Local {
    fn execute(&self, msg: &Message, _sent: &SendResult) -> LocalTransactionState {
        if msg.body.starts_with(b"commit") {
            LocalTransactionState::CommitMessage
        } else if msg.body.starts_with(b"rollback") {
            LocalTransactionState::RollbackMessage
        } else {
            LocalTransactionState::Unknown
        }
    }

    fn check(&self, _msg: &MessageExt) -> LocalTransactionState {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.check_answer
    }
}

async fn tx_producer(ns: &str, instance: &str, answer: LocalTransactionState) -> (TransactionProducer, Arc<Local>) {
    let mut cfg = ProducerConfig::new("tx_group", ns);
    cfg.client.instance_name = instance.into();
    let local = Arc::new(Local { check_answer: answer, checks: AtomicUsize::new(0) });
    let p = TransactionProducer::start(cfg, Arc::clone(&local) as Arc<dyn TransactionListener>).await.unwrap();
    (p, local)
}

/// Every body on the topic, with counts (raw pulls of every queue from offset 0).
async fn bodies(ns: &str, topic: &str) -> BTreeMap<String, usize> {
    let mut cfg = ClientConfig::with_namesrv(ns);
    cfg.instance_name = format!("reader_{}", rand_suffix());
    let instance = ClientInstance::start(cfg).await.unwrap();
    let mut out = BTreeMap::new();
    let Ok(route) = instance.update_route(topic).await else { return out };
    let sub = Subscription::new(topic, "*");
    for qd in &route.queue_datas {
        for q in 0..qd.read_queue_nums {
            let mq = MessageQueue { topic: topic.into(), broker_name: qd.broker_name.clone(), queue_id: q };
            let mut offset = 0;
            loop {
                let req = PullRequest {
                    group: "tx_reader",
                    queue: &mq,
                    subscription: &sub,
                    offset,
                    max_msgs: 32,
                    suspend: Duration::ZERO,
                    commit_offset: None,
                    broker_id: 0,
                };
                let Ok(r) = pull(&instance, &req).await else { break };
                if r.status != PullStatus::Found {
                    break;
                }
                for m in r.messages {
                    *out.entry(String::from_utf8_lossy(&m.body).into_owned()).or_insert(0) += 1;
                }
                offset = r.next_begin_offset;
            }
        }
    }
    instance.shutdown();
    out
}

fn rand_suffix() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commit_rollback_and_a_checked_unknown_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start_namesrv(dir.path());
    let spec = BrokerSpec {
        namesrv: Some(ns.addr()),
        store: dir.path().join("store"),
        port: 0,
        extra: "transactionCheckInterval=500\ntransactionTimeOut=1000\ntransactionCheckMax=200\n".into(),
    };
    let broker = start_broker(&spec, dir.path());
    let spec = BrokerSpec { port: broker.port, ..spec };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let topic = "TxTopic";

    // Producer A: commits and rolls back; its unknown one it cannot answer (it leaves).
    let (a, a_local) = tx_producer(&ns.addr(), "tx_a", LocalTransactionState::Unknown).await;
    let r = a.send_in_transaction(Message::new(topic, "commit-1")).await.unwrap();
    assert_eq!(r.state, LocalTransactionState::CommitMessage);
    let r = a.send_in_transaction(Message::new(topic, "rollback-1")).await.unwrap();
    assert_eq!(r.state, LocalTransactionState::RollbackMessage);
    let r = a.send_in_transaction(Message::new(topic, "unknown-1")).await.unwrap();
    assert_eq!(r.state, LocalTransactionState::Unknown);
    a.shutdown().await;
    drop(a);
    // END_TRANSACTION is one-way and the topic's route registers asynchronously: wait for the commit.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = bodies(&ns.addr(), topic).await;
    while seen.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen = bodies(&ns.addr(), topic).await;
    }
    assert_eq!(seen, BTreeMap::from([("commit-1".to_owned(), 1)]), "half and rolled-back messages are invisible");

    // The broker restarts with the unknown half message pending.
    broker.terminate();
    let _broker = start_broker(&spec, dir.path());
    tokio::time::sleep(Duration::from_millis(800)).await;

    // Producer B of the same group answers the check: commit.
    let (b, b_local) = tx_producer(&ns.addr(), "tx_b", LocalTransactionState::CommitMessage).await;
    b.producer().instance().send_heartbeats().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = bodies(&ns.addr(), topic).await;
        if seen.contains_key("unknown-1") {
            assert_eq!(
                seen,
                BTreeMap::from([("commit-1".to_owned(), 1), ("unknown-1".to_owned(), 1)]),
                "committed once, rollback never"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the check never committed the unknown message");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(b_local.checks.load(Ordering::SeqCst) >= 1, "producer B was asked");
    assert_eq!(a_local.checks.load(Ordering::SeqCst), 0);
    // Nothing more is checked once decided.
    let asked = b_local.checks.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(b_local.checks.load(Ordering::SeqCst), asked);
    b.shutdown().await;
}
