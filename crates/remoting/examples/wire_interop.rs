//! Wire interop with the official Java `RemotingCommand` (the Rust half of
//! `tests/compat/run-remoting-interop.sh`).
//!
//! Usage: `cargo run -q -p rmq-remoting --example wire_interop -- <dir>`
//!
//! 1. For every `<dir>/java/NN-name.frame` written by the Java `RemotingInterop gen`: decode it
//!    with our codec and compare with `NN-name.expect.json`; for ROCKETMQ frames require that our
//!    encoder reproduces the Java bytes (exactly, or exactly once the extFields entries, which
//!    Java writes in HashMap order, are put in key order); for JSON frames require that our
//!    encoding decodes back to the same values. Where the case has a typed header, read it too.
//! 2. Write frames of ours into `<dir>/rust/` with the values the official Java decoder must
//!    see (`NN-name.expect.json`, optional `"javaHeader"` that must decode with every
//!    `@CFNotNull` field): broker-style responses, an error response, a one-way request, and
//!    our re-encoding of every Java frame (`echo-*`). The Java `RemotingInterop check` reads them.
//!
//! Prints `PASS name` / `FAIL name: reason`; exits 1 on any failure.
// Test and example code: a failed step panics with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_lossless
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bytes::Bytes;
use rmq_remoting::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::{CommandHeader, ExtFields, LanguageCode, RemotingCommand, SerializeType};
use serde_json::{json, Map, Value};

/// 4.9.x package of the header classes; the Java side maps it to the 5.x package itself.
const JAVA_HEADER_PKG: &str = "org.apache.rocketmq.common.protocol.header.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir] = args.as_slice() else {
        eprintln!("usage: wire_interop <dir>   (reads <dir>/java, writes <dir>/rust)");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let mut tally = Tally::default();

    let java_frames = match list_frames(&dir.join("java")) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            println!("FAIL {}: no .frame files", dir.join("java").display());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            println!("FAIL {}: {e}", dir.join("java").display());
            return ExitCode::FAILURE;
        }
    };

    // 1. Java -> Rust.
    let mut echoes = Vec::new();
    for (name, path) in &java_frames {
        match check_java_frame(name, path) {
            Ok((note, cmd)) => {
                tally.pass(name, &note);
                echoes.push((name.clone(), cmd));
            }
            Err(problems) => tally.fail(name, &problems),
        }
    }

    // 2. Rust -> Java.
    let out = dir.join("rust");
    if let Err(e) = prepare_dir(&out) {
        println!("FAIL {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let mut frames: Vec<(String, RemotingCommand, Option<&'static str>)> = Vec::new();
    for (name, cmd, header) in rust_cases() {
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            let mut cmd = cmd.clone();
            cmd.serialize_type = ser;
            frames.push((format!("{name}-{}", ser_suffix(ser)), cmd, header));
        }
    }
    for (name, cmd) in echoes {
        let header = java_header_for(base_name(&name));
        frames.push((format!("echo-{name}"), cmd, header));
    }
    let mut written = 0;
    for (i, (name, cmd, header)) in frames.iter().enumerate() {
        let name = format!("{:02}-{name}", i + 1);
        match write_rust_frame(&out, &name, cmd, *header) {
            Ok(()) => written += 1,
            Err(e) => tally.fail(&format!("write {name}"), &[e]),
        }
    }
    println!("rust: wrote {written} frames into {}", out.display());
    println!("rust decode of java frames: {} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    fn pass(&mut self, name: &str, note: &str) {
        self.passed += 1;
        if note.is_empty() {
            println!("PASS {name}");
        } else {
            println!("PASS {name} ({note})");
        }
    }
    fn fail(&mut self, name: &str, problems: &[String]) {
        self.failed += 1;
        println!("FAIL {name}: {}", problems.join("; "));
    }
}

/// `(name without .frame, path)` of every frame in `dir`, sorted by name.
fn list_frames(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some(name) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".frame")) {
            out.push((name.to_owned(), path.clone()));
        }
    }
    out.sort();
    Ok(out)
}

