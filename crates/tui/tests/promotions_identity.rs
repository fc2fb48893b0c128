//! Promotions on a cluster that does not bind approvals to identities (the
//! sandbox's cluster with prod-eu's ledger answering `Unbound`): the list
//! marks the promotion and its notice, the detail's title and first lines,
//! and the approve dialog say "approvals are not identity-bound on
//! prod-eu". Allowed by the policy it is a warning and the promotion can
//! still go ahead; required (the default) execute is refused with why.

// Test helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod promo_world;

use common::Harness;
use crossterm::event::KeyCode;
use modeldeck_promotion::ActionKind;
use modeldeck_tui::keymap::ScreenKind;
use promo_world::cluster::Altered;
use promo_world::*;

/// What a kube cluster without the ledger says (`modeldeck cluster check`).
const REASON: &str = "CustomResourceDefinition modelapprovals.modeldeck.io is not installed (`modeldeck cluster check` compares, `modeldeck cluster install` installs)";
const WORDS: &str = "approvals are not identity-bound on prod-eu";

fn snap(t: &mut Harness, name: &str, w: u16, h: u16) {
    let screen = t.draw();
    assert!(!screen.contains('\u{1b}'));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.terminal.backend());
}

async fn unbound_world(policy: &str) -> World {
    let world = world_with(policy, |c| Altered::unbound(c, "prod-eu", REASON)).await;
    world.as_user("alice");
    world
}

/// Opens the list, checks its mark and notice, snapshots it.
async fn list(world: &World, t: &mut Harness, name: &str, w: u16, h: u16) {
    t.type_str("p");
    world.run_jobs(t).await;
    assert_eq!(t.app.screen(), ScreenKind::Promotions);
    let screen = t.draw();
    assert!(screen.contains(WORDS), "{screen}");
    let row = screen
        .lines()
        .find(|l| l.contains("fraud-detector"))
        .unwrap();
    assert!(row.contains("✉ ⚠ fraud-detector"), "{screen}");
    snap(t, name, w, h);
}

#[tokio::test]
async fn allowed_by_the_policy_an_unbound_cluster_is_a_warning_on_every_screen() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = unbound_world(UNBOUND_ALLOWED).await;
        let mut t = world.harness(w, h).await;
        list(&world, &mut t, "identity_allowed_list", w, h).await;
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        let rv = detail(&t).review().unwrap();
        let gate = rv
            .status
            .promotion
            .gates
            .iter()
            .find(|g| g.name == "identity")
            .unwrap();
        assert_eq!(gate.status, modeldeck_core::domain::GateStatus::Pass);
        assert!(gate.detail.contains(WORDS), "{}", gate.detail);
        let screen = t.draw();
        assert!(screen.contains("⚠ not identity-bound"), "{screen}");
        assert!(screen.contains(&format!("⚠ {WORDS}:")), "{screen}");
        assert!(screen.contains("allowed by the policy"), "{screen}");
        snap(&mut t, "identity_allowed_detail", w, h);

        // The approver is told before confirming, and the approval counts.
        t.type_str("a");
        let d = t.app.dialog().expect("the approve dialog");
        assert!(d.lines.iter().any(|l| l.contains(WORDS)), "{d:?}");
        t.type_str("checked the numbers");
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        let flash = t.app.flash().unwrap();
        assert!(!flash.error, "{flash:?}");
        let rv = detail(&t).review().unwrap();
        assert!(rv.check(ActionKind::Execute).unwrap().allowed(), "{rv:?}");
        assert!(t.draw().contains(WORDS));
    }
}

#[tokio::test]
async fn required_by_the_policy_an_unbound_cluster_refuses_execute() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = unbound_world(POLICY).await;
        let mut t = world.harness(w, h).await;
        list(&world, &mut t, "identity_required_list", w, h).await;
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        let rv = detail(&t).review().unwrap();
        let gate = rv
            .status
            .promotion
            .gates
            .iter()
            .find(|g| g.name == "identity")
            .unwrap();
        assert_eq!(gate.status, modeldeck_core::domain::GateStatus::Fail);
        let why = rv.check(ActionKind::Execute).unwrap().blocked.clone();
        assert!(
            why.as_deref()
                .unwrap()
                .starts_with(&format!("refused: {WORDS}")),
            "{why:?}"
        );
        let screen = t.draw();
        assert!(screen.contains(&format!("⚠ {WORDS}:")), "{screen}");
        assert!(screen.contains("the policy requires bound"), "{screen}");
        if w == 200 {
            assert!(
                screen.contains(&format!("x execute   ✗ refused: {WORDS}")),
                "{screen}"
            );
        }
        snap(&mut t, "identity_required_detail", w, h);

        // Approving is still possible; executing is refused with why.
        t.type_str("a");
        t.type_str("fine by me");
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        t.type_str("x");
        assert!(t.app.dialog().is_none());
        let flash = t.app.flash().unwrap();
        assert!(flash.error, "{flash:?}");
        assert!(flash.text.contains(WORDS), "{flash:?}");
        assert!(t.requests.is_empty());
    }
}
