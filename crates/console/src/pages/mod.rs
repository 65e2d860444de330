//! The pages, one module per family. Each handler reads through the admin API and renders HTML.

pub mod charts;
pub mod cluster;
pub mod groups;
pub mod messages;
pub mod topics;

use std::collections::HashMap;

/// Query-string parameters of a GET page.
pub(crate) type Params = axum::extract::Query<HashMap<String, String>>;

/// A trimmed, non-empty parameter.
pub(crate) fn param<'a>(p: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    p.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}
