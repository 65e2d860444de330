//! The admin API (topics, groups, offsets, messages, cluster), used by `mqadmin` and tests.
