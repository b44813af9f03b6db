//! The code-session service: every one-time code, for a sign-in and for a
//! registration's contact check alike, is charged against the abuse
//! limits, hashed, stored, delivered and checked here, so every code rule
//! is one piece of code.
//!
//! - [`send`]: start a session, re-send its codes.
//! - [`check`]: count the attempt first, then compare, then record.

mod check;
mod send;

pub use check::{CodeChecker, LoginRef, ValidateLogin, ValidatedLogin};
pub use send::{CodeSender, CreateLogin, SentLogin};

use crate::ports::CodePorts;

/// Both halves over one set of adapters: what a registration, or one of
/// Verifik's public validation forms, uses for its codes.
pub struct CodeSessions<P: CodePorts> {
    pub send: CodeSender<P>,
    pub check: CodeChecker<P::Sessions>,
}

impl<P: CodePorts> CodeSessions<P> {
    /// Replaces the default abuse limits of both halves.
    pub fn with_limits(self, limits: crate::domain::limits::AbuseLimits) -> Self {
        Self {
            send: self.send.with_limits(limits.clone()),
            check: self.check.with_limits(limits),
        }
    }
}
