//! Shared RocketMQ domain model.
