//! The parsed selector.

/// A constant or evaluated value. Properties evaluate to [`Value::Str`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL, also "unknown" in three-valued logic.
    Null,
    /// `TRUE` / `FALSE` or a logical result.
    Bool(bool),
    /// An integer literal (Java's Integer/Long are both held here).
    Int(i64),
    /// A decimal literal.
    Float(f64),
    /// A string literal or a property's text.
    Str(&'a str),
}

/// An owned literal kept in the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `NULL`.
    Null,
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// Integer literal.
    Int(i64),
    /// Decimal literal.
    Float(f64),
    /// String literal, quotes removed.
    Str(String),
}

impl Literal {
    /// The literal as an evaluation value.
    pub fn value(&self) -> Value<'_> {
        match self {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Float(f) => Value::Float(*f),
            Literal::Str(s) => Value::Str(s),
        }
    }
}

/// An ordering or equality comparison (`<>` is `NOT (=)`, as RocketMQ builds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` (also `IS NULL` against the NULL literal).
    Eq,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
}

/// A string predicate with a literal argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    /// `CONTAINS`.
    Contains,
    /// `STARTSWITH`.
    StartsWith,
    /// `ENDSWITH`.
    EndsWith,
}

/// A selector expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Literal),
    /// A message property by name.
    Property(String),
    /// Unary minus.
    Negate(Box<Expr>),
    /// Logical NOT (unknown stays unknown).
    Not(Box<Expr>),
    /// A property used where a boolean is expected.
    BoolCast(Box<Expr>),
    /// Logical AND.
    And(Box<Expr>, Box<Expr>),
    /// Logical OR.
    Or(Box<Expr>, Box<Expr>),
    /// A comparison.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `prop [NOT] IN ('a', 'b')`.
    In {
        /// The property tested.
        property: String,
        /// The strings listed.
        list: Vec<String>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `x [NOT] CONTAINS|STARTSWITH|ENDSWITH 's'`.
    StrMatch {
        /// Which predicate.
        op: StrOp,
        /// The tested expression.
        expr: Box<Expr>,
        /// The literal searched for.
        search: String,
        /// The `NOT` form.
        negated: bool,
    },
}

impl Expr {
    /// True when RocketMQ types this node as a boolean expression.
    pub(crate) fn is_boolean(&self) -> bool {
        match self {
            Expr::Literal(l) => matches!(l, Literal::Bool(_) | Literal::Null),
            Expr::Property(_) | Expr::Negate(_) => false,
            _ => true,
        }
    }

    /// The names of all properties the expression reads.
    pub fn properties(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_properties(&mut out);
        out
    }

    fn collect_properties<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Property(p) | Expr::In { property: p, .. } => out.push(p),
            Expr::Literal(_) => {}
            Expr::Negate(e) | Expr::Not(e) | Expr::BoolCast(e) | Expr::StrMatch { expr: e, .. } => {
                e.collect_properties(out)
            }
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Compare(_, a, b) => {
                a.collect_properties(out);
                b.collect_properties(out);
            }
        }
    }
}
