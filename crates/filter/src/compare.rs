//! RocketMQ's value comparison (`ComparisonExpression.__compare` with string conversion on):
//! values of different types are converted towards the other side's type when one of them is a
//! number or boolean; otherwise the left side counts as smaller.

use std::cmp::Ordering;

use crate::ast::Value;
use crate::error::EvalError;

/// Orders two non-null values; incompatible types order as `Less`, as RocketMQ answers -1.
pub fn compare_values(l: Value<'_>, r: Value<'_>) -> Result<Ordering, EvalError> {
    use Value::{Bool, Float, Int, Str};
    Ok(match (l, r) {
        (Bool(a), Bool(b)) => a.cmp(&b),
        (Int(a), Int(b)) => a.cmp(&b),
        (Float(a), Float(b)) => a.total_cmp(&b),
        (Str(a), Str(b)) => java_str_cmp(a, b),
        (Int(a), Float(b)) => int_to_float(a).total_cmp(&b),
        (Float(a), Int(b)) => a.total_cmp(&int_to_float(b)),
        (Int(a), Str(b)) => a.cmp(&parse_int(b)?),
        (Float(a), Str(b)) => a.total_cmp(&parse_float(b)?),
        (Str(a), Int(b)) => parse_int(a)?.cmp(&b),
        (Str(a), Float(b)) => parse_float(a)?.total_cmp(&b),
        (Str(a), Bool(b)) => a.eq_ignore_ascii_case("true").cmp(&b),
        (Bool(_), Str(_)) => return Err(EvalError::BooleanWithString),
        _ => Ordering::Less,
    })
}

/// Java compares strings by UTF-16 code units.
fn java_str_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[allow(clippy::cast_precision_loss)]
fn int_to_float(i: i64) -> f64 {
    i as f64
}

/// `Long.valueOf`: optional sign and decimal digits, nothing else.
pub fn parse_int(s: &str) -> Result<i64, EvalError> {
    s.parse::<i64>().map_err(|_| EvalError::NotANumber { value: s.to_string() })
}

/// `Double.valueOf`: surrounding white space allowed, also Java's `d`/`f` suffix.
pub fn parse_float(s: &str) -> Result<f64, EvalError> {
    let t = s.trim();
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    let plain = t.trim_start_matches(['+', '-']);
    let named = plain.eq_ignore_ascii_case("nan")
        || plain.eq_ignore_ascii_case("inf")
        || plain.eq_ignore_ascii_case("infinity");
    if named && !(plain == "NaN" || plain == "Infinity") {
        return Err(EvalError::NotANumber { value: s.to_string() });
    }
    t.parse::<f64>().map_err(|_| EvalError::NotANumber { value: s.to_string() })
}