/// Creates `dir` and removes frames and expectations left from an earlier run.
fn prepare_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".frame") || name.ends_with(".expect.json") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn ser_suffix(ser: SerializeType) -> &'static str {
    match ser {
        SerializeType::Json => "json",
        SerializeType::RocketMq => "rocketmq",
    }
}

/// `01-send-v2-json` -> `send-v2`.
fn base_name(name: &str) -> &str {
    let name = name.split_once('-').map_or(name, |(_, rest)| rest);
    name.strip_suffix("-json").or_else(|| name.strip_suffix("-rocketmq")).unwrap_or(name)
}

/// The official header class of the Java cases that have one.
fn java_header_for(base: &str) -> Option<&'static str> {
    match base {
        "send-v2" => Some("SendMessageRequestHeaderV2"),
        "pull" => Some("PullMessageRequestHeader"),
        "send-response" => Some("SendMessageResponseHeader"),
        "pull-response" => Some("PullMessageResponseHeader"),
        _ => None,
    }
}

// ------------------------------------------------------------------------- Java -> Rust

/// Decodes, compares and re-encodes one Java frame. Returns a note and the decoded command.
fn check_java_frame(name: &str, path: &Path) -> Result<(String, RemotingCommand), Vec<String>> {
    let frame = std::fs::read(path).map_err(|e| vec![format!("read: {e}")])?;
    let expect_path = path.with_file_name(format!("{name}.expect.json"));
    let expect: Value = std::fs::read_to_string(&expect_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|e| vec![format!("expectation {}: {e}", expect_path.display())])?;

    let cmd = RemotingCommand::decode_frame(&frame).map_err(|e| vec![format!("our decode failed: {e}")])?;
    let mut problems = compare(&expect, &cmd);
    if let Err(e) = read_typed_header(base_name(name), &cmd) {
        problems.push(e);
    }

    let ours = match cmd.encode_frame() {
        Ok(b) => b.to_vec(),
        Err(e) => {
            problems.push(format!("our re-encode failed: {e}"));
            return Err(problems);
        }
    };
    let note = match cmd.serialize_type {
        SerializeType::RocketMq => {
            if ours == frame {
                "re-encoded byte-identical".to_owned()
            } else {
                match canonical_rocketmq_frame(&frame) {
                    Ok(canonical) if canonical == ours => {
                        "re-encoded byte-identical modulo Java's HashMap order of extFields".to_owned()
                    }
                    Ok(canonical) => {
                        problems
                            .push(format!("re-encoded ROCKETMQ bytes differ: {}", first_difference(&canonical, &ours)));
                        String::new()
                    }
                    Err(e) => {
                        problems.push(format!("cannot parse the Java ROCKETMQ header: {e}"));
                        String::new()
                    }
                }
            }
        }
        SerializeType::Json => match RemotingCommand::decode_frame(&ours) {
            Ok(again) if again == cmd => "re-encoded JSON decodes to the same values".to_owned(),
            Ok(again) => {
                problems.push(format!("our JSON re-encoding decodes differently: {again:?} vs {cmd:?}"));
                String::new()
            }
            Err(e) => {
                problems.push(format!("our JSON re-encoding does not decode: {e}"));
                String::new()
            }
        },
    };
    if problems.is_empty() {
        Ok((note, cmd))
    } else {
        Err(problems)
    }
}

/// Reads the typed header of the cases that have one, as our broker/client would.
fn read_typed_header(base: &str, cmd: &RemotingCommand) -> Result<(), String> {
    let result = match base {
        "send-v2" => SendMessageRequestHeaderV2::read(&cmd.ext_fields).map(|h| {
            check_eq("a", h.a.as_str(), "compat_producer_group")
                .and(check_eq("g", &h.g, &1_700_000_000_123))
                .and(check_eq("k", &h.k, &Some(true)))
                .and(check_eq("m", &h.m, &Some(false)))
                .and(check_eq("n", &h.n.as_deref(), &Some("broker-a")))
        }),
        "pull" => PullMessageRequestHeader::read(&cmd.ext_fields).map(|h| {
            check_eq("queueOffset", &h.queue_offset, &1_234_567_890_123)
                .and(check_eq("sysFlag", &h.sys_flag, &7))
                .and(check_eq("subscription", &h.subscription.as_deref(), &Some("TagA || TagB")))
        }),
        "send-response" => SendMessageResponseHeader::read(&cmd.ext_fields).map(|h| {
            check_eq("queueOffset", &h.queue_offset, &42)
                .and(check_eq("MSG_REGION", &h.msg_region.as_deref(), &Some("DefaultRegion")))
                .and(check_eq("TRACE_ON", &h.trace_on.as_deref(), &Some("true")))
        }),
        "pull-response" => PullMessageResponseHeader::read(&cmd.ext_fields)
            .map(|h| check_eq("maxOffset", &h.max_offset, &i64::MAX).and(check_eq("minOffset", &h.min_offset, &0))),
        _ => return Ok(()),
    };
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("typed header: {e}")),
        Err(e) => Err(format!("typed header: {e}")),
    }
}

