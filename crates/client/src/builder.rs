//! Builders of the config structs. The structs are `#[non_exhaustive]` (new settings may come
//! in minor releases), so code outside this crate starts from `Config::builder(..)` (or
//! `Default`) and sets what it needs; each setter is named after its field.

/// Defines `$builder`, wrapping a `$cfg` started from its defaults, with one setter per listed
/// field (taking anything `Into` the field's type) and `build()`.
macro_rules! config_builder {
    ($(#[$m:meta])* $builder:ident for $cfg:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        #[must_use]
        pub struct $builder {
            config: $cfg,
        }

        impl $builder {
            /// A builder starting from `config`.
            pub fn from_config(config: $cfg) -> Self {
                Self { config }
            }

            $(
                #[doc = concat!("Sets `", stringify!($field), "` (see [`", stringify!($cfg), "::", stringify!($field), "`]).")]
                pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                    self.config.$field = value.into();
                    self
                }
            )*

            /// The finished config.
            pub fn build(self) -> $cfg {
                self.config
            }
        }
    };
}

pub(crate) use config_builder;
