//! The people a sandbox serves (`--users alice,bob,viewer`): which role a
//! name gets, what each role may do (its RBAC-like rules and group), and
//! the checks on names that end up in kubeconfig contexts and file names.

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
    /// Reads everything (get, list, watch, logs), changes nothing (group
    /// `modeldeck:viewers`).
    Viewer,
}

impl Role {
    /// The role of `name`: `admin` is [`Role::Admin`], `viewer` and the
    /// names in `viewers` are [`Role::Viewer`], everyone else is a
    /// [`Role::Promoter`].
    pub fn of(name: &str, viewers: &[String]) -> Role {
        if name == "admin" {
            Role::Admin
        } else if name == "viewer" || viewers.iter().any(|v| v == name) {
            Role::Viewer
        } else {
            Role::Promoter
        }
    }

    /// The group SelfSubjectReview reports for the role.
    pub fn group(self) -> &'static str {
        match self {
            Role::Admin => "system:masters",
            Role::Promoter => "modeldeck:promoters",
            Role::Viewer => "modeldeck:viewers",
        }
    }

    /// The allow rules of the role.
    pub fn rules(self) -> Vec<Rule> {
        match self {
            Role::Admin => vec![Rule::all()],
            Role::Viewer => vec![Rule::read_only()],
            Role::Promoter => vec![
                Rule::read_only(),
                Rule::new(
                    &["create", "update", "patch", "approve"],
                    &["modeldeck.io"],
                    &["*"],
                    &[],
                ),
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
            ],
        }
    }

    /// A user of this role with a fresh random token.
    pub fn user(self, name: &str) -> User {
        User::new(name, self.rules()).with_group(self.group())
    }
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
        out.push(Role::of(n, viewers).user(n));
    }
    if let Some(v) = viewers.iter().find(|v| !names.contains(v)) {
        return Err(TeamError::UnknownViewer(v.clone()));
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
