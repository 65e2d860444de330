//! Reading and writing properties text the way `java.util.Properties` does.
//!
//! Rules (those of `Properties.load`): natural lines end at `\n`, `\r` or `\r\n`; a line whose
//! end is escaped by an odd number of backslashes continues on the next one, whose leading
//! whitespace is dropped; blank lines and comment lines (first non-blank character `#` or `!`)
//! are skipped, and a comment never continues; the key runs from the first non-blank character
//! to the first unescaped `=`, `:` or whitespace; whitespace, then one optional `=` or `:`, then
//! whitespace separate it from the value; in keys and values `\t`, `\n`, `\r`, `\f` and `\uXXXX`
//! are unescaped and a backslash before any other character stands for that character. Later
//! duplicates win. A malformed `\u` escape (which Java rejects) is kept as written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Whitespace as `Properties.load` sees it.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Parses properties text into its pairs (no environment expansion).
#[must_use]
pub fn read_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in logical_lines(text) {
        let (key, value) = split_pair(&line);
        out.insert(unescape(key), unescape(value));
    }
    out
}

/// Joins continued lines; drops blank and comment lines.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for natural in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        for natural in natural.split('\r') {
            let trimmed = natural.trim_start_matches(is_blank);
            let mut current = match pending.take() {
                Some(mut acc) => {
                    acc.push_str(trimmed);
                    acc
                }
                None if trimmed.is_empty() || trimmed.starts_with(['#', '!']) => continue,
                None => trimmed.to_owned(),
            };
            if ends_with_escape(&current) {
                current.pop();
                pending = Some(current);
            } else {
                out.push(current);
            }
        }
    }
    out.extend(pending);
    out
}

/// Whether the line ends with an odd number of backslashes.
fn ends_with_escape(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits a logical line (no leading blanks) into its raw key and raw value.
fn split_pair(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || is_blank(c) {
            key_end = i;
            break;
        }
    }
    let rest = line[key_end..].trim_start_matches(is_blank);
    let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest);
    (&line[..key_end], rest.trim_start_matches(is_blank))
}

/// Resolves backslash escapes.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => unicode_escape(&mut chars, &mut out),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// `\uXXXX`: the four hex digits after `\u`; kept as written when malformed.
fn unicode_escape(chars: &mut std::str::Chars<'_>, out: &mut String) {
    let digits: String = chars.clone().take(4).collect();
    let decoded = (digits.len() == 4 && digits.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32))
        .flatten();
    match decoded {
        Some(ch) => {
            out.push(ch);
            chars.nth(3);
        }
        None => out.push_str("\\u"),
    }
}

/// Escapes a key or value so that [`read_properties`] (and Java) reads it back unchanged.
#[must_use]
pub fn escape(text: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '=' | ':' | '#' | '!' if is_key || i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Renders pairs as properties text that reads back to the same pairs.
#[must_use]
pub fn write_properties<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        let _ = writeln!(out, "{}={}", escape(k, true), escape(v, false));
    }
    out
}

