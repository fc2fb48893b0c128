//! The people a sandbox serves (`--users alice,bob,viewer`, with
//! `--viewers` and `--requesters` naming who gets a narrower role): which
//! role a name gets, what each role may do (its RBAC-like rules and
//! group), and the checks on names that end up in kubeconfig contexts and
//! file names.

use crate::config::{Rule, User};

/// What a sandbox user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, everywhere (group `system:masters`).
    Admin,
    /// Reads everything; requests, approves and executes promotions:
    /// creates and approves `modelpromotions.modeldeck.io`, patches the
    /// workloads a promotion moves (Deployments, InferenceServices,
    /// CronJobs), creates retraining Jobs and Events (group
    /// `modeldeck:promoters`).
    Promoter,
    /// What a promoter may do except deciding: requests promotions
    /// (creates and updates `modelpromotions.modeldeck.io` and their
    /// status), patches the workloads a promotion moves, creates
    /// retraining Jobs and Events, but neither creates
    /// `modelapprovals.modeldeck.io` nor `approve`s anything (group
    /// `modeldeck:requesters`), like the shipped `modeldeck-requester`
    /// ClusterRole.
    Requester,
    /// Reads everything (get, list, watch, logs), changes nothing (group
    /// `modeldeck:viewers`).
    Viewer,
}

/// Users of `--users` given a narrower role than their name implies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Narrowed<'a> {
    /// `--viewers`: read-only.
    pub viewers: &'a [String],
    /// `--requesters`: request and execute, never approve.
    pub requesters: &'a [String],
}

impl Role {
    /// The role of `name`: `admin` is [`Role::Admin`], `viewer` and the
    /// names in `viewers` are [`Role::Viewer`], the names in `requesters`
    /// are [`Role::Requester`], everyone else is a [`Role::Promoter`].
    pub fn of(name: &str, narrowed: Narrowed<'_>) -> Role {
        let listed = |list: &[String]| list.iter().any(|v| v == name);
        if name == "admin" {
            Role::Admin
        } else if name == "viewer" || listed(narrowed.viewers) {
            Role::Viewer
        } else if listed(narrowed.requesters) {
            Role::Requester
        } else {
            Role::Promoter
        }
    }

    /// The group SelfSubjectReview reports for the role.
    pub fn group(self) -> &'static str {
        match self {
            Role::Admin => "system:masters",
            Role::Promoter => "modeldeck:promoters",
            Role::Requester => "modeldeck:requesters",
            Role::Viewer => "modeldeck:viewers",
        }
    }

    /// The allow rules of the role.
    pub fn rules(self) -> Vec<Rule> {
        match self {
            Role::Admin => vec![Rule::all()],
            Role::Viewer => vec![Rule::read_only()],
            Role::Promoter => {
                let mut rules = vec![
                    Rule::read_only(),
                    Rule::new(
                        &["create", "update", "patch", "approve"],
                        &["modeldeck.io"],
                        &["*"],
                        &[],
                    ),
                ];
                rules.extend(workload_rules());
                rules
            }
            Role::Requester => {
                let mut rules = vec![
                    Rule::read_only(),
                    Rule::new(
                        &["create", "update", "patch"],
                        &["modeldeck.io"],
                        &["modelpromotions"],
                        &[],
                    ),
                    Rule::new(
                        &["update", "patch"],
                        &["modeldeck.io"],
                        &["modelpromotions/status"],
                        &[],
                    ),
                ];
                rules.extend(workload_rules());
                rules
            }
        }
    }

    /// A user of this role with a fresh random token.
    pub fn user(self, name: &str) -> User {
        User::new(name, self.rules()).with_group(self.group())
    }
}

/// What promoters and requesters may do beyond reading and the promotion
/// objects: patch the workloads a promotion moves, start retraining Jobs,
/// record Events.
fn workload_rules() -> Vec<Rule> {
    vec![
        Rule::new(
            &["patch", "update"],
            &["apps"],
            &["deployments", "deployments/scale"],
            &[],
        ),
        Rule::new(
            &["patch", "update"],
            &["serving.kserve.io"],
            &["inferenceservices"],
            &[],
        ),
        Rule::new(&["patch", "update"], &["batch"], &["cronjobs"], &[]),
        Rule::new(&["create"], &["batch"], &["jobs"], &[]),
        Rule::new(
            &["create", "patch"],
            &["", "events.k8s.io"],
            &["events"],
            &[],
        ),
    ]
}

/// Why a list of user names was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    /// No names at all.
    #[error("no user names given")]
    Empty,
    /// A name that cannot be a kubeconfig context part or a file name.
    #[error(
        "user name {0:?}: use letters, digits, `.`, `_` and `-` (not first), at most 63 characters"
    )]
    BadName(String),
    /// The same name twice.
    #[error("user {0:?} is listed twice")]
    Duplicate(String),
    /// A read-only name that is not among the users.
    #[error("viewer {0:?} is not one of the users")]
    UnknownViewer(String),
    /// A requester name that is not among the users.
    #[error("requester {0:?} is not one of the users")]
    UnknownRequester(String),
    /// A requester name that already has another role (`admin`, a viewer).
    #[error("requester {0:?} is {1}, so it cannot be a requester too")]
    NotARequester(String, &'static str),
}

