//! Shared by the store's integration tests.

use rmq_store::RetentionConfig;

/// Retention that never deletes for lack of space: a test must not depend on how full the
/// host's disk is (at the default 75% retention deletes the oldest commit-log file every second,
/// and queue min offsets follow).
#[must_use]
pub fn roomy_retention() -> RetentionConfig {
    RetentionConfig {
        disk_max_used_ratio: 100,
        clean_forcibly_ratio: 100,
        disk_full_ratio: 100,
        ..RetentionConfig::default()
    }
}
