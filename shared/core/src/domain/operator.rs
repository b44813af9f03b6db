//! Operators: the tenant's people who use the console, each an email and a
//! role, and the audit log of what they (and the tenant's admin keys) did to
//! them. The console's sign-in and pages build on these records.

use super::contact::Email;
use super::ids::{new_id, ClientId};
use super::time::Timestamp;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// What an operator may do. Each role includes the one below it:
/// - `viewer` reads sign-ins, onboardings, analytics and the audit log;
/// - `reviewer` also decides registrations that need a person;
/// - `admin` also invites and removes operators and manages API keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperatorRole {
    Viewer,
    Reviewer,
    Admin,
}

impl OperatorRole {
    pub fn parse(input: &str) -> Result<Self> {
        match input {
            "viewer" => Ok(Self::Viewer),
            "reviewer" => Ok(Self::Reviewer),
            "admin" => Ok(Self::Admin),
            _ => Err(Error::invalid(
                "invalid_role",
                "role must be admin, reviewer or viewer",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Reviewer => "reviewer",
            Self::Admin => "admin",
        }
    }

    /// Whether this role covers `needed`.
    pub fn allows(self, needed: OperatorRole) -> bool {
        self >= needed
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperatorStatus {
    Active,
    /// Removed by an admin: signs in no more, and stays for the audit log.
    Removed,
}

/// Who did something: an operator (by email), an admin API key (by its
/// public prefix) or `gatehouse-admin` on the operator's own machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
pub enum Actor {
    Operator(String),
    ApiKey(String),
    AdminCli,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    pub client: ClientId,
    pub email: Email,
    pub role: OperatorRole,
    pub status: OperatorStatus,
    pub invited_by: Actor,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Operator {
    pub fn invite(
        client: &ClientId,
        email: &str,
        role: OperatorRole,
        by: Actor,
        now: Timestamp,
    ) -> Result<Self> {
        Ok(Self {
            client: client.clone(),
            email: Email::parse(email)?,
            role,
            status: OperatorStatus::Active,
            invited_by: by,
            created_at: now,
            updated_at: now,
        })
    }

    pub fn is_active(&self) -> bool {
        self.status == OperatorStatus::Active
    }
}

/// What was done, named as the audit log shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuditAction {
    OperatorInvited,
    OperatorRoleChanged,
    OperatorRemoved,
    ApiKeyCreated,
    ApiKeyRevoked,
    RegistrationApproved,
    RegistrationRejected,
}

/// One line of the audit log: who, what, when and which record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[serde(rename = "_id")]
    pub id: String,
    pub client: ClientId,
    pub actor: Actor,
    pub action: AuditAction,
    /// The record acted on: an operator's email, a registration's id.
    pub record: String,
    /// A short free-text reason or change, such as `viewer -> reviewer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub at: Timestamp,
}

impl AuditEntry {
    pub fn new(
        client: &ClientId,
        actor: Actor,
        action: AuditAction,
        record: impl Into<String>,
        detail: Option<String>,
        at: Timestamp,
    ) -> Self {
        Self {
            id: new_id(),
            client: client.clone(),
            actor,
            action,
            record: record.into(),
            detail,
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_covers_the_ones_below_it() {
        use OperatorRole::*;
        assert!(Admin.allows(Reviewer) && Admin.allows(Viewer) && Admin.allows(Admin));
        assert!(Reviewer.allows(Viewer) && !Reviewer.allows(Admin));
        assert!(!Viewer.allows(Reviewer));
    }

    #[test]
    fn a_role_is_one_of_three_names() {
        assert_eq!(
            OperatorRole::parse("reviewer").unwrap(),
            OperatorRole::Reviewer
        );
        for bad in ["Admin", "owner", ""] {
            assert!(OperatorRole::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_invite_needs_a_bare_address_and_stores_it_lowercased() {
        let client = ClientId("c1".into());
        let now = Timestamp::now();
        let op = Operator::invite(
            &client,
            "Ana@Example.COM",
            OperatorRole::Viewer,
            Actor::AdminCli,
            now,
        )
        .unwrap();
        assert_eq!(op.email.as_str(), "ana@example.com");
        assert!(op.is_active());
        assert!(Operator::invite(
            &client,
            "Ana <ana@example.com>",
            OperatorRole::Viewer,
            Actor::AdminCli,
            now
        )
        .is_err());
    }
}
