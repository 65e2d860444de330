//! Tokens of the selector grammar, with their 1-based positions.

use crate::error::ParseError;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A property name.
    Ident(String),
    /// A keyword, upper-cased (`AND`, `OR`, `NOT`, `BETWEEN`, `IN`, `IS`, `NULL`, `TRUE`, ...).
    Keyword(&'static str),
    /// An integer literal's text (suffix `L` removed).
    Int(String),
    /// A decimal literal's text.
    Float(String),
    /// A string literal, unquoted.
    Str(String),
    /// An operator or punctuation: `= <> > >= < <= ( ) , + -`.
    Op(&'static str),
    /// End of input.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The kind.
    pub tok: Tok,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

const KEYWORDS: [&str; 12] =
    ["NOT", "AND", "OR", "BETWEEN", "IN", "TRUE", "FALSE", "NULL", "IS", "CONTAINS", "STARTSWITH", "ENDSWITH"];
const OPS: [&str; 10] = ["<>", ">=", "<=", "=", ">", "<", "(", ")", ",", "+"];

/// Splits `sql` into tokens, ending with [`Tok::Eof`].
pub fn tokenize(sql: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer { chars: sql.chars().collect(), pos: 0, line: 1, column: 1 };
    let mut out = Vec::new();
    loop {
        lx.skip_blanks()?;
        let (line, column) = (lx.line, lx.column);
        let tok = lx.next_token()?;
        let end = tok == Tok::Eof;
        out.push(Token { tok, line, column });
        if end {
            return Ok(out);
        }
    }
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    column: u32,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error(&self, reason: String) -> ParseError {
        ParseError { line: self.line, column: self.column, reason }
    }

    /// Skips white space, `-- line` and `/* block */` comments.
    fn skip_blanks(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(' ' | '\t' | '\n' | '\r' | '\x0c'), _) => {
                    self.bump();
                }
                (Some('-'), Some('-')) => {
                    while self.peek(0).is_some_and(|c| c != '\n' && c != '\r') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => self.skip_block_comment()?,
                _ => return Ok(()),
            }
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), ParseError> {
        let start = self.error("unterminated comment".into());
        self.bump();
        self.bump();
        while let Some(c) = self.bump() {
            if c == '*' && self.peek(0) == Some('/') {
                self.bump();
                return Ok(());
            }
        }
        Err(start)
    }

    fn next_token(&mut self) -> Result<Tok, ParseError> {
        let Some(c) = self.peek(0) else { return Ok(Tok::Eof) };
        if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            return Ok(self.word());
        }
        if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) {
            return self.number();
        }
        if c == '\'' {
            return self.string();
        }
        if c == '-' {
            self.bump();
            return Ok(Tok::Op("-"));
        }
        for op in OPS {
            if op.chars().enumerate().all(|(i, oc)| self.peek(i) == Some(oc)) {
                op.chars().for_each(|_| {
                    self.bump();
                });
                return Ok(Tok::Op(op));
            }
        }
        Err(self.error(format!("Lexical error: unexpected character {c:?}")))
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek(0).filter(|c| f(*c)) {
            s.push(c);
            self.bump();
        }
        s
    }

    fn word(&mut self) -> Tok {
        let w = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        match KEYWORDS.iter().find(|k| k.eq_ignore_ascii_case(&w)) {
            Some(k) => Tok::Keyword(k),
            None => Tok::Ident(w),
        }
    }

    fn number(&mut self) -> Result<Tok, ParseError> {
        let (line, column) = (self.line, self.column);
        let mut text = self.take_while(|c| c.is_ascii_digit());
        let mut float = false;
        if self.peek(0) == Some('.') {
            float = true;
            self.bump();
            text.push('.');
            text.push_str(&self.take_while(|c| c.is_ascii_digit()));
        }
        if self.peek(0).is_some_and(|c| c == 'e' || c == 'E') {
            float = true;
            text.push_str(&self.exponent()?);
        }
        if float {
            return Ok(Tok::Float(text));
        }
        if text.len() > 1 && text.starts_with('0') {
            return Err(ParseError {
                line,
                column,
                reason: format!("Lexical error: integer {text} has a leading zero"),
            });
        }
        if self.peek(0).is_some_and(|c| c == 'l' || c == 'L') {
            self.bump();
        }
        Ok(Tok::Int(text))
    }

    fn exponent(&mut self) -> Result<String, ParseError> {
        let mut s = String::from("E");
        self.bump();
        if let Some(sign) = self.peek(0).filter(|c| *c == '+' || *c == '-') {
            s.push(sign);
            self.bump();
        }
        let digits = self.take_while(|c| c.is_ascii_digit());
        if digits.is_empty() {
            return Err(self.error("Lexical error: exponent without digits".into()));
        }
        s.push_str(&digits);
        Ok(s)
    }

    fn string(&mut self) -> Result<Tok, ParseError> {
        let start = self.error("Lexical error: unterminated string literal".into());
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(start),
                Some('\'') if self.peek(0) == Some('\'') => {
                    self.bump();
                    s.push('\'');
                }
                Some('\'') => return Ok(Tok::Str(s)),
                Some(c) => s.push(c),
            }
        }
    }
}
