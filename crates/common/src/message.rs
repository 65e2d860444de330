//! Messages and the stored-record layout (commit log = pull body = view/query body).
//!
//! Record, big-endian: TOTALSIZE i32 | MAGICCODE i32 | BODYCRC i32 | QUEUEID i32 | FLAG i32 |
//! QUEUEOFFSET i64 | PHYSICALOFFSET i64 | SYSFLAG i32 | BORNTIMESTAMP i64 | BORNHOST (4+4 or
//! 16+4) | STORETIMESTAMP i64 | STOREHOST (4+4 or 16+4) | RECONSUMETIMES i32 |
//! PREPAREDTRANSACTIONOFFSET i64 | BODYLENGTH i32 + body | TOPICLENGTH (1 byte, v1; 2, v2) +
//! topic | PROPERTIESLENGTH i16 + properties.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::{BufMut, Bytes};

use crate::property::{self, Properties};
use crate::sysflag;

/// Magic of a v1 record (1-byte topic length).
pub const MAGIC_V1: i32 = -626_843_481;
/// Magic of a v2 record (2-byte topic length).
pub const MAGIC_V2: i32 = -626_843_477;
/// Magic of the blank record that ends a commit-log file.
pub const MAGIC_BLANK: i32 = -875_286_124;

/// Offset of QUEUEOFFSET within a record.
pub const QUEUE_OFFSET_POS: usize = 20;
/// Offset of PHYSICALOFFSET within a record.
pub const PHYSICAL_OFFSET_POS: usize = 28;
/// Offset of STORETIMESTAMP within a record with an IPv4 born host.
pub const STORE_TIMESTAMP_POS_V4: usize = 56;

/// Why a record could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The buffer ends inside the record.
    #[error("record truncated: need {need} bytes, have {have}")]
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// The magic code is not a record's.
    #[error("bad magic code {0:#x}")]
    BadMagic(i32),
    /// The blank end-of-file record.
    #[error("end-of-file blank record")]
    Blank,
    /// Sizes inside the record disagree.
    #[error("inconsistent record: {0}")]
    Inconsistent(&'static str),
    /// The body CRC does not match.
    #[error("body CRC mismatch")]
    BadCrc,
}

/// A message to store, with everything the broker decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreMessage {
    /// Topic.
    pub topic: String,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Sys flag.
    pub sys_flag: i32,
    /// Born timestamp, ms.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// This broker's address.
    pub store_host: SocketAddr,
    /// Reconsume times.
    pub reconsume_times: i32,
    /// Prepared transaction offset.
    pub prepared_transaction_offset: i64,
    /// Body as received (possibly compressed).
    pub body: Bytes,
    /// Properties.
    pub properties: Properties,
    /// Consume-queue tag field override (delivery time for delayed messages); otherwise the
    /// Java hash of TAGS.
    pub tag_code: Option<i64>,
}

impl Default for StoreMessage {
    fn default() -> Self {
        let unspecified = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
        Self {
            topic: String::new(),
            queue_id: 0,
            flag: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: unspecified,
            store_host: unspecified,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: Bytes::new(),
            properties: Vec::new(),
            tag_code: None,
        }
    }
}

fn host_len(addr: &SocketAddr) -> usize {
    if addr.is_ipv4() {
        8
    } else {
        20
    }
}

fn put_host(buf: &mut Vec<u8>, addr: &SocketAddr) {
    match addr.ip() {
        IpAddr::V4(ip) => buf.put_slice(&ip.octets()),
        IpAddr::V6(ip) => buf.put_slice(&ip.octets()),
    }
    buf.put_i32(i32::from(addr.port()));
}

impl StoreMessage {
    /// The consume-queue tag field.
    #[must_use]
    pub fn cq_tag_code(&self) -> i64 {
        self.tag_code.unwrap_or_else(|| crate::hash::tag_code(property::get(&self.properties, property::TAGS)))
    }

