//! RocketMQ's SQL92 message selector (`MessageSelector.bySql`).
//!
//! [`parse`] turns an expression into an [`Expr`] once per subscription; [`Expr::matches`]
//! evaluates it per message over its properties. The grammar and typing rules are those of
//! RocketMQ's `org.apache.rocketmq.filter` module (an ActiveMQ selector dialect):
//! - comparisons `= <> > >= < <=`, `[NOT] BETWEEN a AND b`, `[NOT] IN ('x', ..)`,
//!   `IS [NOT] NULL`, `AND`, `OR`, `NOT`, parentheses, `[NOT] CONTAINS|STARTSWITH|ENDSWITH 's'`;
//! - literals: strings `'it''s'`, integers (optional `L` suffix), decimals (`1.5`, `.5`,
//!   `5E3`), `TRUE`, `FALSE`, `NULL`; keywords are case-insensitive;
//! - properties are strings; compared with a number they are parsed as that number; two strings
//!   under `> >= < <=` are both parsed as decimals;
//! - three-valued logic: a missing property makes a comparison unknown, which never matches
//!   (nor does its `NOT`); a value that does not parse as the number it is compared with makes
//!   the whole evaluation fail, which RocketMQ's broker counts as no match.

mod ast;
mod compare;
mod error;
mod eval;
mod lexer;
mod parser;

pub use ast::{CmpOp, Expr, StrOp, Value};
pub use error::{EvalError, ParseError};
pub use eval::Properties;
pub use parser::{MAX_DEPTH, MAX_NESTING};

/// Parses a SQL92 selector expression, checking it as RocketMQ's parser does.
pub fn parse(sql: &str) -> Result<Expr, ParseError> {
    parser::Parser::new(sql)?.parse_selector()
}

#[cfg(test)]
mod tests;
