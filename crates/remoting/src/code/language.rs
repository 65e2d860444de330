//! The `language` header field: which client library sent a command.

/// Language of the sender, written by name in JSON headers and as one byte in ROCKETMQ headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LanguageCode {
    /// Java (the official client, broker and tools). What we answer with, since old Java
    /// decoders do not know `RUST`.
    #[default]
    Java,
    /// C++ (and the Python, Node and .NET wrappers around it).
    Cpp,
    /// .NET.
    Dotnet,
    /// Python.
    Python,
    /// Delphi.
    Delphi,
    /// Erlang.
    Erlang,
    /// Ruby.
    Ruby,
    /// Other.
    Other,
    /// HTTP.
    Http,
    /// Go.
    Go,
    /// PHP.
    Php,
    /// OMS.
    Oms,
    /// Rust (added in 4.9.4).
    Rust,
    /// Node.js (5.x only).
    NodeJs,
}

const TABLE: &[(LanguageCode, &str, u8)] = &[
    (LanguageCode::Java, "JAVA", 0),
    (LanguageCode::Cpp, "CPP", 1),
    (LanguageCode::Dotnet, "DOTNET", 2),
    (LanguageCode::Python, "PYTHON", 3),
    (LanguageCode::Delphi, "DELPHI", 4),
    (LanguageCode::Erlang, "ERLANG", 5),
    (LanguageCode::Ruby, "RUBY", 6),
    (LanguageCode::Other, "OTHER", 7),
    (LanguageCode::Http, "HTTP", 8),
    (LanguageCode::Go, "GO", 9),
    (LanguageCode::Php, "PHP", 10),
    (LanguageCode::Oms, "OMS", 11),
    (LanguageCode::Rust, "RUST", 12),
    (LanguageCode::NodeJs, "NODE_JS", 13),
];

impl LanguageCode {
    /// The enum name used in JSON headers, e.g. `JAVA`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        TABLE.iter().find(|(l, _, _)| *l == self).map_or("OTHER", |(_, n, _)| n)
    }

    /// The byte used in ROCKETMQ binary headers.
    #[must_use]
    pub fn as_byte(self) -> u8 {
        TABLE.iter().find(|(l, _, _)| *l == self).map_or(7, |(_, _, b)| *b)
    }

    /// Parses a JSON-header name; unknown names map to `Other` (lenient on input).
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        TABLE.iter().find(|(_, n, _)| *n == name).map_or(Self::Other, |(l, _, _)| *l)
    }

    /// Parses a ROCKETMQ-header byte; unknown bytes map to `Other`.
    #[must_use]
    pub fn from_byte(byte: u8) -> Self {
        TABLE.iter().find(|(_, _, b)| *b == byte).map_or(Self::Other, |(l, _, _)| *l)
    }
}

impl std::fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
