//! Subscription filters: a TAG expression (tag hash codes, checked on the consume queue) or a
//! SQL92 selector (evaluated on each record's properties), compiled once per (group, topic,
//! expression) and cached, so a pull or pop never parses.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rmq_common::message::MessageExt;
use rmq_common::{hash, property};
use rmq_filter::Expr;
use rmq_remoting::body::SubscriptionData;
use rmq_remoting::ResponseCode;

use crate::error::BrokerError;

/// Cached filters past which the cache starts again (a bound against churn of expressions).
const MAX_CACHED: usize = 65_536;

/// True for a TAG expression type (also when absent or empty, as RocketMQ reads it).
#[must_use]
pub fn is_tag_type(expression_type: Option<&str>) -> bool {
    expression_type.is_none_or(|t| t.is_empty() || t.eq_ignore_ascii_case("TAG"))
}

/// True for SQL92.
#[must_use]
pub fn is_sql_type(expression_type: Option<&str>) -> bool {
    expression_type.is_some_and(|t| t.eq_ignore_ascii_case("SQL92"))
}

/// The answer of the official broker to a SQL92 subscription when enablePropertyFilter is off.
#[must_use]
pub fn sql_disabled(expression_type: &str) -> BrokerError {
    BrokerError::Code(
        ResponseCode::SystemError,
        format!("The broker does not support consumer to filter message by {expression_type}"),
    )
}

/// A compiled subscription filter.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionFilter {
    /// Every message.
    All,
    /// Tags by Java hash code.
    Tags(Vec<i32>),
    /// A SQL92 selector over the message's properties.
    Sql(Arc<Expr>),
}

impl SubscriptionFilter {
    /// A TAG expression, `a || b` or `*`.
    #[must_use]
    pub fn tags(expression: &str) -> Self {
        let e = expression.trim();
        if e.is_empty() || e == "*" {
            return Self::All;
        }
        Self::Tags(e.split("||").map(str::trim).filter(|t| !t.is_empty()).map(hash::java_hash).collect())
    }

    /// The tags of a heartbeat's TAG subscription (its code set, else its tags hashed).
    #[must_use]
    pub fn tags_of(sub: &SubscriptionData) -> Self {
        if sub.is_all() {
            return Self::All;
        }
        let mut codes = sub.code_set.clone();
        if codes.is_empty() {
            codes = sub.tags_set.iter().map(|t| hash::java_hash(t)).collect();
        }
        Self::Tags(codes)
    }

    /// Compiles an expression of a type; a SQL92 error is SUBSCRIPTION_PARSE_FAILED with the
    /// parser's position and reason; an unknown type is refused too.
    pub fn compile(expression_type: Option<&str>, expression: &str) -> Result<Self, BrokerError> {
        if is_tag_type(expression_type) {
            return Ok(Self::tags(expression));
        }
        if !is_sql_type(expression_type) {
            let t = expression_type.unwrap_or_default();
            return Err(BrokerError::Code(
                ResponseCode::SubscriptionParseFailed,
                format!("unknown expression type {t}"),
            ));
        }
        rmq_filter::parse(expression)
            .map(|e| Self::Sql(Arc::new(e)))
            .map_err(|e| BrokerError::Code(ResponseCode::SubscriptionParseFailed, e.to_string()))
    }

    /// The consume-queue check: the tag code for TAG filters; SQL92 looks at the record.
    #[must_use]
    pub fn accepts_tag_code(&self, tag_code: i64) -> bool {
        match self {
            Self::Tags(codes) => i32::try_from(tag_code).is_ok_and(|c| codes.contains(&c)),
            Self::All | Self::Sql(_) => true,
        }
    }

    /// Whether the filter must see the record ([`Self::accepts_record`]).
    #[must_use]
    pub fn needs_record(&self) -> bool {
        matches!(self, Self::Sql(_))
    }

