use super::*;
use crate::elect::{Candidate, ElectRequest};

fn alive(ids: &[i64]) -> Vec<Candidate> {
    ids.iter().map(|&broker_id| Candidate { broker_id, ..Candidate::default() }).collect()
}

/// A broker set `b` with replicas 1..=n registered, 1 elected master.
fn set_of(n: i64) -> Replicas {
    let mut r = Replicas::default();
    for id in 1..=n {
        let code = format!("127.0.0.1:{};{id}", 10_000 + id);
        let out = r.apply(&Command::ApplyBrokerId {
            cluster: "c".into(),
            broker_name: "b".into(),
            broker_id: id,
            check_code: code,
        });
        assert_eq!(out.code, 0, "{out:?}");
    }
    let out = r.apply(&elect_cmd(Some(1), &(1..=n).collect::<Vec<_>>()));
    assert_eq!(out.broker_id, Some(1));
    r
}

fn elect_cmd(by: Option<i64>, alive_ids: &[i64]) -> Command {
    Command::ElectMaster(ElectRequest {
        broker_name: "b".into(),
        broker_id: by,
        designate: false,
        alive: alive(alive_ids),
        unclean: false,
    })
}

fn alter(r: &mut Replicas, master: i64, epoch: i32, ids: &[i64], sse: i32, alive_ids: &[i64]) -> Outcome {
    r.apply(&Command::AlterSyncStateSet {
        broker_name: "b".into(),
        master_id: master,
        master_epoch: epoch,
        new_set: SyncStateSet { sync_state_set: ids.iter().copied().collect(), sync_state_set_epoch: sse },
        alive: alive_ids.to_vec(),
    })
}

#[test]
fn ids_are_handed_out_in_order_and_reapplying_with_the_same_code_is_idempotent() {
    let mut r = set_of(2);
    assert_eq!(r.sets["b"].next_id(), 3);
    let again = Command::ApplyBrokerId {
        cluster: "c".into(),
        broker_name: "b".into(),
        broker_id: 2,
        check_code: "127.0.0.1:10002;2".into(),
    };
    assert_eq!(r.apply(&again).code, 0);
    let stolen = Command::ApplyBrokerId {
        cluster: "c".into(),
        broker_name: "b".into(),
        broker_id: 2,
        check_code: "x:1;9".into(),
    };
    assert_eq!(r.apply(&stolen).response_code(), ResponseCode::ControllerBrokerIdInvalid);
    let skip = Command::ApplyBrokerId {
        cluster: "c".into(),
        broker_name: "b".into(),
        broker_id: 7,
        check_code: "x:1;9".into(),
    };
    assert_eq!(r.apply(&skip).response_code(), ResponseCode::ControllerBrokerIdInvalid);
}

#[test]
fn first_election_takes_the_asking_broker_and_starts_epoch_one() {
    let r = set_of(3);
    let b = &r.sets["b"];
    assert_eq!(b.master, Some(1));
    assert_eq!((b.master_epoch, b.sync_state_set_epoch), (1, 1));
    assert_eq!(b.sync_state_set, BTreeSet::from([1]));
    assert_eq!(b.view().master_address.as_deref(), Some("127.0.0.1:10001"));
}

#[test]
fn an_alive_master_is_kept() {
    let mut r = set_of(3);
    let out = r.apply(&elect_cmd(Some(2), &[1, 2, 3]));
    assert_eq!(out.response_code(), ResponseCode::ControllerMasterStillExist);
    assert_eq!(r.sets["b"].master_epoch, 1);
}

#[test]
fn dead_master_is_replaced_from_the_sync_state_set_only() {
    let mut r = set_of(3);
    assert_eq!(alter(&mut r, 1, 1, &[1, 2], 1, &[2, 3]).code, 0);
    // 3 is alive but was never in sync: only 2 may take over.
    let out = r.apply(&elect_cmd(None, &[2, 3]));
    assert_eq!(out.broker_id, Some(2));
    let b = &r.sets["b"];
    assert_eq!((b.master, b.master_epoch, b.sync_state_set_epoch), (Some(2), 2, 3));
    assert_eq!(b.sync_state_set, BTreeSet::from([2]));
}

#[test]
fn no_clean_candidate_means_no_master_unless_unclean_election_is_on() {
    let mut r = set_of(3);
    let out = r.apply(&elect_cmd(None, &[3]));
    assert_eq!(out.response_code(), ResponseCode::ControllerMasterNotAvailable);
    assert_eq!(r.sets["b"].master, None);
    assert_eq!(r.sets["b"].master_epoch, 1, "no master elected, no epoch bump");
    let unclean = Command::ElectMaster(ElectRequest {
        broker_name: "b".into(),
        alive: alive(&[3]),
        unclean: true,
        ..ElectRequest::default()
    });
    let out = r.apply(&unclean);
    assert_eq!(out.broker_id, Some(3));
    assert_eq!(r.sets["b"].master_epoch, 2);
}

