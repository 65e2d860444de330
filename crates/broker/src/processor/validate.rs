//! What a send may carry: sys flag bits that match the body and the request kind, and
//! properties that parse. A message that breaks these rules would be stored as-is and break its
//! consumers, so it is refused with MESSAGE_ILLEGAL and a remark naming the rule.

use rmq_common::{property, sysflag};

use crate::error::BrokerError;

/// Checks a send's sys flag: only known bits, no commit or rollback type (those come with
/// END_TRANSACTION), no inner-batch bits, a known compression type, the compressed bit only on
/// a body that starts as its compression type's format does, and none on a batch.
pub fn sys_flag(flag: i32, body: &[u8], batch: bool) -> Result<(), BrokerError> {
    let illegal = |why: String| Err(BrokerError::MessageIllegal(format!("illegal sysFlag {flag:#x}: {why}")));
    if flag & !sysflag::KNOWN_BITS != 0 {
        return illegal(format!("unknown bits {:#x}", flag & !sysflag::KNOWN_BITS));
    }
    let tx = sysflag::transaction_type(flag);
    if tx == sysflag::TRANSACTION_COMMIT || tx == sysflag::TRANSACTION_ROLLBACK {
        return illegal("a commit or rollback type is set by END_TRANSACTION, not by a send".into());
    }
    if flag & (sysflag::NEED_UNWRAP | sysflag::INNER_BATCH) != 0 {
        return illegal("inner-batch bits are set by the broker, not by a send".into());
    }
    let kind = flag & sysflag::COMPRESSION_TYPE_MASK;
    if kind > sysflag::COMPRESSION_ZLIB {
        return illegal(format!("unknown compression type {}", kind >> 8));
    }
    if flag & sysflag::COMPRESSED == 0 {
        return Ok(());
    }
    if batch {
        return illegal("a batch is never compressed as a whole".into());
    }
    if !looks_compressed(kind, body) {
        return illegal("the compressed bit is set on a body that is not compressed".into());
    }
    Ok(())
}

/// Whether `body` starts as the format of compression `kind` does (0 is zlib, as 4.x clients
/// set only the compressed bit).
fn looks_compressed(kind: i32, body: &[u8]) -> bool {
    match kind {
        sysflag::COMPRESSION_LZ4 => body.starts_with(&[0x04, 0x22, 0x4D, 0x18]),
        sysflag::COMPRESSION_ZSTD => body.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]),
        _ => match body {
            [cmf, flg, ..] => cmf & 0x0F == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
            _ => false,
        },
    }
}

/// Properties whose values the broker reads as numbers.
const NUMERIC: [&str; 7] = [
    property::DELAY,
    property::TIMER_DELIVER_MS,
    property::TIMER_DELAY_SEC,
    property::TIMER_DELAY_MS,
    property::START_DELIVER_TIME,
    property::MAX_RECONSUME_TIMES,
    property::RECONSUME_TIME,
];

/// Checks a send's properties string: every item a `name\u{1}value` pair with a name, and the
/// values the broker reads as numbers numeric.
pub fn properties(text: &str) -> Result<(), BrokerError> {
    let illegal = |why: String| Err(BrokerError::MessageIllegal(format!("illegal message properties: {why}")));
    for item in text.split('\u{2}').filter(|i| !i.is_empty()) {
        let Some((name, value)) = item.split_once('\u{1}') else {
            return illegal(format!("item {item:?} has no value separator"));
        };
        if name.is_empty() {
            return illegal("a property without a name".into());
        }
        if NUMERIC.contains(&name) && value.trim().parse::<i64>().is_err() {
            return illegal(format!("{name}={value:?} is not a number"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: Result<(), BrokerError>) -> String {
        match r {
            Err(BrokerError::MessageIllegal(why)) => why,
            other => panic!("not refused as illegal: {other:?}"),
        }
    }

    #[test]
    fn compressed_bit_needs_a_compressed_body() {
        let zlib = [0x78, 0x9C, 1, 2];
        assert!(sys_flag(sysflag::COMPRESSED, &zlib, false).is_ok());
        assert!(sys_flag(sysflag::COMPRESSED | sysflag::COMPRESSION_ZLIB, &zlib, false).is_ok());
        assert!(refused(sys_flag(sysflag::COMPRESSED, b"hello", false)).contains("not compressed"));
        let zstd = [0x28, 0xB5, 0x2F, 0xFD, 0];
        assert!(sys_flag(sysflag::COMPRESSED | sysflag::COMPRESSION_ZSTD, &zstd, false).is_ok());
        assert!(sys_flag(sysflag::COMPRESSED | sysflag::COMPRESSION_LZ4, &zstd, false).is_err());
        assert!(refused(sys_flag(sysflag::COMPRESSED, &zlib, true)).contains("batch"));
    }

    #[test]
    fn unknown_and_broker_only_bits_are_refused() {
        assert!(
            sys_flag(sysflag::MULTI_TAGS | sysflag::TRANSACTION_PREPARED | sysflag::BORNHOST_V6, b"x", false).is_ok()
        );
        assert!(refused(sys_flag(0x800, b"x", false)).contains("unknown bits"));
        assert!(refused(sys_flag(-1, b"x", false)).contains("unknown bits"));
        assert!(sys_flag(sysflag::TRANSACTION_COMMIT, b"x", false).is_err());
        assert!(sys_flag(sysflag::TRANSACTION_ROLLBACK, b"x", false).is_err());
        assert!(sys_flag(sysflag::INNER_BATCH, b"x", true).is_err());
        assert!(sys_flag(sysflag::NEED_UNWRAP, b"x", false).is_err());
        assert!(refused(sys_flag(0x400, b"x", false)).contains("compression type"));
    }

    #[test]
    fn properties_must_parse() {
        assert!(properties("TAGS\u{1}a\u{2}DELAY\u{1}3\u{2}").is_ok());
        assert!(properties("").is_ok());
        assert!(refused(properties("TAGS\u{1}a\u{2}junk\u{2}")).contains("separator"));
        assert!(refused(properties("\u{1}v")).contains("without a name"));
        assert!(refused(properties("DELAY\u{1}soon")).contains("DELAY"));
        assert!(refused(properties("TIMER_DELIVER_MS\u{1}1e9")).contains("TIMER_DELIVER_MS"));
    }
}
