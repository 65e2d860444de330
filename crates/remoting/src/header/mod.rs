//! Typed request and response headers, converted to and from a command's extFields.
//!
//! Each header is declared once with [`command_header!`]: field, Rust type and wire key. A
//! plain type is required (missing → [`HeaderError::Missing`], as Java's `@CFNotNull`);
//! an `Option` is optional. Values travel as text: decimal numbers and `true`/`false`.

mod acl;
mod admin;
mod auth;
mod client;
mod controller;
mod namesrv;
mod offset;
mod pop;
pub mod pop_info;
mod pull;
mod send;
mod transaction;

pub use acl::*;
pub use admin::*;
pub use auth::*;
pub use client::*;
pub use controller::*;
pub use namesrv::*;
pub use offset::*;
pub use pop::*;
pub use pull::*;
pub use send::*;
pub use transaction::*;

use crate::error::HeaderError;
use crate::ext_fields::ExtFields;

/// A typed view of a command's extFields.
pub trait CommandHeader: Sized {
    /// Writes every non-null field into `ext`.
    fn write(&self, ext: &mut ExtFields);
    /// Reads the header, failing on a missing required field or a malformed value.
    fn read(ext: &ExtFields) -> Result<Self, HeaderError>;
}

/// One header field's conversion to and from its text form.
pub trait HeaderValue: Sized {
    /// The text to send, or `None` to leave the key out.
    fn to_text(&self) -> Option<String>;
    /// Parses the received text (`None` when the key is absent).
    fn from_text(field: &'static str, text: Option<&str>) -> Result<Self, HeaderError>;
}

impl HeaderValue for String {
    fn to_text(&self) -> Option<String> {
        Some(self.clone())
    }
    fn from_text(field: &'static str, text: Option<&str>) -> Result<Self, HeaderError> {
        text.map(str::to_owned).ok_or(HeaderError::Missing(field))
    }
}

macro_rules! numeric_value {
    ($($t:ty => $expected:literal),*) => {$(
        impl HeaderValue for $t {
            fn to_text(&self) -> Option<String> {
                Some(self.to_string())
            }
            fn from_text(field: &'static str, text: Option<&str>) -> Result<Self, HeaderError> {
                let text = text.ok_or(HeaderError::Missing(field))?;
                text.trim().parse().map_err(|_| HeaderError::Invalid {
                    field,
                    value: text.to_owned(),
                    expected: $expected,
                })
            }
        }
    )*};
}
numeric_value!(i32 => "a 32-bit integer", i64 => "a 64-bit integer");

impl HeaderValue for bool {
    fn to_text(&self) -> Option<String> {
        Some(if *self { "true" } else { "false" }.to_owned())
    }
    /// As Java's `Boolean.parseBoolean`: `true` in any case is true, anything else false.
    fn from_text(field: &'static str, text: Option<&str>) -> Result<Self, HeaderError> {
        let text = text.ok_or(HeaderError::Missing(field))?;
        Ok(text.trim().eq_ignore_ascii_case("true"))
    }
}

impl<T: HeaderValue> HeaderValue for Option<T> {
    fn to_text(&self) -> Option<String> {
        self.as_ref().and_then(HeaderValue::to_text)
    }
    fn from_text(field: &'static str, text: Option<&str>) -> Result<Self, HeaderError> {
        match text {
            None => Ok(None),
            Some(t) => T::from_text(field, Some(t)).map(Some),
        }
    }
}

/// Declares a header struct and its [`CommandHeader`] implementation.
#[macro_export]
macro_rules! command_header {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[$fmeta:meta])* pub $field:ident : $ty:ty = $key:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $crate::header::CommandHeader for $name {
            #[allow(unused_variables)]
            fn write(&self, ext: &mut $crate::ExtFields) {
                $(
                    if let Some(v) = $crate::header::HeaderValue::to_text(&self.$field) {
                        ext.insert($key.to_owned(), v);
                    }
                )*
            }
            #[allow(unused_variables)]
            fn read(ext: &$crate::ExtFields) -> Result<Self, $crate::HeaderError> {
                Ok(Self {
                    $($field: $crate::header::HeaderValue::from_text($key, ext.get($key))?,)*
                })
            }
        }
    };
}

/// A header with no fields (requests that carry only a body, and empty responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EmptyHeader;

impl CommandHeader for EmptyHeader {
    fn write(&self, _ext: &mut ExtFields) {}
    fn read(_ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(Self)
    }
}
