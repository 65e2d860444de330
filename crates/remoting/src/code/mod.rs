//! Request, response and language codes, as typed enums with their wire values.
//!
//! Never reuse a retired code: the numbers are fixed by Apache RocketMQ and old clients.

mod language;
mod request;
mod response;

pub use language::LanguageCode;
pub use request::RequestCode;
pub use response::ResponseCode;

/// Declares a code enum: named variants with fixed values plus `Unknown(i32)` for anything else,
/// so a peer sending a code we do not know never makes decoding fail.
macro_rules! code_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A code this build does not know.
            Unknown(i32),
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The numeric value on the wire.
            #[must_use]
            pub const fn value(self) -> i32 {
                match self {
                    $($name::$variant => $value,)*
                    $name::Unknown(v) => v,
                }
            }

            /// Maps a wire value to its variant (`Unknown` when not known).
            #[must_use]
            pub const fn from_value(value: i32) -> Self {
                match value {
                    $($value => $name::$variant,)*
                    other => $name::Unknown(other),
                }
            }

            /// The official constant name, e.g. `SEND_MESSAGE`.
            #[must_use]
            pub fn name(self) -> std::borrow::Cow<'static, str> {
                match self {
                    $($name::$variant => std::borrow::Cow::Borrowed($text),)*
                    $name::Unknown(v) => std::borrow::Cow::Owned(format!("UNKNOWN({v})")),
                }
            }
        }

        impl From<i32> for $name {
            fn from(value: i32) -> Self {
                Self::from_value(value)
            }
        }

        impl From<$name> for i32 {
            fn from(code: $name) -> i32 {
                code.value()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", self.name(), self.value())
            }
        }
    };
}
pub(crate) use code_enum;
