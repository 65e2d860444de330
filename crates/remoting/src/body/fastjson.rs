//! fastjson's non-standard JSON: object keys that are bare numbers (`{0:"a"}`) or whole JSON
//! objects (`{{"brokerName":..}:1}`). [`normalize`] rewrites such text into standard JSON, turning
//! each non-string key into a string holding its JSON text, so serde can parse it.

/// Rewrites fastjson text into standard JSON (keys that are not strings become strings).
#[must_use]
pub fn normalize(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    // For each open container: is it an object, and do we expect a key next?
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let expecting_key = matches!(stack.last(), Some((true, true)));
        if expecting_key && !c.is_ascii_whitespace() && c != b'"' && c != b'}' {
            // A non-string key: the balanced value text up to the ':' at this depth.
            let end = bare_key_end(b, i);
            out.push_str(&serde_json::Value::from(text[i..end].trim()).to_string());
            key_seen(&mut stack);
            i = end;
            continue;
        }
        if c == b'"' {
            let close = string_close(b, i);
            out.push_str(&text[i..=close.min(b.len() - 1)]);
            key_seen(&mut stack);
            i = close + 1;
            continue;
        }
        track_container(&mut stack, c);
        // Copy multi-byte UTF-8 sequences whole.
        let mut end = i + 1;
        while end < b.len() && (b[end] & 0xC0) == 0x80 {
            end += 1;
        }
        out.push_str(&text[i..end]);
        i = end;
    }
    out
}

/// Where the non-string key starting at `start` ends: the `:` at its own depth (or the end).
fn bare_key_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut depth = 0i32;
    let mut in_str = false;
    while i < b.len() {
        let ch = b[i];
        if in_str {
            if ch == b'\\' {
                i += 1;
            } else if ch == b'"' {
                in_str = false;
            }
        } else if ch == b'"' {
            in_str = true;
        } else if ch == b'{' || ch == b'[' {
            depth += 1;
        } else if ch == b'}' || ch == b']' {
            depth -= 1;
        } else if ch == b':' && depth == 0 {
            break;
        }
        i += 1;
    }
    i
}

/// The index of the quote closing the string that opens at `open` (past the end if none).
fn string_close(b: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < b.len() && b[i] != b'"' {
        if b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

/// A key was read: the innermost object now expects a value.
fn key_seen(stack: &mut [(bool, bool)]) {
    if let Some(top) = stack.last_mut() {
        if top.0 {
            top.1 = false;
        }
    }
}

/// Opens or closes a container, or (after a `,` in an object) expects a key again.
fn track_container(stack: &mut Vec<(bool, bool)>, c: u8) {
    match c {
        b'{' => stack.push((true, true)),
        b'[' => stack.push((false, false)),
        b'}' | b']' => {
            stack.pop();
        }
        b',' => {
            if let Some(top) = stack.last_mut() {
                if top.0 {
                    top.1 = true;
                }
            }
        }
        _ => {}
    }
}

/// Parses a key produced by [`normalize`] from a MessageQueue object key.
#[must_use]
pub fn message_queue_key(key: &str) -> Option<super::MessageQueue> {
    serde_json::from_str(key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_numeric_and_object_keys() {
        let t = r#"{"offsetTable":{"T@g":{0:10,3:7}}}"#;
        let v: serde_json::Value = serde_json::from_str(&normalize(t)).unwrap();
        assert_eq!(v["offsetTable"]["T@g"]["3"], 7);
        let t = r#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"maxOffset":5}},"x":[1,{2:"é"}]}"#;
        let n = normalize(t);
        let v: serde_json::Value = serde_json::from_str(&n).unwrap();
        let (k, val) = v["offsetTable"].as_object().unwrap().iter().next().unwrap();
        assert_eq!(val["maxOffset"], 5);
        let mq = message_queue_key(k).unwrap();
        assert_eq!((mq.topic.as_str(), mq.queue_id), ("T", 1));
        assert_eq!(v["x"][1]["2"], "é");
        // Standard JSON passes through unchanged.
        let s = r#"{"a":{"b":[1,2,"c"]},"d":"e\"f"}"#;
        assert_eq!(normalize(s), s);
    }
}
