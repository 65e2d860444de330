//! Message store.