fn check_eq<T: PartialEq + std::fmt::Debug + ?Sized>(field: &str, got: &T, want: &T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{field} is {got:?}, expected {want:?}"))
    }
}

/// Differences between an expectation and our decoded command.
fn compare(expect: &Value, cmd: &RemotingCommand) -> Vec<String> {
    let mut problems = Vec::new();
    let mut int = |key: &str, got: i32| match expect.get(key).and_then(Value::as_i64) {
        Some(want) if want == i64::from(got) => {}
        Some(want) => problems.push(format!("{key}: expected {want}, got {got}")),
        None => problems.push(format!("{key}: missing from the expectation")),
    };
    int("code", cmd.code);
    int("version", cmd.version);
    int("opaque", cmd.opaque);
    int("flag", cmd.flag);
    if expect.get("language").and_then(Value::as_str) != Some(cmd.language.as_str()) {
        problems.push(format!("language: expected {}, got {}", expect["language"], cmd.language.as_str()));
    }
    let want_remark = expect.get("remark").and_then(Value::as_str);
    if want_remark != cmd.remark.as_deref() {
        problems.push(format!("remark: expected {want_remark:?}, got {:?}", cmd.remark));
    }
    // Java null (no map) and an empty map both decode to our empty ExtFields.
    let want_ext: Option<ExtFields> = match expect.get("extFields") {
        None | Some(Value::Null) => Some(ExtFields::new()),
        Some(Value::Object(m)) => {
            m.iter().map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect::<Option<ExtFields>>()
        }
        Some(_) => None,
    };
    match want_ext {
        Some(want) if want == cmd.ext_fields => {}
        Some(want) => problems.push(format!("extFields: expected {want:?}, got {:?}", cmd.ext_fields)),
        None => problems.push("extFields: malformed expectation".to_owned()),
    }
    let want_body = expect.get("bodyHex").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
    let got_body = hex(&cmd.body);
    if want_body != got_body {
        problems.push(format!(
            "body: expected {} bytes, got {} bytes ({})",
            want_body.len() / 2,
            cmd.body.len(),
            first_difference(want_body.as_bytes(), got_body.as_bytes())
        ));
    }
    if expect.get("serializeType").and_then(Value::as_str) != Some(cmd.serialize_type.as_str()) {
        problems.push(format!(
            "serializeType: expected {}, got {}",
            expect["serializeType"],
            cmd.serialize_type.as_str()
        ));
    }
    problems
}

