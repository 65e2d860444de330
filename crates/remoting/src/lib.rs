//! RocketMQ remoting protocol.
