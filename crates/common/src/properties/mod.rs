//! RocketMQ's properties files, and typed config structs declared over them.

pub mod check;
pub mod reader;

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use reader::{read_properties, update_properties, write_properties};

/// A config key that could not be applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The value does not parse as the key's type.
    #[error("config key {key}: invalid value {value:?}, expected {expected}")]
    InvalidValue {
        /// Key.
        key: String,
        /// Value given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The value parses but is outside the allowed range or set.
    #[error("config key {key}: {reason}")]
    Invalid {
        /// Key.
        key: String,
        /// Why.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read config file {path}: {cause}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        cause: String,
    },
}

/// Parses a config file's properties text as `java.util.Properties` does (see [`reader`]),
/// then, as RocketMQ's `properties2Object` does for strings, trims each value and expands
/// `${NAME}` from the environment. Later duplicates win.
#[must_use]
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    read_properties(text).into_iter().map(|(k, v)| (k, expand_env(v.trim()))).collect()
}

/// Replaces `${NAME}` with the environment variable's value (empty when unset).
#[must_use]
pub fn expand_env(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else { break };
        out.push_str(&rest[..start]);
        let name = &rest[start + 2..start + end];
        out.push_str(&std::env::var(name).unwrap_or_default());
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// A value type that can appear in a properties file.
pub trait PropValue: Sized {
    /// What the text should look like, for error messages.
    const EXPECTED: &'static str;
    /// Parses the text.
    fn parse_prop(text: &str) -> Option<Self>;
    /// Renders the value.
    fn render_prop(&self) -> String;
}

impl PropValue for String {
    const EXPECTED: &'static str = "text";
    fn parse_prop(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
    fn render_prop(&self) -> String {
        self.clone()
    }
}

impl PropValue for bool {
    const EXPECTED: &'static str = "true or false";
    fn parse_prop(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
    fn render_prop(&self) -> String {
        self.to_string()
    }
}

macro_rules! int_prop {
    ($($t:ty),*) => {$(
        impl PropValue for $t {
            const EXPECTED: &'static str = concat!("an integer (", stringify!($t), ")");
            fn parse_prop(text: &str) -> Option<Self> {
                text.parse().ok()
            }
            fn render_prop(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
int_prop!(u16, u32, u64, i32, i64, usize);

impl<T: PropValue> PropValue for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn parse_prop(text: &str) -> Option<Self> {
        if text.is_empty() {
            Some(None)
        } else {
            T::parse_prop(text).map(Some)
        }
    }
    fn render_prop(&self) -> String {
        self.as_ref().map(PropValue::render_prop).unwrap_or_default()
    }
}

/// Parses one value for `key`.
pub fn parse_value<T: PropValue>(key: &str, text: &str) -> Result<T, ConfigError> {
    T::parse_prop(text).ok_or_else(|| ConfigError::InvalidValue {
        key: key.to_owned(),
        value: text.to_owned(),
        expected: T::EXPECTED,
    })
}

/// Renders `key=value` lines.
#[must_use]
pub fn render(pairs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        let _ = writeln!(out, "{k}={v}");
    }
    out
}

/// Declares a config struct whose fields map to properties keys, with defaults and docs.
///
/// Generates `Default`, `set(key, value) -> Result<bool, ConfigError>` (false = unknown key),
/// and `to_pairs()` for printing the effective configuration.
#[macro_export]
macro_rules! properties_config {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[$fmeta:meta])* pub $field:ident : $ty:ty = $key:literal => $default:expr,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                Self { $($field: $default,)* }
            }
        }

        impl $name {
            /// Every key this struct knows.
            pub const KEYS: &'static [&'static str] = &[$($key,)*];

            /// Applies one `key=value`; `Ok(false)` when the key is not one of ours.
            pub fn set(&mut self, key: &str, value: &str) -> Result<bool, $crate::properties::ConfigError> {
                match key {
                    $($key => { self.$field = $crate::properties::parse_value(key, value)?; Ok(true) })*
                    _ => Ok(false),
                }
            }

            /// The effective configuration as `(key, value)` pairs.
            #[must_use]
            pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
                vec![$(($key, $crate::properties::PropValue::render_prop(&self.$field)),)*]
            }
        }
    };
}

/// Declares a config struct made of groups, each declared with [`properties_config!`]: the
/// flat keys of every group are read and printed under their own names, so files and
/// GET_*_CONFIG bodies look as if the struct were flat.
///
/// Generates `Default`, `set`, `to_pairs`, `keys()` and `is_key(key)` over the groups.
#[macro_export]
macro_rules! grouped_config {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// Every key of every group.
            #[must_use]
            pub fn keys() -> Vec<&'static str> {
                let mut keys = Vec::new();
                $(keys.extend_from_slice(<$ty>::KEYS);)*
                keys
            }

            /// Whether `key` is one of ours.
            #[must_use]
            pub fn is_key(key: &str) -> bool {
                false $(|| <$ty>::KEYS.contains(&key))*
            }

            /// Applies one `key=value`; `Ok(false)` when the key is not one of ours.
            pub fn set(&mut self, key: &str, value: &str) -> Result<bool, $crate::properties::ConfigError> {
                $(if self.$field.set(key, value)? {
                    return Ok(true);
                })*
                Ok(false)
            }

            /// The effective configuration as `(key, value)` pairs, group by group.
            #[must_use]
            pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
                let mut pairs = Vec::new();
                $(pairs.extend(self.$field.to_pairs());)*
                pairs
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_properties_like_java() {
        let p = parse_properties("# c\n! c\n\na=1\nb : two words \n c=x=y\na=3\nempty=\n");
        assert_eq!(p.get("a").map(String::as_str), Some("3"));
        assert_eq!(p.get("b").map(String::as_str), Some("two words"));
        assert_eq!(p.get("c").map(String::as_str), Some("x=y"));
        assert_eq!(p.get("empty").map(String::as_str), Some(""));
        assert_eq!(p.len(), 4);
    }

    #[test]
    fn expands_env() {
        std::env::set_var("RMQ_TEST_EXPAND", "/x");
        assert_eq!(expand_env("${RMQ_TEST_EXPAND}/store"), "/x/store");
        assert_eq!(expand_env("${RMQ_TEST_UNSET_VAR}a"), "a");
        assert_eq!(expand_env("${broken"), "${broken");
    }
}