    /// The sys flag with the host-version bits set from the addresses.
    #[must_use]
    pub fn effective_sys_flag(&self) -> i32 {
        let mut f = self.sys_flag & !(sysflag::BORNHOST_V6 | sysflag::STOREHOST_V6);
        if self.born_host.is_ipv6() {
            f |= sysflag::BORNHOST_V6;
        }
        if self.store_host.is_ipv6() {
            f |= sysflag::STOREHOST_V6;
        }
        f
    }

    /// Encodes the record with zero queue offset, physical offset and store time; the store
    /// patches those under its append lock with [`patch_record`].
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let props = property::encode(&self.properties);
        let topic = self.topic.as_bytes();
        let v2 = topic.len() > 127;
        let total = 4
            + 4
            + 4
            + 4
            + 4
            + 8
            + 8
            + 4
            + 8
            + host_len(&self.born_host)
            + 8
            + host_len(&self.store_host)
            + 4
            + 8
            + 4
            + self.body.len()
            + if v2 { 2 } else { 1 }
            + topic.len()
            + 2
            + props.len();
        let mut buf = Vec::with_capacity(total);
        buf.put_i32(i32::try_from(total).unwrap_or(i32::MAX));
        buf.put_i32(if v2 { MAGIC_V2 } else { MAGIC_V1 });
        buf.put_i32(body_crc(&self.body));
        buf.put_i32(self.queue_id);
        buf.put_i32(self.flag);
        buf.put_i64(0);
        buf.put_i64(0);
        buf.put_i32(self.effective_sys_flag());
        buf.put_i64(self.born_timestamp);
        put_host(&mut buf, &self.born_host);
        buf.put_i64(0);
        put_host(&mut buf, &self.store_host);
        buf.put_i32(self.reconsume_times);
        buf.put_i64(self.prepared_transaction_offset);
        buf.put_i32(i32::try_from(self.body.len()).unwrap_or(i32::MAX));
        buf.put_slice(&self.body);
        if v2 {
            buf.put_i16(i16::try_from(topic.len()).unwrap_or(i16::MAX));
        } else {
            buf.put_u8(u8::try_from(topic.len()).unwrap_or(u8::MAX));
        }
        buf.put_slice(topic);
        buf.put_i16(i16::try_from(props.len()).unwrap_or(i16::MAX));
        buf.put_slice(props.as_bytes());
        buf
    }
}

/// CRC32 of a body, masked positive as RocketMQ stores it.
#[must_use]
pub fn body_crc(body: &[u8]) -> i32 {
    i32::try_from(crc32fast::hash(body) & 0x7FFF_FFFF).unwrap_or(0)
}

/// Writes queue offset, physical offset and store timestamp into an encoded record.
pub fn patch_record(record: &mut [u8], queue_offset: i64, phy_offset: i64, store_timestamp: i64) {
    record[QUEUE_OFFSET_POS..QUEUE_OFFSET_POS + 8].copy_from_slice(&queue_offset.to_be_bytes());
    record[PHYSICAL_OFFSET_POS..PHYSICAL_OFFSET_POS + 8].copy_from_slice(&phy_offset.to_be_bytes());
    let sys_flag = i32::from_be_bytes([record[36], record[37], record[38], record[39]]);
    let born = if sys_flag & sysflag::BORNHOST_V6 != 0 { 20 } else { 8 };
    let pos = 48 + born;
    record[pos..pos + 8].copy_from_slice(&store_timestamp.to_be_bytes());
}