/// The Java ROCKETMQ frame with its extFields entries sorted by key (our encoder's order).
fn canonical_rocketmq_frame(frame: &[u8]) -> Result<Vec<u8>, String> {
    fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
        if buf.len() < n {
            return Err(format!("needs {n} more bytes, has {}", buf.len()));
        }
        let (head, rest) = buf.split_at(n);
        *buf = rest;
        Ok(head)
    }
    fn be_len(b: &[u8]) -> Result<usize, String> {
        let v = match b.len() {
            2 => i64::from(i16::from_be_bytes([b[0], b[1]])),
            _ => i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        };
        usize::try_from(v).map_err(|_| format!("negative length {v}"))
    }
    let mut rest = frame;
    let prefix = take(&mut rest, 8)?;
    let header_len = usize::try_from(u32::from_be_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]) & 0x00FF_FFFF)
        .map_err(|e| e.to_string())?;
    let mut header = take(&mut rest, header_len)?;
    let body = rest;
    let fixed = take(&mut header, 13)?;
    let remark_len_bytes = take(&mut header, 4)?;
    let remark = take(&mut header, be_len(remark_len_bytes)?)?;
    let ext_len_bytes = take(&mut header, 4)?;
    let mut ext = take(&mut header, be_len(ext_len_bytes)?)?;
    if !header.is_empty() {
        return Err(format!("{} bytes after extFields", header.len()));
    }
    let mut entries: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    while !ext.is_empty() {
        let klen = take(&mut ext, 2)?;
        let klen_n = be_len(klen)?;
        let key = take(&mut ext, klen_n)?;
        let vlen = take(&mut ext, 4)?;
        let vlen_n = be_len(vlen)?;
        let value = take(&mut ext, vlen_n)?;
        let mut entry = Vec::with_capacity(6 + klen_n + vlen_n);
        entry.extend_from_slice(klen);
        entry.extend_from_slice(key);
        entry.extend_from_slice(vlen);
        entry.extend_from_slice(value);
        if entries.insert(key.to_vec(), entry).is_some() {
            return Err(format!("duplicate ext key {:?}", String::from_utf8_lossy(key)));
        }
    }
    let mut out = Vec::with_capacity(frame.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(fixed);
    out.extend_from_slice(remark_len_bytes);
    out.extend_from_slice(remark);
    out.extend_from_slice(ext_len_bytes);
    for entry in entries.values() {
        out.extend_from_slice(entry);
    }
    out.extend_from_slice(body);
    Ok(out)
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("first difference at byte {i} of {} vs {}", a.len(), b.len()),
        None if a.len() == b.len() => "identical".to_owned(),
        None => format!("lengths {} vs {}", a.len(), b.len()),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

// ------------------------------------------------------------------------- Rust -> Java

/// Commands of ours (each written in JSON and ROCKETMQ) and the Java header class to decode.
fn rust_cases() -> Vec<(&'static str, RemotingCommand, Option<&'static str>)> {
    let response = |code: i32, opaque: i32| RemotingCommand {
        code,
        language: LanguageCode::Java,
        version: 409,
        opaque,
        flag: rmq_remoting::FLAG_RESPONSE,
        ..RemotingCommand::default()
    };
    let mut cases = Vec::new();

    // What our broker answers to SEND_MESSAGE_V2.
    let mut send = response(0, 201);
    SendMessageResponseHeader {
        msg_id: "7F00000100002A9F0000000000001234".to_owned(),
        queue_id: 3,
        queue_offset: 42,
        transaction_id: None,
        batch_uniq_id: None,
        msg_region: Some("DefaultRegion".to_owned()),
        trace_on: Some("true".to_owned()),
        recall_handle: None,
    }
    .write(&mut send.ext_fields);
    cases.push(("send-response", send, Some("SendMessageResponseHeader")));

    // What our broker answers to PULL_MESSAGE when it found messages: binary body over 64 KiB.
    let mut pull = response(0, 202);
    pull.remark = Some("FOUND".to_owned());
    PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: 1_234_567_890_155,
        min_offset: 0,
        max_offset: 1_234_567_890_200,
        topic_sys_flag: Some(0),
        group_sys_flag: Some(0),
    }
    .write(&mut pull.ext_fields);
    pull.body = Bytes::from((0..65_539_u32).map(|i| (i.wrapping_mul(131) >> 3) as u8).collect::<Vec<u8>>());
    cases.push(("pull-response", pull, Some("PullMessageResponseHeader")));

    // A pull that found nothing: PULL_NOT_FOUND with the header, no body.
    let mut not_found = response(19, 203);
    not_found.remark = Some("OFFSET_OVERFLOW_ONE".to_owned());
    PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: 7,
        min_offset: 0,
        max_offset: 7,
        topic_sys_flag: None,
        group_sys_flag: None,
    }
    .write(&mut not_found.ext_fields);
    cases.push(("pull-not-found", not_found, Some("PullMessageResponseHeader")));

    // Flow control, as the official broker words it, plus non-ASCII and escapes.
    let mut busy = response(2, 204);
    busy.remark =
        Some("[REJECTREQUEST]system busy, start flow control for a while — 系统繁忙 \"q\" \\ \n\t🚀".to_owned());
    cases.push(("error-response", busy, None));

    // A bare SUCCESS: JSON carries an empty extFields object; ROCKETMQ cannot (Java sees null).
    cases.push(("empty-response", response(0, 205), None));

    // REQUEST_CODE_NOT_SUPPORTED for an unknown code.
    let mut unsupported = response(3, 206);
    unsupported.remark = Some(" request type 9999 not supported".to_owned());
    cases.push(("not-supported", unsupported, None));

    // A one-way UPDATE_CONSUMER_OFFSET from our client.
    let mut oneway = RemotingCommand {
        code: 15,
        language: LanguageCode::Java,
        version: 409,
        opaque: 207,
        flag: rmq_remoting::FLAG_ONEWAY,
        ..RemotingCommand::default()
    };
    UpdateConsumerOffsetRequestHeader {
        consumer_group: "compat_consumer_group".to_owned(),
        topic: "CompatTopic".to_owned(),
        queue_id: 1,
        commit_offset: 77,
    }
    .write(&mut oneway.ext_fields);
    cases.push(("oneway", oneway, Some("UpdateConsumerOffsetRequestHeader")));

    // A request saying RUST (known since 4.9.4) with non-ASCII and control characters.
    let mut unicode = RemotingCommand {
        code: 105,
        language: LanguageCode::Rust,
        version: 409,
        opaque: -208,
        remark: Some("remark ünïcödé 🚀 中文".to_owned()),
        ..RemotingCommand::default()
    };
    unicode.ext_fields.insert("topic".to_owned(), "主题-тема-🚀".to_owned());
    unicode.ext_fields.insert("weird".to_owned(), "quote\" backslash\\ nl\n cr\r ctrl\u{1}\u{2}\u{1f} end".to_owned());
    unicode.body = Bytes::from_static("body ✓".as_bytes());
    cases.push(("unicode-request", unicode, None));

    cases
}

