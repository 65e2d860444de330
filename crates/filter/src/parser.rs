//! Recursive-descent parser following RocketMQ's `SelectorParser.jj`, with its semantic checks.

use crate::ast::{CmpOp, Expr, Literal, StrOp};
use crate::compare::compare_values;
use crate::error::ParseError;
use crate::lexer::{tokenize, Tok, Token};

/// How many steps (parentheses, prefix operators, and the chained binary operators that each
/// add a level to the tree) one expression may hold: the evaluator recurses once per level of
/// the tree. Counted over the whole expression, so it bounds the depth of the tree.
pub const MAX_DEPTH: u32 = 400;

/// How deeply parentheses and prefix operators (`NOT`, `-`, `+`) may nest: the parser recurses
/// through six functions per parenthesis. Without these bounds a client's `((((…` or
/// `NOT NOT …` would overflow the stack and abort the broker (RocketMQ's JavaCC parser has no
/// bound but catches the StackOverflowError). Both limits are checked on a 2 MiB thread in a
/// debug build (`crates/filter/src/tests.rs`), a tokio worker's stack size.
pub const MAX_NESTING: u32 = 48;

/// Parser state: the token list, a cursor and the nesting steps taken so far.
pub struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: u32,
    nesting: u32,
}

type PResult = Result<Expr, ParseError>;

impl Parser {
    /// Tokenizes `sql`.
    pub fn new(sql: &str) -> Result<Self, ParseError> {
        Ok(Parser { tokens: tokenize(sql)?, pos: 0, depth: 0, nesting: 0 })
    }

    /// `JmsSelector`: an OR-expression that results in a boolean, then end of input.
    pub fn parse_selector(mut self) -> PResult {
        let start = self.here().clone();
        if start.tok == Tok::Eof {
            return Err(self.unexpected("an expression"));
        }
        let e = self.or_expr()?;
        if self.here().tok != Tok::Eof {
            return Err(self.unexpected("AND, OR or the end of the expression"));
        }
        as_boolean(e, &start)
    }