/// A decoded stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExt {
    /// Topic.
    pub topic: String,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Consume-queue offset.
    pub queue_offset: i64,
    /// Commit-log offset.
    pub commit_log_offset: i64,
    /// Sys flag.
    pub sys_flag: i32,
    /// Born timestamp.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Store timestamp.
    pub store_timestamp: i64,
    /// Broker address.
    pub store_host: SocketAddr,
    /// Reconsume times.
    pub reconsume_times: i32,
    /// Prepared transaction offset.
    pub prepared_transaction_offset: i64,
    /// Body CRC as stored.
    pub body_crc: i32,
    /// Body as stored.
    pub body: Bytes,
    /// Properties.
    pub properties: Properties,
    /// Offset message id.
    pub msg_id: String,
    /// Whole record size.
    pub store_size: usize,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    /// The topic (2-byte length in a v2 record, 1 byte in v1) and the properties.
    fn topic_and_properties(&mut self, v2: bool) -> Result<(String, Properties), DecodeError> {
        let topic_len = if v2 {
            usize::try_from(self.i16()?).map_err(|_| DecodeError::Inconsistent("negative topic length"))?
        } else {
            usize::from(self.take(1)?[0])
        };
        let topic = String::from_utf8_lossy(self.take(topic_len)?).into_owned();
        let props_len =
            usize::try_from(self.i16()?).map_err(|_| DecodeError::Inconsistent("negative properties length"))?;
        let properties = property::decode(&String::from_utf8_lossy(self.take(props_len)?));
        Ok((topic, properties))
    }

    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Inconsistent("length overflow"))?;
        if end > self.buf.len() {
            return Err(DecodeError::Truncated { need: end, have: self.buf.len() });
        }
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn i16(&mut self) -> Result<i16, DecodeError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, DecodeError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, DecodeError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
    fn host(&mut self, v6: bool) -> Result<SocketAddr, DecodeError> {
        let ip = if v6 {
            let b = self.take(16)?;
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            IpAddr::from(a)
        } else {
            let b = self.take(4)?;
            IpAddr::from([b[0], b[1], b[2], b[3]])
        };
        let port = self.i32()?;
        Ok(SocketAddr::new(ip, u16::try_from(port).unwrap_or(0)))
    }
}

/// The magic and total size of the record at the start of `buf`, checked against `buf`.
fn record_frame(buf: &[u8]) -> Result<(i32, usize), DecodeError> {
    let mut r = Reader { buf, pos: 0 };
    let total = r.i32()?;
    let magic = r.i32()?;
    if magic == MAGIC_BLANK {
        return Err(DecodeError::Blank);
    }
    if magic != MAGIC_V1 && magic != MAGIC_V2 {
        return Err(DecodeError::BadMagic(magic));
    }
    let total = usize::try_from(total).map_err(|_| DecodeError::Inconsistent("negative size"))?;
    if total > buf.len() {
        return Err(DecodeError::Truncated { need: total, have: buf.len() });
    }
    Ok((magic, total))
}

impl MessageExt {
    /// Decodes the record at the start of `buf`; `check_crc` verifies the body CRC.
    pub fn decode_checked(buf: &[u8], check_crc: bool) -> Result<Self, DecodeError> {
        let (magic, total) = record_frame(buf)?;
        let mut r = Reader { buf: &buf[..total], pos: 8 };
        let stored_crc = r.i32()?;
        let queue_id = r.i32()?;
        let flag = r.i32()?;
        let queue_offset = r.i64()?;
        let commit_log_offset = r.i64()?;
        let sys_flag = r.i32()?;
        let born_timestamp = r.i64()?;
        let born_host = r.host(sys_flag & sysflag::BORNHOST_V6 != 0)?;
        let store_timestamp = r.i64()?;
        let store_host = r.host(sys_flag & sysflag::STOREHOST_V6 != 0)?;
        let reconsume_times = r.i32()?;
        let prepared_transaction_offset = r.i64()?;
        let body_len = usize::try_from(r.i32()?).map_err(|_| DecodeError::Inconsistent("negative body length"))?;
        let body = Bytes::copy_from_slice(r.take(body_len)?);
        if check_crc && body_crc(&body) != stored_crc {
            return Err(DecodeError::BadCrc);
        }
        let (topic, properties) = r.topic_and_properties(magic == MAGIC_V2)?;
        if r.pos != total {
            return Err(DecodeError::Inconsistent("size does not match fields"));
        }
        let msg_id = crate::msgid::offset_msg_id(&store_host, commit_log_offset);
        Ok(Self {
            topic,
            queue_id,
            flag,
            queue_offset,
            commit_log_offset,
            sys_flag,
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body_crc: stored_crc,
            body,
            properties,
            msg_id,
            store_size: total,
        })
    }

