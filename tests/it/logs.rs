//! Log files of a running broker: rolled by size with a cap on kept files, JSON lines with
//! `logFormat=json`, no colour escapes (stdout is not a terminal here either).

use rmq_tests::{start_broker, BrokerSpec};

#[test]
fn broker_log_rolls_keeps_at_most_max_files_and_writes_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BrokerSpec {
        namesrv: None,
        store: dir.path().join("store"),
        port: 0,
        extra: "logFormat=json\nlogMaxFileSize=300\nlogMaxFiles=2\n".into(),
    };
    let broker = start_broker(&spec, dir.path());
    broker.terminate();
    let logs = dir.path().join("logs");
    let mut names: Vec<String> =
        std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    // Start and shutdown log well over 3 x 300 bytes: rolled twice at least, two kept.
    assert_eq!(names, ["broker.log", "broker.log.1", "broker.log.2"], "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(logs.join(name)).unwrap();
        assert!(!text.contains('\u{1b}'), "colour escape in {name}: {text:?}");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
            assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
        }
    }
    let out = std::fs::read_to_string(dir.path().join("mqbroker.out")).unwrap();
    assert!(!out.contains('\u{1b}'), "colour escapes on a stdout that is not a terminal: {out:?}");
}
