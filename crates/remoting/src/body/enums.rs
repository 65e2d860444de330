//! The Java enums that bodies carry, declared in Java's order so that an ordinal (as the C++
//! core writes them) reads as the same constant fastjson would pick. Written by name.

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every constant, in Java's declaration (ordinal) order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The Java constant's name, as written on the wire.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The constant named `text`, if any.
            #[must_use]
            pub fn from_name(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

    };
}

wire_enum! {
    /// How a group consumes (`org.apache.rocketmq.remoting.protocol.heartbeat.ConsumeType`).
    pub enum ConsumeType {
        /// Pull consumers.
        Actively => "CONSUME_ACTIVELY",
        /// Push consumers.
        #[default]
        Passively => "CONSUME_PASSIVELY",
        /// POP consumers (5.x).
        Pop => "CONSUME_POP",
    }
}

wire_enum! {
    /// How a group shares messages (`MessageModel`).
    pub enum MessageModel {
        /// Every instance gets every message.
        Broadcasting => "BROADCASTING",
        /// The instances share the queues.
        #[default]
        Clustering => "CLUSTERING",
    }
}

wire_enum! {
    /// Where a group without a committed offset starts (`ConsumeFromWhere`).
    pub enum ConsumeFromWhere {
        /// The queue's max offset.
        #[default]
        LastOffset => "CONSUME_FROM_LAST_OFFSET",
        /// Deprecated in Java; treated as `LastOffset`.
        LastOffsetAndFromMinWhenBootFirst => "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        /// Deprecated in Java; treated as `FirstOffset`.
        MinOffset => "CONSUME_FROM_MIN_OFFSET",
        /// Deprecated in Java; treated as `LastOffset`.
        MaxOffset => "CONSUME_FROM_MAX_OFFSET",
        /// The queue's min offset.
        FirstOffset => "CONSUME_FROM_FIRST_OFFSET",
        /// The first message at or after the consumer's timestamp.
        Timestamp => "CONSUME_FROM_TIMESTAMP",
    }
}

wire_enum! {
    /// A topic's filter type (`TopicFilterType`).
    pub enum TopicFilterType {
        /// One tag per message.
        #[default]
        SingleTag => "SINGLE_TAG",
        /// Several tags per message.
        MultiTag => "MULTI_TAG",
    }
}

wire_enum! {
    /// How a group reads a topic's queues (`org.apache.rocketmq.common.message.MessageRequestMode`):
    /// PULL (client-side queues and offsets) or POP (the broker hands out messages).
    pub enum MessageRequestMode {
        /// Pull consumption.
        #[default]
        Pull => "PULL",
        /// POP consumption.
        Pop => "POP",
    }
}