    /// Decodes the record at the start of `buf` without a CRC check.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_checked(buf, false)
    }

    /// Decodes back-to-back records (a pull body) until the buffer ends.
    pub fn decode_all(mut buf: &[u8]) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let m = Self::decode(buf)?;
            buf = &buf[m.store_size..];
            out.push(m);
        }
        Ok(out)
    }

    /// The TAGS property.
    #[must_use]
    pub fn tags(&self) -> Option<&str> {
        property::get(&self.properties, property::TAGS)
    }

    /// The client's unique id if present, else the offset id (what users see as msgId).
    #[must_use]
    pub fn unique_id(&self) -> &str {
        property::get(&self.properties, property::UNIQ_KEY).unwrap_or(&self.msg_id)
    }
}

/// A stored message to store again (redelivery, unparking, transaction commit): what the
/// producer sent, kept as it was. The store host is left unspecified and the tag code unset
/// (the broker stamps its own host; the store derives the tag code), the offsets and store
/// time are the new record's to get.
impl From<&MessageExt> for StoreMessage {
    fn from(m: &MessageExt) -> Self {
        Self {
            topic: m.topic.clone(),
            queue_id: m.queue_id,
            flag: m.flag,
            sys_flag: m.sys_flag,
            born_timestamp: m.born_timestamp,
            born_host: m.born_host,
            reconsume_times: m.reconsume_times,
            prepared_transaction_offset: m.prepared_transaction_offset,
            body: m.body.clone(),
            properties: m.properties.clone(),
            ..Self::default()
        }
    }
}

/// One message of a batch body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    /// User flag.
    pub flag: i32,
    /// Body.
    pub body: Bytes,
    /// Properties.
    pub properties: Properties,
}

/// Decodes a SEND_BATCH_MESSAGE body: short records of TOTALSIZE, MAGIC, BODYCRC, FLAG,
/// body length + body, properties length (i16) + properties.
pub fn decode_batch(body: &[u8]) -> Result<Vec<BatchItem>, DecodeError> {
    let mut out = Vec::new();
    let mut r = Reader { buf: body, pos: 0 };
    while r.pos < body.len() {
        let start = r.pos;
        let total = usize::try_from(r.i32()?).map_err(|_| DecodeError::Inconsistent("negative size"))?;
        let _magic = r.i32()?;
        let _crc = r.i32()?;
        let flag = r.i32()?;
        let len = usize::try_from(r.i32()?).map_err(|_| DecodeError::Inconsistent("negative body length"))?;
        let b = Bytes::copy_from_slice(r.take(len)?);
        let plen = usize::try_from(r.i16()?).map_err(|_| DecodeError::Inconsistent("negative properties length"))?;
        let properties = property::decode(&String::from_utf8_lossy(r.take(plen)?));
        if r.pos - start != total {
            return Err(DecodeError::Inconsistent("batch item size does not match fields"));
        }
        out.push(BatchItem { flag, body: b, properties });
    }
    Ok(out)
}

