//! Shared RocketMQ domain model and the protocol's vocabulary: messages and their stored-record
//! layout, properties, message ids, the Java string hash, and one home for each protocol word:
//! permission bits ([`perm`]), message and pull sys flags ([`sysflag`], [`pullflag`]), reserved
//! topic and group names with their builders ([`topic`], [`group`]), recall handles
//! ([`recall`]) and the wall clock ([`time::now_ms`]). Depends on nothing else of ours.

pub mod group;
pub mod hash;
pub mod message;
pub mod msgid;
pub mod perm;
pub mod properties;
pub mod property;
pub mod pullflag;
pub mod recall;
pub mod sysflag;
pub mod time;
pub mod tls;
pub mod topic;