/// Whether `name` is safe as a user name: it becomes part of context
/// names (`<user>@<cluster>`) and a file name (`<user>.kubeconfig`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// The users for `names` (in order, roles by [`Role::of`]); every name in
/// `viewers` must be among `names`.
pub fn users(names: &[String], viewers: &[String]) -> Result<Vec<User>, TeamError> {
    users_with(
        names,
        Narrowed {
            viewers,
            requesters: &[],
        },
    )
}

/// The users for `names` (in order, roles by [`Role::of`]); every name in
/// `narrowed` must be among `names`, and a requester must be neither
/// `admin`, `viewer` nor one of the viewers.
pub fn users_with(names: &[String], narrowed: Narrowed<'_>) -> Result<Vec<User>, TeamError> {
    if names.is_empty() {
        return Err(TeamError::Empty);
    }
    let mut out: Vec<User> = Vec::with_capacity(names.len());
    for n in names {
        if !valid_name(n) {
            return Err(TeamError::BadName(n.clone()));
        }
        if out.iter().any(|u| &u.name == n) {
            return Err(TeamError::Duplicate(n.clone()));
        }
        out.push(Role::of(n, narrowed).user(n));
    }
    if let Some(v) = narrowed.viewers.iter().find(|v| !names.contains(v)) {
        return Err(TeamError::UnknownViewer(v.clone()));
    }
    if let Some(r) = narrowed.requesters.iter().find(|r| !names.contains(r)) {
        return Err(TeamError::UnknownRequester(r.clone()));
    }
    for r in narrowed.requesters {
        match Role::of(r, narrowed) {
            Role::Admin => {
                return Err(TeamError::NotARequester(
                    r.clone(),
                    "the admin (may do everything)",
                ));
            }
            Role::Viewer => {
                return Err(TeamError::NotARequester(r.clone(), "a viewer (read-only)"));
            }
            Role::Promoter | Role::Requester => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Attributes, allowed};

    fn may(u: &User, verb: &str, group: &str, resource: &str, sub: Option<&str>) -> bool {
        let a = Attributes {
            verb,
            group,
            resource,
            subresource: sub,
            namespace: Some("prod"),
        };
        allowed(u, &a).is_some()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn promoters_request_approve_and_patch_workloads_but_nothing_else() {
        let u = Role::Promoter.user("alice");
        assert!(may(&u, "create", "modeldeck.io", "modelpromotions", None));
        assert!(may(&u, "approve", "modeldeck.io", "modelpromotions", None));
        assert!(may(&u, "patch", "apps", "deployments", None));
        assert!(may(&u, "patch", "apps", "deployments", Some("scale")));
        assert!(may(
            &u,
            "patch",
            "serving.kserve.io",
            "inferenceservices",
            None
        ));
        assert!(may(&u, "patch", "batch", "cronjobs", None));
        assert!(may(&u, "create", "batch", "jobs", None));
        assert!(may(&u, "create", "", "events", None));
        assert!(may(&u, "get", "", "pods", Some("log")));
        assert!(!may(&u, "delete", "apps", "deployments", None));
        assert!(!may(&u, "create", "apps", "deployments", None));
        assert!(!may(&u, "patch", "", "secrets", None));
        assert!(!may(&u, "delete", "", "namespaces", None));
        assert_eq!(u.groups[0], "modeldeck:promoters");
    }

    #[test]
    fn viewers_only_read() {
        let u = Role::Viewer.user("viewer");
        assert!(may(&u, "list", "apps", "deployments", None));
        assert!(may(&u, "get", "", "pods", Some("log")));
        assert!(!may(&u, "approve", "modeldeck.io", "modelpromotions", None));
        assert!(!may(&u, "create", "modeldeck.io", "modelpromotions", None));
        assert!(!may(&u, "patch", "apps", "deployments", None));
    }

    #[test]
    fn requesters_request_execute_and_patch_workloads_but_never_decide() {
        let u = Role::Requester.user("alice");
        // A promotion of their own, its status (the shared history), the
        // workloads it moves, Jobs and Events: as a promoter.
        for verb in ["create", "update", "patch"] {
            assert!(
                may(&u, verb, "modeldeck.io", "modelpromotions", None),
                "{verb}"
            );
        }
        for verb in ["update", "patch"] {
            assert!(
                may(&u, verb, "modeldeck.io", "modelpromotions", Some("status")),
                "{verb} status"
            );
        }
        assert!(may(&u, "patch", "apps", "deployments", None));
        assert!(may(&u, "update", "apps", "deployments", Some("scale")));
        assert!(may(
            &u,
            "patch",
            "serving.kserve.io",
            "inferenceservices",
            None
        ));
        assert!(may(&u, "patch", "batch", "cronjobs", None));
        assert!(may(&u, "create", "batch", "jobs", None));
        assert!(may(&u, "create", "", "events", None));
        assert!(may(&u, "patch", "events.k8s.io", "events", None));
        assert!(may(&u, "list", "modeldeck.io", "modelapprovals", None));
        assert!(may(&u, "get", "", "pods", Some("log")));
        // Never a decision: no approve verb on anything, no approval objects.
        for (verb, resource) in [
            ("approve", "modelpromotions"),
            ("approve", "modelapprovals"),
            ("create", "modelapprovals"),
            ("update", "modelapprovals"),
            ("patch", "modelapprovals"),
            ("delete", "modelapprovals"),
            ("delete", "modelpromotions"),
        ] {
            assert!(
                !may(&u, verb, "modeldeck.io", resource, None),
                "{verb} {resource}"
            );
        }
        assert!(!may(&u, "approve", "certificates.k8s.io", "signers", None));
        assert!(!may(
            &u,
            "update",
            "modeldeck.io",
            "modelapprovals",
            Some("status")
        ));
        assert!(!may(&u, "delete", "apps", "deployments", None));
        assert!(!may(&u, "create", "apps", "deployments", None));
        assert!(!may(&u, "patch", "", "secrets", None));
        assert_eq!(u.groups[0], "modeldeck:requesters");
        // What a promoter may do and a requester may not is exactly deciding.
        let p = Role::Promoter.user("bob");
        assert!(may(&p, "create", "modeldeck.io", "modelapprovals", None));
        assert!(may(&p, "approve", "modeldeck.io", "modelpromotions", None));
    }

    #[test]
    fn requesters_list_names_users_and_no_one_with_another_role() {
        let narrowed = |viewers: &[&str], requesters: &[&str]| (names(viewers), names(requesters));
        let all = names(&["admin", "alice", "bob", "viewer", "carol"]);
        let (v, r) = narrowed(&["carol"], &["alice"]);
        let us = users_with(
            &all,
            Narrowed {
                viewers: &v,
                requesters: &r,
            },
        )
        .unwrap();
        let groups: Vec<(&str, &str)> = us
            .iter()
            .map(|u| (u.name.as_str(), u.groups[0].as_str()))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("admin", "system:masters"),
                ("alice", "modeldeck:requesters"),
                ("bob", "modeldeck:promoters"),
                ("viewer", "modeldeck:viewers"),
                ("carol", "modeldeck:viewers"),
            ]
        );
        for (viewers, requesters, want) in [
            (
                &[][..],
                &["zed"][..],
                TeamError::UnknownRequester("zed".into()),
            ),
            (
                &[],
                &["admin"],
                TeamError::NotARequester("admin".into(), "the admin (may do everything)"),
            ),
            (
                &[],
                &["viewer"],
                TeamError::NotARequester("viewer".into(), "a viewer (read-only)"),
            ),
            (
                &["carol"],
                &["carol"],
                TeamError::NotARequester("carol".into(), "a viewer (read-only)"),
            ),
        ] {
            let (v, r) = narrowed(viewers, requesters);
            let got = users_with(
                &all,
                Narrowed {
                    viewers: &v,
                    requesters: &r,
                },
            );
            assert_eq!(got, Err(want), "--viewers {v:?} --requesters {r:?}");
        }
        assert!(
            TeamError::UnknownRequester("zed".into())
                .to_string()
                .contains("not one of the users")
        );
        // Without requesters, `users` is what it was.
        assert_eq!(Role::of("alice", Narrowed::default()), Role::Promoter);
    }

    #[test]
    fn roles_by_name_and_viewers_list() {
        let us = users(
            &names(&["admin", "alice", "bob", "viewer", "carol"]),
            &names(&["carol"]),
        )
        .unwrap();
        let roles: Vec<(&str, &str)> = us
            .iter()
            .map(|u| (u.name.as_str(), u.groups[0].as_str()))
            .collect();
        assert_eq!(
            roles,
            vec![
                ("admin", "system:masters"),
                ("alice", "modeldeck:promoters"),
                ("bob", "modeldeck:promoters"),
                ("viewer", "modeldeck:viewers"),
                ("carol", "modeldeck:viewers"),
            ]
        );
        let tokens: std::collections::BTreeSet<&str> =
            us.iter().map(|u| u.token.as_str()).collect();
        assert_eq!(tokens.len(), us.len(), "every user has an own token");
    }

    #[test]
    fn bad_lists_are_refused() {
        assert_eq!(users(&[], &[]), Err(TeamError::Empty));
        assert_eq!(
            users(&names(&["alice", "alice"]), &[]),
            Err(TeamError::Duplicate("alice".into()))
        );
        for bad in ["", "a@b", "../x", "-x", "a b", "a/b", &"x".repeat(64)] {
            assert_eq!(
                users(&names(&[bad]), &[]),
                Err(TeamError::BadName(bad.to_string())),
                "{bad:?}"
            );
        }
        assert_eq!(
            users(&names(&["alice"]), &names(&["bob"])),
            Err(TeamError::UnknownViewer("bob".into()))
        );
        assert!(users(&names(&["a.b_c-1"]), &[]).is_ok());
    }
}
