//! Tag expressions: `*`, `a`, `a || b`.

use rmq_remoting::body::SubscriptionData;

/// A parsed subscription of one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Topic.
    pub topic: String,
    /// The expression as given.
    pub expression: String,
    /// Tags (empty = all).
    pub tags: Vec<String>,
    /// Version (creation time, ms).
    pub version: i64,
}

impl Subscription {
    /// Parses `expr` for `topic`.
    #[must_use]
    pub fn new(topic: &str, expr: &str) -> Self {
        let expr = if expr.trim().is_empty() { "*" } else { expr.trim() };
        let tags = if expr == "*" {
            Vec::new()
        } else {
            expr.split("||").map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
        };
        Self { topic: topic.to_owned(), expression: expr.to_owned(), tags, version: rmq_common::time::now_ms() }
    }

    /// Whether a message with `tag` matches (the broker filters by hash; this re-checks).
    #[must_use]
    pub fn matches(&self, tag: Option<&str>) -> bool {
        self.tags.is_empty() || tag.is_some_and(|t| self.tags.iter().any(|s| s == t))
    }

    /// The heartbeat form.
    #[must_use]
    pub fn data(&self) -> SubscriptionData {
        SubscriptionData {
            class_filter_mode: false,
            topic: self.topic.clone(),
            sub_string: self.expression.clone(),
            tags_set: self.tags.clone(),
            code_set: self.tags.iter().map(|t| rmq_common::hash::java_hash(t)).collect(),
            sub_version: self.version,
            expression_type: "TAG".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        let s = Subscription::new("T", "a || b");
        assert!(s.matches(Some("a")) && s.matches(Some("b")) && !s.matches(Some("c")) && !s.matches(None));
        assert!(Subscription::new("T", "*").matches(None));
        assert_eq!(Subscription::new("T", "").expression, "*");
    }
}
