//! Shared RocketMQ domain model: messages and their stored-record layout, properties, message
//! ids, sys flags and the Java string hash. Depends on nothing else of ours.

pub mod hash;
pub mod logging;
pub mod message;
pub mod msgid;
pub mod properties;
pub mod property;
pub mod sysflag;
pub mod time;
