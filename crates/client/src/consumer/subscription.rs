//! Subscriptions: tag expressions (`*`, `a`, `a || b`) or SQL92 selectors
//! ([`MessageSelector`]), and the broker-side check of a selector at start.

use std::time::Duration;

use rmq_remoting::body::{CheckClientRequestBody, SubscriptionData};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::error::Result;
use crate::instance::{expect_ok, ClientInstance};

/// What a consumer selects from a topic, as the Java client's `MessageSelector`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageSelector {
    /// A tag expression: `*`, `a`, `a || b` (the broker filters by tag hash, the client by tag).
    Tag(String),
    /// A SQL92 expression over the message's properties, e.g. `a > 5 AND region = 'hz'`
    /// (filtered by the broker only; it must run with `enablePropertyFilter=true`).
    Sql92(String),
}

impl MessageSelector {
    /// `MessageSelector.byTag`.
    #[must_use]
    pub fn by_tag(expression: &str) -> Self {
        Self::Tag(expression.to_owned())
    }

    /// `MessageSelector.bySql`.
    #[must_use]
    pub fn by_sql(expression: &str) -> Self {
        Self::Sql92(expression.to_owned())
    }
}

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
    /// A SQL92 selector (`expression` is then SQL, `tags` empty).
    pub sql: bool,
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
        Self {
            topic: topic.to_owned(),
            expression: expr.to_owned(),
            tags,
            version: rmq_common::time::now_ms(),
            sql: false,
        }
    }

    /// The subscription of `topic` by a selector.
    #[must_use]
    pub fn with_selector(topic: &str, selector: &MessageSelector) -> Self {
        match selector {
            MessageSelector::Tag(e) => Self::new(topic, e),
            MessageSelector::Sql92(e) => Self {
                topic: topic.to_owned(),
                expression: e.trim().to_owned(),
                tags: Vec::new(),
                version: rmq_common::time::now_ms(),
                sql: true,
            },
        }
    }

    /// `TAG` or `SQL92`.
    #[must_use]
    pub fn expression_type(&self) -> &'static str {
        if self.sql {
            "SQL92"
        } else {
            "TAG"
        }
    }

    /// Whether a message with `tag` matches (the broker filters by hash; this re-checks; SQL92
    /// is the broker's alone).
    #[must_use]
    pub fn matches(&self, tag: Option<&str>) -> bool {
        self.sql || self.tags.is_empty() || tag.is_some_and(|t| self.tags.iter().any(|s| s == t))
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
            expression_type: self.expression_type().into(),
        }
    }
}

/// CHECK_CLIENT_CONFIG on every broker of the subscription's topic, as the Java client's
/// `checkClientInBroker` at start: a SQL92 selector the brokers cannot serve or parse fails
/// here with the broker's reason (line, column) instead of silently receiving nothing.
pub async fn check_in_brokers(instance: &ClientInstance, group: &str, sub: &Subscription) -> Result<()> {
    if !sub.sql {
        return Ok(());
    }
    let route = instance.update_route(&sub.topic).await?;
    let body = CheckClientRequestBody {
        client_id: instance.client_id().to_owned(),
        group: group.to_owned(),
        subscription_data: Some(sub.data()),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    for addr in route.broker_datas.iter().filter_map(|b| b.broker_addrs.get(&0)) {
        let req = RemotingCommand::request(RequestCode::CheckClientConfig).with_body(bytes.clone());
        expect_ok(addr, instance.remoting().invoke(addr, req, Duration::from_secs(3)).await?)?;
    }
    Ok(())
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

    #[test]
    fn sql_selectors() {
        let s = Subscription::with_selector("T", &MessageSelector::by_sql(" a > 5 "));
        assert!(s.matches(Some("x")) && s.matches(None), "the broker filters SQL92");
        let d = s.data();
        assert_eq!((d.expression_type.as_str(), d.sub_string.as_str()), ("SQL92", "a > 5"));
        assert!(d.tags_set.is_empty() && d.code_set.is_empty());
        let t = Subscription::with_selector("T", &MessageSelector::by_tag("a || b"));
        assert_eq!(t, Subscription { version: t.version, ..Subscription::new("T", "a || b") });
        assert_eq!(t.data().expression_type, "TAG");
    }
}