#[test]
fn the_newest_epoch_then_largest_offset_wins() {
    let mut r = set_of(4);
    assert_eq!(alter(&mut r, 1, 1, &[1, 2, 3, 4], 1, &[2, 3, 4]).code, 0);
    let alive = vec![
        Candidate { broker_id: 2, epoch: 1, max_offset: 500, election_priority: 0 },
        Candidate { broker_id: 3, epoch: 1, max_offset: 900, election_priority: 0 },
        Candidate { broker_id: 4, epoch: 0, max_offset: 5000, election_priority: 0 },
    ];
    let out =
        r.apply(&Command::ElectMaster(ElectRequest { broker_name: "b".into(), alive, ..ElectRequest::default() }));
    assert_eq!(out.broker_id, Some(3));
}

#[test]
fn designated_election_needs_a_live_in_sync_replica() {
    let mut r = set_of(3);
    assert_eq!(alter(&mut r, 1, 1, &[1, 2], 1, &[1, 2, 3]).code, 0);
    let designate = |id| {
        Command::ElectMaster(ElectRequest {
            broker_name: "b".into(),
            broker_id: Some(id),
            designate: true,
            alive: alive(&[1, 2, 3]),
            unclean: false,
        })
    };
    assert_eq!(r.apply(&designate(3)).response_code(), ResponseCode::ControllerElectMasterFailed);
    let out = r.apply(&designate(2));
    assert_eq!(out.broker_id, Some(2));
    assert_eq!(r.sets["b"].master_epoch, 2);
}

#[test]
fn alter_is_fenced_by_master_epoch_and_set_epoch() {
    let mut r = set_of(3);
    assert_eq!(alter(&mut r, 2, 1, &[1, 2], 1, &[1, 2]).response_code(), ResponseCode::ControllerInvalidMaster);
    assert_eq!(alter(&mut r, 1, 0, &[1, 2], 1, &[1, 2]).response_code(), ResponseCode::ControllerFencedMasterEpoch);
    assert_eq!(
        alter(&mut r, 1, 1, &[1, 2], 0, &[1, 2]).response_code(),
        ResponseCode::ControllerFencedSyncStateSetEpoch
    );
    assert_eq!(alter(&mut r, 1, 1, &[1, 2], 1, &[1]).response_code(), ResponseCode::ControllerBrokerNotAlive);
    assert_eq!(alter(&mut r, 1, 1, &[2], 1, &[1, 2]).response_code(), ResponseCode::ControllerInvalidRequest);
    assert_eq!(alter(&mut r, 1, 1, &[1, 9], 1, &[1, 9]).response_code(), ResponseCode::ControllerInvalidReplicas);
    assert_eq!(r.sets["b"].sync_state_set_epoch, 1, "refused alters change nothing");
    let ok = alter(&mut r, 1, 1, &[1, 2], 1, &[1, 2]);
    assert_eq!(ok.view.unwrap().sync_state_set.sync_state_set_epoch, 2);
    // The same request again carries an old set epoch: fenced.
    assert_eq!(
        alter(&mut r, 1, 1, &[1, 2, 3], 1, &[1, 2, 3]).response_code(),
        ResponseCode::ControllerFencedSyncStateSetEpoch
    );
}

#[test]
fn an_old_master_is_fenced_after_a_new_election() {
    let mut r = set_of(2);
    assert_eq!(alter(&mut r, 1, 1, &[1, 2], 1, &[1, 2]).code, 0);
    assert_eq!(r.apply(&elect_cmd(None, &[2])).broker_id, Some(2));
    // Master 1 comes back and tries to shrink the set with its old epoch.
    assert_eq!(alter(&mut r, 1, 1, &[1], 2, &[1, 2]).response_code(), ResponseCode::ControllerInvalidMaster);
    assert_eq!(alter(&mut r, 2, 1, &[2, 1], 3, &[1, 2]).response_code(), ResponseCode::ControllerFencedMasterEpoch);
    assert_eq!(alter(&mut r, 2, 2, &[2, 1], 3, &[1, 2]).code, 0);
}

#[test]
fn register_updates_the_address_of_a_known_id_only() {
    let mut r = set_of(1);
    let reg =
        |id| Command::RegisterBroker { broker_name: "b".into(), broker_id: id, address: "127.0.0.1:20911".into() };
    assert_eq!(r.apply(&reg(1)).view.unwrap().master_address.as_deref(), Some("127.0.0.1:20911"));
    assert_eq!(r.apply(&reg(5)).response_code(), ResponseCode::ControllerBrokerMetadataNotExist);
}
