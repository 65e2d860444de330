//! Unit tests: each operator, RocketMQ's typing and null rules, error positions.

use crate::{parse, Expr, ParseError, Value};

fn props<'a>(kv: &'a [(&'a str, &'a str)]) -> &'a [(&'a str, &'a str)] {
    kv
}

fn m(sql: &str, kv: &[(&str, &str)]) -> bool {
    parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).matches(props(kv))
}

fn err(sql: &str) -> ParseError {
    parse(sql).expect_err(sql)
}

#[test]
fn numeric_comparisons_parse_the_property_as_a_number() {
    let a = [("a", "7")];
    assert!(m("a > 5", &a));
    assert!(m("a >= 7", &a));
    assert!(!m("a < 7", &a));
    assert!(m("a <= 7", &a));
    assert!(m("a = 7", &a));
    assert!(m("a <> 8", &a));
    assert!(m("a > 6.5", &a), "integer text against a decimal");
    assert!(m("a = 7.0", &a));
    assert!(m("10 > a", &a), "constant on the left");
    assert!(m("a > -3", &a));
    assert!(m("a > +3", &a));
    assert!(!m("a > 5", &[("a", "10.5")]), "a decimal text is no integer: evaluation fails");
    assert!(m("a > 5.0", &[("a", "10.5")]));
}

#[test]
fn string_equality_and_string_ordering() {
    let r = [("region", "hz"), ("x", "3"), ("y", "12")];
    assert!(m("region = 'hz'", &r));
    assert!(!m("region = 'HZ'", &r));
    assert!(m("region <> 'bj'", &r));
    assert!(m("x < y", &r), "two strings are ordered as decimals, not as text");
    assert!(!m("region > x", &r), "a non-numeric string cannot be ordered");
    assert!(m("'it''s' = q", &[("q", "it's")]));
}

#[test]
fn booleans() {
    assert!(m("flag = TRUE", &[("flag", "true")]));
    assert!(m("flag = true", &[("flag", "TRUE")]));
    assert!(m("flag = FALSE", &[("flag", "no")]));
    assert!(m("TRUE", &[]));
    assert!(!m("FALSE", &[]));
    assert!(m("TRUE AND NOT FALSE", &[]));
    assert!(!m("flag", &[("flag", "true")]), "a property used as a boolean is a string, never TRUE");
}

#[test]
fn between_and_not_between() {
    assert!(m("a BETWEEN 1 AND 3", &[("a", "1")]));
    assert!(m("a BETWEEN 1 AND 3", &[("a", "3")]));
    assert!(!m("a BETWEEN 1 AND 3", &[("a", "4")]));
    assert!(m("a NOT BETWEEN 1 AND 3", &[("a", "4")]));
    assert!(!m("a NOT BETWEEN 1 AND 3", &[("a", "2")]));
    assert!(!m("a NOT BETWEEN 1 AND 3", &[]), "missing: unknown");
    assert!(m("a between 1.5 and 2.5", &[("a", "2")]));
}

#[test]
fn in_and_not_in() {
    let c = [("c", "b")];
    assert!(m("c IN ('a', 'b')", &c));
    assert!(!m("c IN ('a')", &c));
    assert!(m("c NOT IN ('a', 'x', 'y', 'z', 'w')", &c));
    assert!(!m("c NOT IN ('b')", &c));
    assert!(!m("c NOT IN ('b')", &[]), "missing property: unknown, not true");
}

#[test]
fn null_tests() {
    assert!(m("a IS NULL", &[]));
    assert!(!m("a IS NULL", &[("a", "")]));
    assert!(m("a IS NOT NULL", &[("a", "")]));
    assert!(!m("a IS NOT NULL", &[]));
}

#[test]
fn missing_property_makes_comparisons_unknown() {
    for sql in ["a > 1", "a < 1", "a = 1", "a <> 1", "NOT (a > 1)", "NOT (a = 'x')", "a = 'x' OR a <> 'x'"] {
        assert!(!m(sql, &[]), "{sql}");
    }
    // RocketMQ's equality is false (not unknown) when only its right side is missing.
    assert!(m("NOT ('x' = a)", &[]));
    // Two missing properties are equal.
    assert!(m("a = b", &[]));
}