    /// The check on a message's properties (tags by their TAGS property).
    #[must_use]
    pub fn accepts_properties(&self, props: &[(String, String)]) -> bool {
        match self {
            Self::All => true,
            Self::Tags(_) => self.accepts_tag_code(hash::tag_code(property::get(props, property::TAGS))),
            Self::Sql(e) => e.matches(props),
        }
    }

    /// The check on a stored record: SQL92 on its properties; a record that does not decode
    /// does not match.
    #[must_use]
    pub fn accepts_record(&self, record: &[u8]) -> bool {
        if !self.needs_record() {
            return true;
        }
        MessageExt::decode(record).is_ok_and(|m| self.accepts_properties(&m.properties))
    }
}

#[derive(Debug)]
struct Entry {
    expression_type: String,
    expression: String,
    filter: Arc<SubscriptionFilter>,
}

/// Compiled filters by (group, topic); an entry is replaced when the expression changes.
#[derive(Debug, Default)]
pub struct FilterCache {
    map: Mutex<HashMap<(String, String), Entry>>,
}

impl FilterCache {
    /// The filter of `group` on `topic` for this expression, compiled on first use.
    pub fn get(
        &self,
        group: &str,
        topic: &str,
        expression_type: Option<&str>,
        expression: &str,
    ) -> Result<Arc<SubscriptionFilter>, BrokerError> {
        let t = expression_type.unwrap_or_default();
        let key = (group.to_owned(), topic.to_owned());
        if let Some(e) = self.map.lock().get(&key) {
            if e.expression_type == t && e.expression == expression {
                return Ok(Arc::clone(&e.filter));
            }
        }
        let filter = Arc::new(SubscriptionFilter::compile(expression_type, expression)?);
        let mut map = self.map.lock();
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        let entry =
            Entry { expression_type: t.to_owned(), expression: expression.to_owned(), filter: Arc::clone(&filter) };
        map.insert(key, entry);
        Ok(filter)
    }

    /// Entries cached.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn tag_filters_check_codes_and_tags_property() {
        let f = SubscriptionFilter::tags("A || B");
        assert!(f.accepts_tag_code(i64::from(hash::java_hash("A"))));
        assert!(!f.accepts_tag_code(i64::from(hash::java_hash("C"))));
        assert!(f.accepts_properties(&props(&[("TAGS", "B")])));
        assert!(!f.accepts_properties(&props(&[("TAGS", "C")])));
        assert_eq!(SubscriptionFilter::tags(" * "), SubscriptionFilter::All);
    }

    #[test]
    fn sql_filters_pass_every_code_and_check_properties() {
        let f = SubscriptionFilter::compile(Some("SQL92"), "a > 5").unwrap();
        assert!(f.accepts_tag_code(12345) && f.needs_record());
        assert!(f.accepts_properties(&props(&[("a", "6")])));
        assert!(!f.accepts_properties(&props(&[("a", "5")])));
        assert!(!f.accepts_record(b"not a record"));
    }

    #[test]
    fn parse_errors_and_unknown_types_are_refused() {
        let Err(BrokerError::Code(code, remark)) = SubscriptionFilter::compile(Some("sql92"), "a >") else {
            panic!("a bad expression compiled")
        };
        assert_eq!(code, ResponseCode::SubscriptionParseFailed);
        assert!(remark.contains("line 1, column 4"), "{remark}");
        assert!(SubscriptionFilter::compile(Some("CLASS"), "x").is_err());
    }

    #[test]
    fn cache_compiles_once_per_expression() {
        let cache = FilterCache::default();
        let a = cache.get("g", "t", Some("SQL92"), "a = 1").unwrap();
        let b = cache.get("g", "t", Some("SQL92"), "a = 1").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = cache.get("g", "t", Some("SQL92"), "a = 2").unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(cache.get("g2", "t", Some("SQL92"), "a = (").is_err());
        assert_eq!(cache.len(), 1, "a failed compile is not cached");
    }
}
