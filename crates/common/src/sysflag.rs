//! Message sys flag bits (`MessageSysFlag`).

/// Body is compressed.
pub const COMPRESSED: i32 = 0x1;
/// Topic filter type MULTI_TAG.
pub const MULTI_TAGS: i32 = 0x2;
/// Transaction type mask.
pub const TRANSACTION_MASK: i32 = 0xC;
/// Not a transaction message.
pub const TRANSACTION_NOT_TYPE: i32 = 0x0;
/// Half (prepared) message.
pub const TRANSACTION_PREPARED: i32 = 0x4;
/// Committed message.
pub const TRANSACTION_COMMIT: i32 = 0x8;
/// Rolled back message.
pub const TRANSACTION_ROLLBACK: i32 = 0xC;
/// Born host is IPv6.
pub const BORNHOST_V6: i32 = 0x10;
/// Store host is IPv6.
pub const STOREHOST_V6: i32 = 0x20;
/// The record wraps an inner batch to unwrap on read (5.x).
pub const NEED_UNWRAP: i32 = 0x40;
/// The record is an inner batch (5.x auto batch).
pub const INNER_BATCH: i32 = 0x80;
/// Compression type mask (bits 8–10).
pub const COMPRESSION_TYPE_MASK: i32 = 0x700;
/// LZ4 compression type.
pub const COMPRESSION_LZ4: i32 = 0x100;
/// Zstandard compression type.
pub const COMPRESSION_ZSTD: i32 = 0x200;
/// zlib compression type.
pub const COMPRESSION_ZLIB: i32 = 0x300;
/// Every bit a message sys flag may carry.
pub const KNOWN_BITS: i32 = 0x7FF;

/// The transaction type bits of `flag`.
#[must_use]
pub const fn transaction_type(flag: i32) -> i32 {
    flag & TRANSACTION_MASK
}