#[test]
fn three_valued_and_or() {
    let e = [("a", "1")];
    assert!(m("b > 1 OR a = 1", &e), "unknown OR true");
    assert!(!m("b > 1 AND a = 1", &e), "unknown AND true is unknown");
    assert!(m("NOT (b > 1 AND a = 2)", &e), "unknown AND false is false");
    assert!(!m("NOT (b > 1 OR a = 2)", &e), "unknown OR false is unknown");
    assert!(m("a = 1 AND (b IS NULL OR b > 3)", &e));
}

#[test]
fn precedence_and_parentheses() {
    let p = [("a", "1"), ("b", "2")];
    assert!(m("a = 1 OR a = 5 AND b = 9", &p), "AND binds tighter than OR");
    assert!(!m("(a = 1 OR a = 5) AND b = 9", &p));
    assert!(m("NOT (a = 5)", &p));
}

#[test]
fn string_predicates() {
    let s = [("s", "hello world")];
    assert!(m("s CONTAINS 'lo w'", &s));
    assert!(m("s STARTSWITH 'hell'", &s));
    assert!(m("s ENDSWITH 'rld'", &s));
    assert!(m("s NOT CONTAINS 'xyz'", &s));
    assert!(!m("s NOT STARTSWITH 'he'", &s));
    assert!(!m("s CONTAINS ''", &s));
    assert!(!m("t NOT CONTAINS 'x'", &s), "missing: false");
}

#[test]
fn literals_and_comments() {
    let a = [("a", "5")];
    assert!(m("a = 5L", &a));
    assert!(m("a < 5E1", &a));
    assert!(m("a > .5", &a));
    assert!(m("a = 5 -- trailing comment\n", &a));
    assert!(m("/* lead */ a = 5", &a));
    assert!(m("a\n=\t5", &a));
    assert!(m("$x_1 = 'v'", &[("$x_1", "v")]));
    assert!(m("TAGS = 'TagA'", &[("TAGS", "TagA")]));
}

#[test]
fn parse_errors_carry_position_and_reason() {
    let e = err("a > ");
    assert_eq!((e.line, e.column), (1, 5));
    assert!(e.reason.contains("<EOF>"), "{e}");
    let e = err("a = 1 AND AND b = 2");
    assert_eq!((e.line, e.column), (1, 11));
    assert!(e.reason.contains("\"AND\""), "{e}");
    let e = err("a = 1\n  OR b ! 2");
    assert_eq!((e.line, e.column), (2, 8));
    assert!(e.reason.contains("Lexical"), "{e}");
    let e = err("a = 'abc");
    assert_eq!((e.line, e.column), (1, 5));
    let e = err("(a = 1");
    assert_eq!((e.line, e.column), (1, 7));
    assert!(err("").reason.contains("expecting an expression"));
    assert!(err("a = 1 b").to_string().contains("line 1, column 7"));
    let e = err("a IN (1, 2)");
    assert!(e.reason.contains("string literal"), "{e}");
}

#[test]
fn semantic_errors_as_rocketmq() {
    assert!(err("a > 'x'").reason.contains("cannot be compared"));
    assert!(err("a > TRUE").reason.contains("cannot be compared"));
    assert!(err("a = NULL").reason.contains("cannot be compared"));
    assert!(err("TRUE = 'x'").reason.contains("cannot be compared with"));
    assert!(err("a BETWEEN 3 AND 1").reason.contains("Illegal values of between"));
    assert!(err("'x' IN ('x')").reason.contains("Expected a property"));
    assert!(err("5").reason.contains("will not result in a boolean"));
    assert!(err("a = 1 AND 5").reason.contains("will not result in a boolean"));
    assert!(err("a = 99999999999999999999").reason.contains("range"));
    assert!(err("a = 0.0").reason.contains("less than"));
    assert!(err("a = 007").reason.contains("leading zero"));
    let e = err("a = 1 AND b > 'x'");
    assert_eq!((e.line, e.column), (1, 13), "{e}");
}

