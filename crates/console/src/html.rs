//! HTML building blocks: escaping, the page layout with its navigation, tables, notices and
//! forms. Pages are plain strings built server side; the stylesheet and script are embedded.

use std::fmt::Write as _;

/// The stylesheet, served at `/static/app.css`.
pub const CSS: &str = include_str!("../assets/app.css");
/// The script, served at `/static/app.js`.
pub const JS: &str = include_str!("../assets/app.js");

/// The navigation: path and label.
const NAV: [(&str, &str); 6] = [
    ("/", "Cluster"),
    ("/topics", "Topics"),
    ("/groups", "Groups"),
    ("/messages", "Messages"),
    ("/trace", "Traces"),
    ("/charts", "Charts"),
];

/// Escapes text for HTML content and attribute values.
#[must_use]
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a value for a URL query component.
#[must_use]
pub fn url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A whole page: `title`, the active navigation entry `active`, the read-only badge, `body`.
#[must_use]
pub fn page(title: &str, active: &str, admin: bool, body: &str) -> String {
    let mut nav = String::new();
    for (path, label) in NAV {
        let class = if path == active { " class=\"active\"" } else { "" };
        let _ = write!(nav, "<a href=\"{path}\"{class}>{label}</a>");
    }
    let mode = if admin { "<span class=\"mode\">admin</span>" } else { "<span class=\"mode ro\">read-only</span>" };
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · RocketMQ console</title>\
         <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body>\
         <header><span class=\"brand\">RocketMQ console</span>{nav}{mode}</header>\
         <main><h1>{t}</h1>{body}</main><script src=\"/static/app.js\"></script></body></html>",
        t = esc(title)
    )
}

/// A notice box: `kind` is `ok`, `warn` or `error`; `text` is escaped.
#[must_use]
pub fn notice(kind: &str, text: &str) -> String {
    format!("<div class=\"notice {kind}\" id=\"notice\">{}</div>", esc(text))
}

/// A sortable table with an id; cells are HTML already (escape them with [`esc`]).
#[derive(Debug)]
pub struct Table {
    html: String,
}

impl Table {
    /// A table `id` with these column headers.
    #[must_use]
    pub fn new(id: &str, headers: &[&str]) -> Self {
        let mut html = format!("<table class=\"sortable\" id=\"{}\"><thead><tr>", esc(id));
        for h in headers {
            let _ = write!(html, "<th>{}</th>", esc(h));
        }
        html.push_str("</tr></thead><tbody>");
        Self { html }
    }

    /// Adds a row; a cell starting with `#` is right-aligned (a number) and shown without it.
    pub fn row(&mut self, cells: &[String]) {
        self.html.push_str("<tr>");
        for c in cells {
            match c.strip_prefix('#') {
                Some(n) => {
                    let _ = write!(self.html, "<td class=\"num\">{n}</td>");
                }
                None => {
                    let _ = write!(self.html, "<td>{c}</td>");
                }
            }
        }
        self.html.push_str("</tr>");
    }

    /// The table's HTML.
    #[must_use]
    pub fn finish(mut self) -> String {
        self.html.push_str("</tbody></table>");
        self.html
    }
}

/// A number cell for [`Table::row`].
#[must_use]
pub fn num(n: impl std::fmt::Display) -> String {
    format!("#{n}")
}

/// A link cell: `href` (already a URL) and escaped text.
#[must_use]
pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}

/// A hidden form field.
#[must_use]
pub fn hidden(name: &str, value: &str) -> String {
    format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", esc(name), esc(value))
}

/// A labelled text input.
#[must_use]
pub fn input(name: &str, label: &str, value: &str) -> String {
    format!(
        "<label>{} <input name=\"{n}\" id=\"f-{n}\" value=\"{v}\"></label>",
        esc(label),
        n = esc(name),
        v = esc(value)
    )
}

/// Milliseconds since the epoch as a UTC time, `-` for 0.
#[must_use]
pub fn time(ms: i64) -> String {
    if ms <= 0 {
        return "-".to_owned();
    }
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| ms.to_string(), |t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(url("%RETRY%g 1/x"), "%25RETRY%25g%201%2Fx");
    }

    #[test]
    fn tables_align_numbers_and_pages_mark_the_mode() {
        let mut t = Table::new("t", &["a", "b"]);
        t.row(&[esc("x<"), num(3)]);
        assert_eq!(t.finish().matches("<td class=\"num\">3</td>").count(), 1);
        assert!(page("P", "/", false, "").contains("read-only"));
        assert!(page("P", "/", true, "").contains(">admin<"));
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(time(0), "-");
        assert_eq!(time(86_400_000), "1970-01-02 00:00:00");
    }
}
