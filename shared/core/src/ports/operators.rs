//! Operators and the audit log (domain::operator).

use crate::domain::console::ConsoleSession;
use crate::domain::operator::{AuditEntry, Operator};
use crate::domain::{ClientId, Email};
use crate::error::Result;
use crate::ports::Precondition;
use std::future::Future;

pub trait OperatorStore: Send + Sync + 'static {
    /// The tenant's operator with this email, removed ones included.
    fn operator(
        &self,
        client: &ClientId,
        email: &Email,
    ) -> impl Future<Output = Result<Option<Operator>>> + Send;
    /// Every tenant's record of this email: an operator may serve several
    /// tenants, and signs in before choosing one.
    fn operators_by_email(
        &self,
        email: &Email,
    ) -> impl Future<Output = Result<Vec<Operator>>> + Send;
    /// The tenant's operators, newest first.
    fn operators(&self, client: &ClientId) -> impl Future<Output = Result<Vec<Operator>>> + Send;
    /// Writes the operator and its audit entry together, or neither. False
    /// when `expect` did not hold.
    fn save_operator(
        &self,
        operator: &Operator,
        expect: Precondition,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The tenant's audit log, newest first, at most `limit` entries.
    fn audit_log(
        &self,
        client: &ClientId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
}

/// Console sessions, by the SHA-256 of the cookie's token.
pub trait ConsoleSessionStore: Send + Sync + 'static {
    /// Stores a new session; it is swept after `expires_at` (and refused
    /// in code before the sweep).
    fn save_session(&self, session: &ConsoleSession) -> impl Future<Output = Result<()>> + Send;
    fn session(&self, id: &str) -> impl Future<Output = Result<Option<ConsoleSession>>> + Send;
    fn delete_session(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
}