#[test]
fn evaluation_failures_do_not_match() {
    let e = parse("a > 5").unwrap();
    assert!(e.evaluate(props(&[("a", "abc")])).is_err());
    assert!(!e.matches(props(&[("a", "abc")])));
    assert!(!m("a = 5", &[("a", " 5")]), "Long.valueOf does not trim");
    assert!(m("a = 5.0", &[("a", " 5 ")]), "Double.valueOf does");
    assert!(!m("a > 1.0", &[("a", "inf")]));
}

#[test]
fn evaluate_exposes_three_values() {
    let e = parse("a > 1").unwrap();
    assert_eq!(e.evaluate(props(&[])).unwrap(), Value::Null);
    assert_eq!(e.evaluate(props(&[("a", "2")])).unwrap(), Value::Bool(true));
}

#[test]
fn properties_lists_names_read() {
    let e: Expr = parse("a > 1 AND (b IN ('x') OR c IS NULL)").unwrap();
    assert_eq!(e.properties(), vec!["a", "b", "c"]);
}

#[test]
fn hash_map_properties() {
    let mut map = std::collections::HashMap::new();
    map.insert("a".to_string(), "3".to_string());
    assert!(parse("a = 3").unwrap().matches(&map));
}

/// Expressions nesting `n` parentheses or prefix operators (see [`crate::MAX_NESTING`]).
fn nested_shapes(n: usize) -> Vec<String> {
    vec![
        format!("{}a = 1", "NOT ".repeat(n)),
        format!("{}a = 1{}", "(".repeat(n), ")".repeat(n)),
        format!("{}a > 0", "- ".repeat(n)),
        format!("{}a = 1{}", "NOT (".repeat(n / 2), ")".repeat(n / 2)),
    ]
}

/// Expressions whose tree is `steps` levels deep through chained operators (see
/// [`crate::MAX_DEPTH`]).
fn chained_shapes(steps: usize) -> Vec<String> {
    vec![
        format!("a = 1{}", " AND a = 1".repeat((steps - 1) / 2)),
        format!("a BETWEEN 1 AND 2{}", " OR a BETWEEN 1 AND 2".repeat((steps - 1) / 2)),
        format!("(a > 1{}) OR a IS NULL", " AND a > 1".repeat((steps - 4) / 2)),
    ]
}

#[test]
fn nesting_up_to_the_limits_parses_and_evaluates_on_a_small_stack() {
    let run = || {
        let shapes = nested_shapes(crate::MAX_NESTING as usize).into_iter();
        for sql in shapes.chain(chained_shapes(crate::MAX_DEPTH as usize)) {
            let e = parse(&sql).unwrap_or_else(|e| panic!("{}: {e}", &sql[..40]));
            let _ = e.evaluate(props(&[("a", "1")]));
            let _ = e.matches(props(&[("b", "x")]));
            let _ = format!("{e:?}");
        }
    };
    // A tokio worker's stack size.
    let t = std::thread::Builder::new().stack_size(2 << 20).spawn(run).unwrap();
    t.join().unwrap();
}

#[test]
fn nesting_past_the_limits_is_refused_with_its_position() {
    let run = || {
        let shapes = nested_shapes(crate::MAX_NESTING as usize + 2).into_iter();
        for sql in shapes.chain(chained_shapes(crate::MAX_DEPTH as usize + 4)) {
            let e = err(&sql);
            assert!(e.reason.contains("nested deeper than"), "{}: {e}", &sql[..40]);
            assert_eq!(e.line, 1);
        }
        // Far past them: refused, not a stack overflow (which aborts the process).
        for sql in [
            format!("{}a = 1{}", "(".repeat(200_000), ")".repeat(200_000)),
            format!("{}a = 1", "NOT ".repeat(200_000)),
            format!("a = 1{}", " OR a = 1".repeat(200_000)),
        ] {
            assert!(err(&sql).reason.contains("nested deeper than"));
        }
    };
    let t = std::thread::Builder::new().stack_size(2 << 20).spawn(run).unwrap();
    t.join().unwrap();
}
