//! Errors of parsing and evaluating a selector.

/// A malformed selector: where (1-based line and column, as RocketMQ reports) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid MessageSelector. {reason} at line {line}, column {column}")]
pub struct ParseError {
    /// 1-based line of the offending token.
    pub line: u32,
    /// 1-based column of the offending token.
    pub column: u32,
    /// What is wrong, e.g. `Encountered "AND"; was expecting an expression`.
    pub reason: String,
}

/// A message whose properties cannot be evaluated (RocketMQ counts it as not matching).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A property compared with a number does not parse as that number.
    #[error("cannot read {value:?} as a number")]
    NotANumber {
        /// The property's text.
        value: String,
    },
    /// A boolean compared with a string (RocketMQ throws here too).
    #[error("cannot compare a boolean with a string")]
    BooleanWithString,
}
