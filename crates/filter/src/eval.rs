//! Three-valued evaluation of a parsed selector over a message's properties.

use std::collections::{BTreeMap, HashMap};

use crate::ast::{CmpOp, Expr, StrOp, Value};
use crate::compare::{compare_values, parse_float};
use crate::error::EvalError;

/// Where property values come from (RocketMQ's `EvaluationContext`).
pub trait Properties {
    /// The property's value, `None` when the message does not carry it.
    fn get(&self, name: &str) -> Option<&str>;
}

impl<S: std::hash::BuildHasher> Properties for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl Properties for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).map(String::as_str)
    }
}

impl Properties for [(String, String)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl Properties for [(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

impl Expr {
    /// True only when the expression evaluates to TRUE; unknown and failed evaluations are
    /// false, as RocketMQ's broker filters.
    pub fn matches<P: Properties + ?Sized>(&self, props: &P) -> bool {
        matches!(self.evaluate(props), Ok(Value::Bool(true)))
    }

    /// Evaluates to a value; [`Value::Null`] is SQL's unknown.
    pub fn evaluate<'a, P: Properties + ?Sized>(&'a self, props: &'a P) -> Result<Value<'a>, EvalError> {
        Ok(match self {
            Expr::Literal(l) => l.value(),
            Expr::Property(name) => props.get(name).map_or(Value::Null, Value::Str),
            Expr::Negate(e) => negate(e.evaluate(props)?),
            Expr::Not(e) => match e.evaluate(props)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            Expr::BoolCast(e) => match e.evaluate(props)? {
                Value::Null => Value::Null,
                v => Value::Bool(v == Value::Bool(true)),
            },
            Expr::And(a, b) => and(a.evaluate(props)?, || b.evaluate(props))?,
            Expr::Or(a, b) => or(a.evaluate(props)?, || b.evaluate(props))?,
            Expr::Compare(op, a, b) => compare(*op, a.evaluate(props)?, b.evaluate(props)?)?,
            Expr::In { property, list, negated } => match props.get(property) {
                None => Value::Null,
                Some(v) => Value::Bool(list.iter().any(|s| s == v) ^ negated),
            },
            Expr::StrMatch { op, expr, search, negated } => str_match(*op, expr.evaluate(props)?, search, *negated),
        })
    }
}

fn negate(v: Value<'_>) -> Value<'_> {
    match v {
        Value::Int(i) => Value::Int(i.wrapping_neg()),
        Value::Float(f) => Value::Float(-f),
        _ => Value::Null,
    }
}

fn and<'a>(l: Value<'a>, r: impl FnOnce() -> Result<Value<'a>, EvalError>) -> Result<Value<'a>, EvalError> {
    if l == Value::Bool(false) {
        return Ok(l);
    }
    let r = r()?;
    Ok(match (l, r) {
        (_, Value::Bool(false)) => r,
        (Value::Bool(true), Value::Bool(true)) => r,
        _ => Value::Null,
    })
}

fn or<'a>(l: Value<'a>, r: impl FnOnce() -> Result<Value<'a>, EvalError>) -> Result<Value<'a>, EvalError> {
    if l == Value::Bool(true) {
        return Ok(l);
    }
    let r = r()?;
    Ok(match (l, r) {
        (_, Value::Bool(true)) => r,
        (Value::Bool(false), Value::Bool(false)) => r,
        _ => Value::Null,
    })
}

fn compare<'a>(op: CmpOp, l: Value<'a>, r: Value<'a>) -> Result<Value<'a>, EvalError> {
    if op == CmpOp::Eq {
        return equal(l, r);
    }
    if l == Value::Null || r == Value::Null {
        return Ok(Value::Null);
    }
    let ord = match (l, r) {
        // RocketMQ never orders two strings as text: both must read as decimals.
        (Value::Str(a), Value::Str(b)) => parse_float(a)?.total_cmp(&parse_float(b)?),
        _ => compare_values(l, r)?,
    };
    Ok(Value::Bool(match op {
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le | CmpOp::Eq => ord.is_le(),
    }))
}

/// `doCreateEqual`: unknown when only the left side is NULL, false when only the right one is,
/// true when both are (that is `IS NULL`).
fn equal<'a>(l: Value<'a>, r: Value<'a>) -> Result<Value<'a>, EvalError> {
    Ok(match (l, r) {
        (Value::Null, Value::Null) => Value::Bool(true),
        (Value::Null, _) => Value::Null,
        (_, Value::Null) => Value::Bool(false),
        _ if l == r => Value::Bool(true),
        _ => Value::Bool(compare_values(l, r)?.is_eq()),
    })
}

fn str_match<'a>(op: StrOp, v: Value<'a>, search: &str, negated: bool) -> Value<'a> {
    let Value::Str(s) = v else { return Value::Bool(false) };
    if search.is_empty() {
        return Value::Bool(false);
    }
    let hit = match op {
        StrOp::Contains => s.contains(search),
        StrOp::StartsWith => s.starts_with(search),
        StrOp::EndsWith => s.ends_with(search),
    };
    Value::Bool(hit ^ negated)
}
