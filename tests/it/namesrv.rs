//! Name server process tests.
