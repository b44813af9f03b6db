//! Inviting, changing and removing a tenant's operators, each change
//! written with its audit entry in one transaction.

use crate::domain::operator::{
    Actor, AuditAction, AuditEntry, Operator, OperatorRole, OperatorStatus,
};
use crate::domain::{ClientId, Email};
use crate::error::{Error, Result};
use crate::ports::{Clock, OperatorStore, Precondition};
use std::sync::Arc;

/// The most audit entries one read returns.
pub const AUDIT_PAGE: usize = 100;

/// Who is acting, and with what rights. An admin API key and
/// `gatehouse-admin` act as admins.
#[derive(Clone, Debug)]
pub struct Acting {
    pub actor: Actor,
    pub role: OperatorRole,
}

impl Acting {
    pub fn admin_cli() -> Self {
        Self {
            actor: Actor::AdminCli,
            role: OperatorRole::Admin,
        }
    }

    pub fn admin_key(prefix: &str) -> Self {
        Self {
            actor: Actor::ApiKey(prefix.to_owned()),
            role: OperatorRole::Admin,
        }
    }

    pub fn operator(operator: &Operator) -> Self {
        Self {
            actor: Actor::Operator(operator.email.as_str().to_owned()),
            role: operator.role,
        }
    }

    pub fn require(&self, needed: OperatorRole) -> Result<()> {
        if self.role.allows(needed) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                code: "role_not_allowed",
                message: format!("this needs the {} role", needed.as_str()),
            })
        }
    }
}

fn not_found() -> Error {
    Error::not_found("operator_not_found", "no operator with this email")
}

fn changed_meanwhile() -> Error {
    Error::conflict(
        "operator_changed",
        "the operator changed meanwhile: read it again",
    )
}

pub struct Operators<S> {
    store: S,
    clock: Arc<dyn Clock>,
}

impl<S: OperatorStore> Operators<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Invites `email` as `role`. A removed operator is invited again; an
    /// active one is a conflict.
    pub async fn invite(
        &self,
        client: &ClientId,
        acting: &Acting,
        email: &str,
        role: OperatorRole,
    ) -> Result<Operator> {
        acting.require(OperatorRole::Admin)?;
        let now = self.clock.now();
        let mut operator = Operator::invite(client, email, role, acting.actor.clone(), now)?;
        let expect = match self.store.operator(client, &operator.email).await? {
            None => Precondition::New,
            Some(old) if old.is_active() => {
                return Err(Error::conflict(
                    "operator_exists",
                    "this email is already an operator of the tenant",
                ))
            }
            Some(old) => {
                operator.created_at = old.created_at;
                Precondition::UpdatedAt(old.updated_at)
            }
        };
        let audit = AuditEntry::new(
            client,
            acting.actor.clone(),
            AuditAction::OperatorInvited,
            operator.email.as_str(),
            Some(role.as_str().to_owned()),
            now,
        );
        if !self.store.save_operator(&operator, expect, &audit).await? {
            return Err(changed_meanwhile());
        }
        Ok(operator)
    }

    pub async fn change_role(
        &self,
        client: &ClientId,
        acting: &Acting,
        email: &str,
        role: OperatorRole,
    ) -> Result<Operator> {
        self.change(client, acting, email, |op| {
            let detail = format!("{} -> {}", op.role.as_str(), role.as_str());
            op.role = role;
            (AuditAction::OperatorRoleChanged, detail)
        })
        .await
    }

    pub async fn remove(
        &self,
        client: &ClientId,
        acting: &Acting,
        email: &str,
    ) -> Result<Operator> {
        self.change(client, acting, email, |op| {
            op.status = OperatorStatus::Removed;
            (AuditAction::OperatorRemoved, op.role.as_str().to_owned())
        })
        .await
    }

    /// One admin's change to an active operator. The tenant's last active
    /// admin stays one: nobody could invite anyone after it.
    async fn change(
        &self,
        client: &ClientId,
        acting: &Acting,
        email: &str,
        apply: impl FnOnce(&mut Operator) -> (AuditAction, String),
    ) -> Result<Operator> {
        acting.require(OperatorRole::Admin)?;
        let email = Email::parse(email)?;
        let old = match self.store.operator(client, &email).await? {
            Some(op) if op.is_active() => op,
            _ => return Err(not_found()),
        };
        let mut operator = old.clone();
        let (action, detail) = apply(&mut operator);
        let now = self.clock.now();
        operator.updated_at = now;
        if old.role == OperatorRole::Admin
            && !(operator.is_active() && operator.role == OperatorRole::Admin)
        {
            let admins = self
                .store
                .operators(client)
                .await?
                .into_iter()
                .filter(|o| o.is_active() && o.role == OperatorRole::Admin)
                .count();
            if admins <= 1 {
                return Err(Error::conflict(
                    "last_admin",
                    "the tenant's last admin can be neither removed nor demoted",
                ));
            }
        }
        let audit = AuditEntry::new(
            client,
            acting.actor.clone(),
            action,
            email.as_str(),
            Some(detail),
            now,
        );
        let expect = Precondition::UpdatedAt(old.updated_at);
        if !self.store.save_operator(&operator, expect, &audit).await? {
            return Err(changed_meanwhile());
        }
        Ok(operator)
    }

    /// The tenant's operators, newest first; removed ones are left out.
    pub async fn list(&self, client: &ClientId, acting: &Acting) -> Result<Vec<Operator>> {
        acting.require(OperatorRole::Viewer)?;
        let all = self.store.operators(client).await?;
        Ok(all.into_iter().filter(Operator::is_active).collect())
    }

    pub async fn audit_log(&self, client: &ClientId, acting: &Acting) -> Result<Vec<AuditEntry>> {
        acting.require(OperatorRole::Viewer)?;
        self.store.audit_log(client, AUDIT_PAGE).await
    }

    /// The active operator records of `email`, one per tenant: whom a
    /// console sign-in by this email may act as.
    pub async fn memberships(&self, email: &str) -> Result<Vec<Operator>> {
        let Ok(email) = Email::parse(email) else {
            return Ok(Vec::new());
        };
        let all = self.store.operators_by_email(&email).await?;
        Ok(all.into_iter().filter(Operator::is_active).collect())
    }
}
