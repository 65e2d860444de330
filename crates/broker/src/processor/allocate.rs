//! The allocation strategies server-side load balancing knows (`AVG`, `AVG_BY_CIRCLE`), and the
//! POP sharing on top of them, with the official results. Queues and client ids come sorted.

use rmq_remoting::body::MessageQueue;

/// An allocation strategy, by its official name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `AVG`: contiguous ranges, the first `n % k` clients getting one more.
    Average,
    /// `AVG_BY_CIRCLE`: queue i to client i % k.
    AverageByCircle,
}

impl Strategy {
    /// The strategy a client names; `None` for the ones the broker does not run.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "AVG" => Some(Self::Average),
            "AVG_BY_CIRCLE" => Some(Self::AverageByCircle),
            _ => None,
        }
    }

    /// The queues `me` gets (none when it is not a member).
    #[must_use]
    pub fn allocate(self, me: &str, mqs: &[MessageQueue], cids: &[String]) -> Vec<MessageQueue> {
        let Some(index) = cids.iter().position(|c| c == me) else { return Vec::new() };
        let (n, k) = (mqs.len(), cids.len());
        match self {
            Self::Average => {
                let modulo = n % k;
                let size = if n <= k {
                    1
                } else if index < modulo {
                    n / k + 1
                } else {
                    n / k
                };
                let start = if index < modulo { index * size } else { index * size + modulo };
                let range = size.min(n.saturating_sub(start));
                (0..range).map(|i| mqs[(start + i) % n].clone()).collect()
            }
            Self::AverageByCircle => mqs.iter().skip(index).step_by(k).cloned().collect(),
        }
    }
}

/// POP allocation (`allocate4Pop`): with `share` <= 0 or at least the other members, every
/// broker's whole topic (queue id -1); with at most as many members as queues, the client's own
/// queues plus those of the `share` members after it; otherwise one queue per member.
#[must_use]
pub fn allocate_for_pop(
    strategy: Strategy,
    me: &str,
    mqs: &[MessageQueue],
    cids: &[String],
    share: i32,
) -> Vec<MessageQueue> {
    let share_all = usize::try_from(share).map_or(true, |s| s == 0 || s + 1 >= cids.len());
    if share_all {
        return mqs.iter().map(|q| MessageQueue { queue_id: -1, ..q.clone() }).collect();
    }
    let Some(index) = cids.iter().position(|c| c == me) else { return Vec::new() };
    if cids.len() > mqs.len() {
        return mqs.get(index % mqs.len().max(1)).cloned().into_iter().collect();
    }
    let mut mine = strategy.allocate(me, mqs, cids);
    for i in 1..=usize::try_from(share).unwrap_or(0) {
        let next = &cids[(index + i) % cids.len()];
        mine.extend(strategy.allocate(next, mqs, cids));
    }
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mqs(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|q| MessageQueue { topic: "t".into(), broker_name: "b".into(), queue_id: q }).collect()
    }

    fn ids(v: &[MessageQueue]) -> Vec<i32> {
        v.iter().map(|q| q.queue_id).collect()
    }

    fn cids(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn average_and_circle_match_the_official_results() {
        let (q, c) = (mqs(5), cids(2));
        assert_eq!(ids(&Strategy::Average.allocate("c0", &q, &c)), vec![0, 1, 2]);
        assert_eq!(ids(&Strategy::Average.allocate("c1", &q, &c)), vec![3, 4]);
        assert_eq!(ids(&Strategy::AverageByCircle.allocate("c1", &q, &c)), vec![1, 3]);
        assert!(Strategy::Average.allocate("stranger", &q, &c).is_empty());
        assert_eq!(Strategy::from_name("CONSISTENT_HASH"), None);
    }

    #[test]
    fn pop_shares_the_following_members_queues() {
        let (q, c) = (mqs(4), cids(4));
        assert_eq!(ids(&allocate_for_pop(Strategy::Average, "c1", &q, &c, 1)), vec![1, 2]);
        assert_eq!(ids(&allocate_for_pop(Strategy::Average, "c3", &q, &c, 1)), vec![3, 0]);
        assert_eq!(ids(&allocate_for_pop(Strategy::Average, "c0", &q, &c, 3)), vec![-1; 4]);
        assert_eq!(ids(&allocate_for_pop(Strategy::Average, "c0", &q, &c, -1)), vec![-1; 4]);
        let crowd = cids(6);
        assert_eq!(ids(&allocate_for_pop(Strategy::Average, "c5", &q, &crowd, 1)), vec![1]);
    }
}
