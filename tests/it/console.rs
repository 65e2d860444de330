//! The web console (`rmq-console`) over HTTP against a real name server and broker: pages show
//! the broker, a topic's queues, a message found by key and its trace, a group's online consumer; a change needs a confirmation
//! submission, and a read-only console refuses it. (Clicking through it in Chromium:
//! tests/compat/run-console-browser.sh.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use rmq_admin::topic::{TopicSpec, Topics};
use rmq_admin::{Admin, Target};
use rmq_client::consumer::{ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer};
use rmq_client::producer::{Producer, ProducerConfig};
use rmq_client::Message;
use rmq_console::ConsoleConfig;
use rmq_tests::prom::get;
use rmq_tests::single_broker;

/// Starts a console on a free port; returns its address.
async fn console(ns: &str, admin: bool) -> String {
    let config = ConsoleConfig { namesrv_addr: Some(ns.to_owned()), listen_port: 0, admin, ..ConsoleConfig::default() };
    let listener = rmq_console::bind(&config).await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let console = rmq_console::Console::connect(config).await.unwrap();
    tokio::spawn(rmq_console::serve(console, listener));
    addr
}

/// A form POST; status and body.
fn post(addr: &str, path: &str, form: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        form.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(form.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (head.split(' ').nth(1).unwrap().parse().unwrap(), body.to_owned())
}

/// Rows of the table `id` in a page.
fn rows(page: &str, id: &str) -> usize {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no table {id} in {page}"));
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    table.matches("<tr>").count() - 1
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_the_cluster_and_changes_need_confirmation_and_admin() {
    let cluster = single_broker("traceTopicEnable=true\n");
    let ns = cluster.ns.clone();
    let admin = Admin::connect(Some(&ns), Duration::from_secs(5)).await.unwrap();
    let mut spec = TopicSpec::new("ConsoleIt");
    (spec.read_queue_nums, spec.write_queue_nums) = (3, 3);
    Topics::new(&admin).create_topic(&Target::Cluster("DefaultCluster".into()), &spec).await.unwrap();
    let mut pc = ProducerConfig::new("console_it_pg", &ns);
    pc.trace.enabled = true;
    let producer = Producer::start(pc).await.unwrap();
    let sent = producer.send(Message::new("ConsoleIt", "the body <b>").with_keys(["k1"])).await.unwrap();

    let (rw, ro) = (console(&ns, true).await, console(&ns, false).await);
    let a = rw.clone();
    let (status, page) = blocking(move || get(&a, "/")).await;
    assert_eq!(status, 200);
    assert!(page.contains("broker-a") && page.contains("ASYNC_MASTER"), "{page}");
    let a = rw.clone();
    let (_, page) = blocking(move || get(&a, "/topic?name=ConsoleIt")).await;
    assert_eq!(rows(&page, "queues"), 3, "{page}");
    let a = rw.clone();
    let (_, page) = blocking(move || get(&a, "/messages?by=key&topic=ConsoleIt&key=k1&begin=0")).await;
    assert_eq!(rows(&page, "results"), 1, "{page}");
    assert!(page.contains("the body &lt;b&gt;"), "the body, escaped: {page}");

    // The send's trace record reaches the trace topic in the background: poll its page.
    let mut traced = String::new();
    for _ in 0..50 {
        let (a, id) = (rw.clone(), sent.msg_id.clone());
        traced = blocking(move || get(&a, &format!("/trace?id={id}")).1).await;
        if traced.contains("id=\"trace\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(rows(&traced, "trace") >= 1 && traced.contains("<td>Pub</td>"), "{traced}");

    // An online consumer: the group's page lists it, and its lag drops to 0 once it consumed.
    let mut cc = ConsumerConfig::new("console_it_cg", &ns);
    cc.from_where = ConsumeFromWhere::FirstOffset;
    let consumer = PushConsumer::start(cc, &[("ConsoleIt", "*")], Listener::concurrent(|_, _| ConsumeStatus::Success))
        .await
        .unwrap();
    let mut group = String::new();
    for _ in 0..100 {
        let a = rw.clone();
        group = blocking(move || get(&a, "/group?name=console_it_cg").1).await;
        if group.contains("id=\"clients\"")
            && group.contains("<b id=\"lag-total\">0</b>")
            && group.contains("id=\"lag\"")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(rows(&group, "clients"), 1, "{group}");
    assert!(group.contains("<b id=\"lag-total\">0</b>"), "{group}");
    consumer.shutdown().await;

    let form = "topic=ConsoleMade&cluster=DefaultCluster&readQueueNums=2&writeQueueNums=2&perm=6";
    let (a, f) = (ro.clone(), form.to_owned());
    let (status, page) = blocking(move || post(&a, "/topic/create", &format!("{f}&confirm=yes"))).await;
    assert_eq!(status, 403, "read-only refuses: {page}");
    let (a, f) = (rw.clone(), form.to_owned());
    let (status, page) = blocking(move || post(&a, "/topic/create", &f)).await;
    assert!(status == 200 && page.contains("id=\"confirm\""), "a confirmation page first: {page}");
    assert!(admin.route("ConsoleMade").await.is_err(), "nothing created before the confirmation");
    let (a, f) = (rw.clone(), form.to_owned());
    let (status, page) = blocking(move || post(&a, "/topic/create", &format!("{f}&confirm=yes"))).await;
    assert_eq!(status, 200, "{page}");
    let route = admin.route("ConsoleMade").await.expect("created after the confirmation");
    assert_eq!(route.queue_datas[0].read_queue_nums, 2);
    producer.shutdown().await;
    admin.shutdown();
}