/// Encodes a batch body (the client side of [`decode_batch`]).
#[must_use]
pub fn encode_batch(items: &[BatchItem]) -> Vec<u8> {
    let mut buf = Vec::new();
    for m in items {
        let props = property::encode(&m.properties);
        let total = 4 + 4 + 4 + 4 + 4 + m.body.len() + 2 + props.len();
        buf.put_i32(i32::try_from(total).unwrap_or(i32::MAX));
        buf.put_i32(0);
        buf.put_i32(0);
        buf.put_i32(m.flag);
        buf.put_i32(i32::try_from(m.body.len()).unwrap_or(i32::MAX));
        buf.put_slice(&m.body);
        buf.put_i16(i16::try_from(props.len()).unwrap_or(i16::MAX));
        buf.put_slice(props.as_bytes());
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoreMessage {
        StoreMessage {
            topic: "T".into(),
            queue_id: 3,
            flag: 7,
            born_timestamp: 1_700_000_000_000,
            born_host: "10.0.0.5:5555".parse().unwrap(),
            store_host: "127.0.0.1:10911".parse().unwrap(),
            body: Bytes::from_static(b"hello"),
            properties: vec![("TAGS".into(), "A".into()), ("UNIQ_KEY".into(), "X".into())],
            ..StoreMessage::default()
        }
    }

    #[test]
    fn golden_layout() {
        let mut rec = sample().encode();
        // 91 fixed bytes (v1, IPv4) + body 5 + topic 1 + properties.
        let props = "TAGS\u{1}A\u{2}UNIQ_KEY\u{1}X";
        assert_eq!(rec.len(), 91 + 5 + 1 + props.len());
        patch_record(&mut rec, 42, 4096, 1_700_000_000_123);
        assert_eq!(&rec[0..4], &i32::try_from(rec.len()).unwrap().to_be_bytes());
        assert_eq!(&rec[4..8], &MAGIC_V1.to_be_bytes());
        assert_eq!(&rec[8..12], &body_crc(b"hello").to_be_bytes());
        assert_eq!(&rec[12..16], &3i32.to_be_bytes());
        assert_eq!(&rec[16..20], &7i32.to_be_bytes());
        assert_eq!(&rec[20..28], &42i64.to_be_bytes());
        assert_eq!(&rec[28..36], &4096i64.to_be_bytes());
        assert_eq!(&rec[48..52], &[10, 0, 0, 5]);
        assert_eq!(&rec[52..56], &5555i32.to_be_bytes());
        assert_eq!(&rec[56..64], &1_700_000_000_123i64.to_be_bytes());
        assert_eq!(&rec[64..68], &[127, 0, 0, 1]);
        assert_eq!(&rec[84..88], &5i32.to_be_bytes());
        assert_eq!(&rec[88..93], b"hello");
        assert_eq!(rec[93], 1);
        assert_eq!(rec[94], b'T');
        let m = MessageExt::decode_checked(&rec, true).unwrap();
        assert_eq!(m.queue_offset, 42);
        assert_eq!(m.commit_log_offset, 4096);
        assert_eq!(m.store_timestamp, 1_700_000_000_123);
        assert_eq!(m.tags(), Some("A"));
        assert_eq!(m.unique_id(), "X");
        assert_eq!(m.msg_id, "7F00000100002A9F0000000000001000");
    }

    #[test]
    fn body_crc_is_crc32_masked_positive() {
        // CRC-32 check value of "123456789" is 0xCBF43926; RocketMQ clears the sign bit.
        assert_eq!(body_crc(b"123456789"), 0x4BF4_3926);
    }

    #[test]
    fn store_message_from_stored_keeps_what_the_producer_sent() {
        let mut original = sample();
        original.sys_flag = sysflag::TRANSACTION_PREPARED;
        original.reconsume_times = 2;
        original.prepared_transaction_offset = 99;
        let stored = MessageExt::decode(&original.encode()).unwrap();
        let again = StoreMessage::from(&stored);
        let unspecified: SocketAddr = "0.0.0.0:0".parse().unwrap();
        assert_eq!(again, StoreMessage { store_host: unspecified, ..original });
    }

    #[test]
    fn truncation_and_corruption_are_errors() {
        let rec = sample().encode();
        for cut in 0..rec.len() {
            assert!(MessageExt::decode(&rec[..cut]).is_err(), "cut {cut}");
        }
        let mut bad = rec.clone();
        bad[90] ^= 0xff;
        assert_eq!(MessageExt::decode_checked(&bad, true), Err(DecodeError::BadCrc));
        let two = [rec.clone(), rec].concat();
        assert_eq!(MessageExt::decode_all(&two).unwrap().len(), 2);
    }

    #[test]
    fn batch_round_trip() {
        let items = vec![
            BatchItem { flag: 1, body: Bytes::from_static(b"a"), properties: vec![("K".into(), "v".into())] },
            BatchItem { flag: 2, body: Bytes::from_static(b"bb"), properties: vec![] },
        ];
        assert_eq!(decode_batch(&encode_batch(&items)).unwrap(), items);
        assert!(decode_batch(&encode_batch(&items)[..10]).is_err());
    }
}
