//! Queue allocation among a group's consumers: average (default), averagely by circle, and
//! consistent hash, with the official strategies' results.

use rmq_remoting::body::MessageQueue;

/// How queues are spread over the group's consumers (all sorted the same way on every member).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AllocateStrategy {
    /// Contiguous ranges, the first `n % k` consumers getting one more.
    #[default]
    Average,
    /// Round robin: queue i to consumer i % k.
    AverageByCircle,
    /// Consistent hash ring with virtual nodes (stable under membership change).
    ConsistentHash,
}

impl AllocateStrategy {
    /// The official strategy name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Average => "AVG",
            Self::AverageByCircle => "AVG_BY_CIRCLE",
            Self::ConsistentHash => "CONSISTENT_HASH",
        }
    }

    /// The queues `me` gets. `mqs` and `cids` must be sorted.
    #[must_use]
    pub fn allocate(self, me: &str, mqs: &[MessageQueue], cids: &[String]) -> Vec<MessageQueue> {
        let Some(index) = cids.iter().position(|c| c == me) else { return Vec::new() };
        let (n, k) = (mqs.len(), cids.len());
        match self {
            Self::Average => {
                let modulo = n % k;
                let size = if n <= k {
                    1
                } else if modulo > 0 && index < modulo {
                    n / k + 1
                } else {
                    n / k
                };
                let start = if modulo > 0 && index < modulo { index * size } else { index * size + modulo };
                let range = size.min(n.saturating_sub(start));
                (0..range).map(|i| mqs[(start + i) % n].clone()).collect()
            }
            Self::AverageByCircle => {
                mqs.iter().enumerate().filter(|(i, _)| i % k == index).map(|(_, q)| q.clone()).collect()
            }
            Self::ConsistentHash => {
                const VIRTUAL: usize = 10;
                let mut ring: Vec<(u64, &str)> = Vec::with_capacity(k * VIRTUAL);
                for c in cids {
                    for v in 0..VIRTUAL {
                        ring.push((fnv(&format!("{c}{v}")), c.as_str()));
                    }
                }
                ring.sort_unstable();
                mqs.iter()
                    .filter(|q| {
                        let h = fnv(&format!("{}{}{}", q.topic, q.broker_name, q.queue_id));
                        let owner = ring.iter().find(|(p, _)| *p >= h).or_else(|| ring.first()).map(|(_, c)| *c);
                        owner == Some(me)
                    })
                    .cloned()
                    .collect()
            }
        }
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mqs(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|q| MessageQueue { topic: "T".into(), broker_name: "b".into(), queue_id: q }).collect()
    }

    #[test]
    fn every_queue_exactly_once() {
        let cids: Vec<String> = (0..3).map(|i| format!("c{i}")).collect();
        for s in [AllocateStrategy::Average, AllocateStrategy::AverageByCircle, AllocateStrategy::ConsistentHash] {
            for n in [1, 2, 3, 8, 9] {
                let q = mqs(n);
                let mut all: Vec<MessageQueue> = cids.iter().flat_map(|c| s.allocate(c, &q, &cids)).collect();
                all.sort();
                if n < 3 && s == AllocateStrategy::Average {
                    assert_eq!(all.len(), usize::try_from(n).unwrap());
                }
                all.dedup();
                assert_eq!(all.len(), usize::try_from(n).unwrap(), "{s:?} n={n}");
            }
        }
        // Average: 8 queues over 3 consumers → 3, 3, 2 contiguous (as the official strategy).
        let q = mqs(8);
        let ids =
            |c: &str| AllocateStrategy::Average.allocate(c, &q, &cids).iter().map(|m| m.queue_id).collect::<Vec<_>>();
        assert_eq!(ids("c0"), vec![0, 1, 2]);
        assert_eq!(ids("c1"), vec![3, 4, 5]);
        assert_eq!(ids("c2"), vec![6, 7]);
    }
}
