//! Header serializations: fastjson-compatible JSON and RocketMQ's binary form.

pub(crate) mod binary;
pub(crate) mod json;
