//! Identifiers. New ids are ULIDs: unique without coordination, and sortable
//! by creation time.

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
