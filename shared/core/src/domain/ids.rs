//! Identifiers. New ids are ULIDs: unique without coordination, and sortable
//! by creation time.

use crate::error::{codes, Error, Result};
use serde::{Deserialize, Serialize};

pub fn new_id() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

/// The tenant: every read and write is scoped to one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub String);

impl ClientId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Ids arrive in paths and bodies; anything that is not a plausible id is
/// rejected before it reaches storage.
pub fn is_plausible_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The records an id from a path or body may name. Each kind carries the
/// one not-found error a caller sees for it, whether the id is malformed,
/// missing, or another tenant's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    Login,
    Registration,
    Project,
    Flow,
}

impl Record {
    pub fn not_found(self) -> Error {
        match self {
            Record::Login => Error::not_found(codes::LOGIN_NOT_FOUND, "Record not found."),
            Record::Registration => {
                Error::not_found(codes::REGISTRATION_NOT_FOUND, "Record not found.")
            }
            Record::Project => Error::not_found(codes::PROJECT_NOT_FOUND, "project not found"),
            Record::Flow => Error::not_found(codes::FLOW_NOT_FOUND, "projectFlow not found"),
        }
    }

    /// `id`, if it could name a record of this kind; otherwise the kind's
    /// not-found error, before any read.
    pub fn id(self, id: &str) -> Result<&str> {
        if is_plausible_id(id) {
            Ok(id)
        } else {
            Err(self.not_found())
        }
    }
}