/// Writes `NN-name.frame` and the values the official decoder must see in `NN-name.expect.json`.
fn write_rust_frame(dir: &Path, name: &str, cmd: &RemotingCommand, header: Option<&str>) -> Result<(), String> {
    let frame = cmd.encode_frame().map_err(|e| format!("encode: {e}"))?;
    let mut expect = java_view(cmd);
    if let Some(h) = header {
        expect.insert("javaHeader".to_owned(), Value::String(format!("{JAVA_HEADER_PKG}{h}")));
    }
    std::fs::write(dir.join(format!("{name}.frame")), &frame).map_err(|e| e.to_string())?;
    let text = serde_json::to_string(&Value::Object(expect)).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(format!("{name}.expect.json")), text + "\n").map_err(|e| e.to_string())
}

/// What `RemotingCommand.decode` in Java yields for our encoding of `cmd`.
///
/// JSON: remark as sent; extFields present (a map, maybe empty) when non-empty or when the
/// command is a response (we always send the object: 4.9.x clients dereference it).
/// ROCKETMQ: a zero-length remark or value reads back as null, and a zero-length extFields
/// area as no map at all (the format cannot carry an empty map).
fn java_view(cmd: &RemotingCommand) -> Map<String, Value> {
    let json = cmd.serialize_type == SerializeType::Json;
    let remark = match &cmd.remark {
        Some(r) if json || !r.is_empty() => Value::String(r.clone()),
        _ => Value::Null,
    };
    let ext = if cmd.ext_fields.is_empty() && !(json && cmd.is_response()) {
        Value::Null
    } else {
        Value::Object(
            cmd.ext_fields
                .iter()
                .map(|(k, v)| {
                    let v = if v.is_empty() && !json { Value::Null } else { Value::String(v.to_owned()) };
                    (k.to_owned(), v)
                })
                .collect(),
        )
    };
    let view = json!({
        "code": cmd.code,
        "language": cmd.language.as_str(),
        "version": cmd.version,
        "opaque": cmd.opaque,
        "flag": cmd.flag,
        "remark": remark,
        "extFields": ext,
        "bodyHex": hex(&cmd.body),
        "serializeType": cmd.serialize_type.as_str(),
    });
    match view {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