    fn here(&self) -> &Token {
        // tokenize always ends with Eof and the cursor never passes it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let t = self.here().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let hit = &self.here().tok == tok;
        if hit {
            self.advance();
        }
        hit
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), ParseError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// One more nesting step; refused past [`MAX_DEPTH`]. Steps are counted over the whole
    /// expression and never given back, so the count bounds the depth of the tree built.
    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error_at(self.here(), format!("expression nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn unexpected(&self, expecting: &str) -> ParseError {
        let t = self.here();
        let found = match &t.tok {
            Tok::Eof => "<EOF>".to_string(),
            Tok::Ident(s) | Tok::Int(s) | Tok::Float(s) => format!("\"{s}\""),
            Tok::Str(s) => format!("\"'{s}'\""),
            Tok::Keyword(k) | Tok::Op(k) => format!("\"{k}\""),
        };
        error_at(t, format!("Encountered {found}, was expecting {expecting}"))
    }

    fn or_expr(&mut self) -> PResult {
        let mut left = self.and_expr()?;
        while self.here().tok == Tok::Keyword("OR") {
            self.deeper()?;
            let op = self.advance();
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(as_boolean(left, &op)?), Box::new(as_boolean(right, &op)?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> PResult {
        let mut left = self.equality_expr()?;
        while self.here().tok == Tok::Keyword("AND") {
            self.deeper()?;
            let op = self.advance();
            let right = self.equality_expr()?;
            left = Expr::And(Box::new(as_boolean(left, &op)?), Box::new(as_boolean(right, &op)?));
        }
        Ok(left)
    }

    fn equality_expr(&mut self) -> PResult {
        let mut left = self.comparison_expr()?;
        loop {
            let op = self.here().clone();
            if matches!(op.tok, Tok::Op("=") | Tok::Op("<>") | Tok::Keyword("IS")) {
                self.deeper()?;
            }
            left = match &op.tok {
                Tok::Op("=") | Tok::Op("<>") => {
                    self.advance();
                    let right = self.comparison_expr()?;
                    let eq = create_equal(left, right, &op)?;
                    if op.tok == Tok::Op("=") {
                        eq
                    } else {
                        Expr::Not(Box::new(eq))
                    }
                }
                Tok::Keyword("IS") => self.is_null(left)?,
                _ => return Ok(left),
            };
        }
    }

    fn is_null(&mut self, left: Expr) -> PResult {
        self.advance();
        let negated = self.eat(&Tok::Keyword("NOT"));
        self.expect(&Tok::Keyword("NULL"), "NULL")?;
        let eq = Expr::Compare(CmpOp::Eq, Box::new(left), Box::new(Expr::Literal(Literal::Null)));
        Ok(if negated { Expr::Not(Box::new(eq)) } else { eq })
    }

    fn comparison_expr(&mut self) -> PResult {
        let mut left = self.unary_expr()?;
        loop {
            let op = self.here().clone();
            let negated = op.tok == Tok::Keyword("NOT");
            let key = if negated { self.tokens.get(self.pos + 1).map(|t| t.tok.clone()) } else { Some(op.tok.clone()) };
            if is_comparison(key.as_ref(), negated) {
                self.deeper()?;
            }
            left = match key {
                Some(Tok::Op(o @ (">" | ">=" | "<" | "<="))) if !negated => {
                    self.advance();
                    let right = self.unary_expr()?;
                    create_ordering(cmp_of(o), left, right, &op)?
                }
                Some(Tok::Keyword(k @ ("CONTAINS" | "STARTSWITH" | "ENDSWITH"))) => {
                    self.skip(negated);
                    let search = self.string_literal()?;
                    Expr::StrMatch { op: str_op_of(k), expr: Box::new(left), search, negated }
                }
                Some(Tok::Keyword("BETWEEN")) => self.between(left, negated, &op)?,
                Some(Tok::Keyword("IN")) => self.in_list(left, negated, &op)?,
                _ => return Ok(left),
            };
        }
    }

    /// Consumes the operator, and the `NOT` before it when there is one.
    fn skip(&mut self, negated: bool) {
        self.advance();
        if negated {
            self.advance();
        }
    }

    fn between(&mut self, value: Expr, negated: bool, op: &Token) -> PResult {
        self.skip(negated);
        let low = self.unary_expr()?;
        self.expect(&Tok::Keyword("AND"), "AND")?;
        let high = self.unary_expr()?;
        if negated {
            let lt = create_ordering(CmpOp::Lt, value.clone(), low, op)?;
            let gt = create_ordering(CmpOp::Gt, value, high, op)?;
            return Ok(Expr::Or(Box::new(lt), Box::new(gt)));
        }
        check_between_bounds(&low, &high, op)?;
        let ge = create_ordering(CmpOp::Ge, value.clone(), low, op)?;
        let le = create_ordering(CmpOp::Le, value, high, op)?;
        Ok(Expr::And(Box::new(ge), Box::new(le)))
    }

    fn in_list(&mut self, left: Expr, negated: bool, op: &Token) -> PResult {
        self.skip(negated);
        self.expect(&Tok::Op("("), "\"(\"")?;
        let mut list = vec![self.string_literal()?];
        while self.eat(&Tok::Op(",")) {
            list.push(self.string_literal()?);
        }
        self.expect(&Tok::Op(")"), "\",\" or \")\"")?;
        match left {
            Expr::Property(property) => Ok(Expr::In { property, list, negated }),
            other => Err(error_at(op, format!("Expected a property for In expression, got: {other:?}"))),
        }
    }

    fn string_literal(&mut self) -> Result<String, ParseError> {
        match &self.here().tok {
            Tok::Str(s) => {
                let s = s.clone();
                self.advance();
                Ok(s)
            }
            _ => Err(self.unexpected("a string literal")),
        }
    }

    /// A unary expression; one nesting level more while under a prefix or a parenthesis.
    fn unary_expr(&mut self) -> PResult {
        let op = self.here().clone();
        if !matches!(op.tok, Tok::Op("+" | "-" | "(") | Tok::Keyword("NOT")) {
            return self.primary_expr();
        }
        self.deeper()?;
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(error_at(&op, format!("expression nested deeper than {MAX_NESTING} levels")));
        }
        let e = self.prefixed(op);
        self.nesting -= 1;
        e
    }

    fn prefixed(&mut self, op: Token) -> PResult {
        match op.tok {
            Tok::Op("+") => {
                self.advance();
                self.unary_expr()
            }
            Tok::Op("-") => {
                self.advance();
                Ok(Expr::Negate(Box::new(self.unary_expr()?)))
            }
            Tok::Keyword("NOT") => {
                self.advance();
                let e = self.unary_expr()?;
                Ok(Expr::Not(Box::new(as_boolean(e, &op)?)))
            }
            _ => self.primary_expr(),
        }
    }

    fn primary_expr(&mut self) -> PResult {
        let t = self.here().clone();
        let lit = match &t.tok {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Int(s) => int_literal(s, &t)?,
            Tok::Float(s) => float_literal(s, &t)?,
            Tok::Keyword("TRUE") => Literal::Bool(true),
            Tok::Keyword("FALSE") => Literal::Bool(false),
            Tok::Keyword("NULL") => Literal::Null,
            Tok::Ident(name) => {
                self.advance();
                return Ok(Expr::Property(name.clone()));
            }
            Tok::Op("(") => {
                self.advance();
                let e = self.or_expr()?;
                self.expect(&Tok::Op(")"), "\")\"")?;
                return Ok(e);
            }
            _ => return Err(self.unexpected("a literal, a property or \"(\"")),
        };
        self.advance();
        Ok(Expr::Literal(lit))
    }
}

fn error_at(t: &Token, reason: String) -> ParseError {
    ParseError { line: t.line, column: t.column, reason }
}

/// Whether the token after the left operand starts a comparison (`comparison_expr`'s operators).
fn is_comparison(key: Option<&Tok>, negated: bool) -> bool {
    match key {
        Some(Tok::Op(">" | ">=" | "<" | "<=")) => !negated,
        Some(Tok::Keyword("CONTAINS" | "STARTSWITH" | "ENDSWITH" | "BETWEEN" | "IN")) => true,
        _ => false,
    }
}

fn cmp_of(op: &str) -> CmpOp {
    match op {
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        "<" => CmpOp::Lt,
        _ => CmpOp::Le,
    }
}

fn str_op_of(k: &str) -> StrOp {
    match k {
        "CONTAINS" => StrOp::Contains,
        "STARTSWITH" => StrOp::StartsWith,
        _ => StrOp::EndsWith,
    }
}

fn int_literal(text: &str, t: &Token) -> Result<Literal, ParseError> {
    text.parse::<i64>()
        .map(Literal::Int)
        .map_err(|_| error_at(t, format!("integer {text} is out of the range of a long")))
}

/// RocketMQ refuses decimals that are not finite or below `Double.MIN_VALUE` (so also `0.0`).
fn float_literal(text: &str, t: &Token) -> Result<Literal, ParseError> {
    let v: f64 = text.parse().map_err(|_| error_at(t, format!("bad decimal {text}")))?;
    if !v.is_finite() {
        return Err(error_at(t, format!("{text} is greater than {}", f64::MAX)));
    }
    if v < f64::from_bits(1) {
        return Err(error_at(t, format!("{text} is less than 4.9E-324")));
    }
    Ok(Literal::Float(v))
}

/// `asBooleanExpression`: a property becomes a boolean cast; other non-booleans are refused.
fn as_boolean(e: Expr, at: &Token) -> PResult {
    if e.is_boolean() {
        return Ok(e);
    }
    match e {
        Expr::Property(_) => Ok(Expr::BoolCast(Box::new(e))),
        other => Err(error_at(at, format!("Expression will not result in a boolean value: {other:?}"))),
    }
}

/// `createEqual`: NULL literals cannot be compared; a boolean literal only with a boolean.
fn create_equal(left: Expr, right: Expr, op: &Token) -> PResult {
    for side in [&left, &right] {
        if matches!(side, Expr::Literal(Literal::Null)) {
            return Err(error_at(op, "'NULL' cannot be compared.".into()));
        }
    }
    if let (Expr::Literal(Literal::Bool(_)), Expr::Literal(r)) = (&left, &right) {
        if !matches!(r, Literal::Bool(_)) {
            return Err(error_at(op, format!("'{left:?}' cannot be compared with '{right:?}'")));
        }
    }
    Ok(Expr::Compare(CmpOp::Eq, Box::new(left), Box::new(right)))
}

/// `checkLessThanOperand`: only numbers, properties and arithmetic may be ordered.
fn create_ordering(op: CmpOp, left: Expr, right: Expr, at: &Token) -> PResult {
    for side in [&left, &right] {
        let ok = match side {
            Expr::Literal(l) => matches!(l, Literal::Int(_) | Literal::Float(_)),
            other => !other.is_boolean(),
        };
        if !ok {
            return Err(error_at(at, format!("Value '{side:?}' cannot be compared.")));
        }
    }
    Ok(Expr::Compare(op, Box::new(left), Box::new(right)))
}

/// `createBetween`: with two constant bounds the low one must not exceed the high one.
fn check_between_bounds(low: &Expr, high: &Expr, at: &Token) -> Result<(), ParseError> {
    if let (Expr::Literal(l), Expr::Literal(h)) = (low, high) {
        if matches!(l, Literal::Null) || matches!(h, Literal::Null) {
            return Err(error_at(at, "Illegal values of between, values can not be null!".into()));
        }
        let ord = compare_values(h.value(), l.value()).map_err(|e| error_at(at, e.to_string()))?;
        if ord.is_lt() {
            return Err(error_at(
                at,
                format!("Illegal values of between, left value({l:?}) must less than or equal to right value({h:?})"),
            ));
        }
    }
    Ok(())
}