/// Rewrites properties text with `changes`: a line setting a changed key is replaced (with
/// its continuation lines), later lines for the same key are dropped, keys not present are
/// appended; comments, blank lines and other keys stay as written.
#[must_use]
pub fn update_properties(text: &str, changes: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut written = std::collections::BTreeSet::new();
    let mut skipping = false;
    for natural in text.lines() {
        if skipping {
            skipping = ends_with_escape(natural);
            continue;
        }
        let trimmed = natural.trim_start_matches(is_blank);
        let key = (!trimmed.is_empty() && !trimmed.starts_with(['#', '!'])).then(|| unescape(split_pair(trimmed).0));
        match key.and_then(|k| changes.get_key_value(&k)) {
            Some((k, v)) => {
                if written.insert(k.clone()) {
                    let _ = writeln!(out, "{}={}", escape(k, true), escape(v, false));
                }
                skipping = ends_with_escape(natural);
            }
            None => {
                out.push_str(natural);
                out.push('\n');
            }
        }
    }
    for (k, v) in changes.iter().filter(|(k, _)| !written.contains(*k)) {
        let _ = writeln!(out, "{}={}", escape(k, true), escape(v, false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, String) {
        let map = read_properties(text);
        assert_eq!(map.len(), 1, "{text:?} -> {map:?}");
        map.into_iter().next().unwrap_or_default()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn separators() {
        assert_eq!(one("a=1"), pair("a", "1"));
        assert_eq!(one("a:1"), pair("a", "1"));
        assert_eq!(one("a 1"), pair("a", "1"));
        assert_eq!(one("a\t1"), pair("a", "1"));
        assert_eq!(one("a = 1"), pair("a", "1"));
        assert_eq!(one("a : 1"), pair("a", "1"));
        assert_eq!(one("a  =  =1"), pair("a", "=1"), "only one separator is eaten");
        assert_eq!(one("a=x=y"), pair("a", "x=y"));
        assert_eq!(one("a"), pair("a", ""));
        assert_eq!(one("a="), pair("a", ""));
    }

    #[test]
    fn whitespace_and_comments() {
        assert_eq!(one("   \t a=1"), pair("a", "1"), "leading whitespace");
        assert_eq!(one("a=1 2 3 "), pair("a", "1 2 3 "), "trailing whitespace is kept, as Java does");
        assert_eq!(one("# x=1\n! y=2\n\n   \n  # z\nb=2"), pair("b", "2"));
        assert_eq!(one("# comment \\\nb=2"), pair("b", "2"), "a comment does not continue");
        assert_eq!(one("a=#not a comment"), pair("a", "#not a comment"));
    }

    #[test]
    fn continuation_lines() {
        assert_eq!(one("a=1,\\\n    2,\\\n\t3"), pair("a", "1,2,3"));
        assert_eq!(one("a=x\\\\\n"), pair("a", "x\\"), "an even number of backslashes does not continue");
        assert_eq!(one("a=1\\\r\n 2"), pair("a", "12"), "CRLF");
        assert_eq!(one("a=1\\\r 2"), pair("a", "12"), "CR alone ends a line");
        assert_eq!(one("a\\\n  b=1"), pair("ab", "1"), "a key may continue");
        assert_eq!(one("a=1\\"), pair("a", "1"), "continuation at the end of the text");
    }

    #[test]
    fn escapes() {
        assert_eq!(one("a=\\u0041\\u00e9"), pair("a", "Aé"));
        assert_eq!(one("a=\\t\\n\\r\\f"), pair("a", "\t\n\r\x0c"));
        assert_eq!(one("a=\\q\\\\"), pair("a", "q\\"), "other escaped chars stand for themselves");
        assert_eq!(one("k\\ e\\=y\\:z=v"), pair("k e=y:z", "v"), "escaped separators in keys");
        assert_eq!(one("a=\\ lead"), pair("a", " lead"), "escaped leading space in a value");
        assert_eq!(one("a=\\u00zz"), pair("a", "\\u00zz"), "a malformed escape is kept");
        assert_eq!(one("a=C:\\\\store"), pair("a", "C:\\store"));
    }

    #[test]
    fn later_duplicates_win() {
        assert_eq!(one("a=1\na=2"), pair("a", "2"));
    }

    #[test]
    fn writing_round_trips() {
        let pairs = [
            ("plain", "value"),
            ("spaced key=:", " lead, trail "),
            ("path", "C:\\store\\x"),
            ("multi", "line1\nline2\ttab"),
            ("#hash", "!bang"),
            ("ctl", "\u{1}"),
        ];
        let text = write_properties(pairs);
        let back = read_properties(&text);
        for (k, v) in pairs {
            assert_eq!(back.get(k).map(String::as_str), Some(v), "{k} in {text}");
        }
        assert_eq!(back.len(), pairs.len());
    }

    #[test]
    fn updating_keeps_comments_and_other_keys() {
        let text = "# broker\nbrokerName = a\nfileReservedTime=72\nlist=1,\\\n  2\n! end\nfileReservedTime=1\n";
        let changes = [("fileReservedTime", "48"), ("list", "3"), ("deleteWhen", "01;04")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let out = update_properties(text, &changes);
        assert_eq!(out, "# broker\nbrokerName = a\nfileReservedTime=48\nlist=3\n! end\ndeleteWhen=01;04\n");
        let back = read_properties(&out);
        assert_eq!(back.get("fileReservedTime").map(String::as_str), Some("48"));
        assert_eq!(back.get("brokerName").map(String::as_str), Some("a"));
    }
}
