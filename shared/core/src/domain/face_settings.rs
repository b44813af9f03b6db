//! `loginSettings.faceLiveness`: the thresholds of face sign-in, a value
//! that a flow holds and the face checks read. It imports nothing of the
//! domain, so the flow and the login can both depend on it.

use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize};

/// `loginSettings.faceLiveness`: face sign-in on this flow. `true` takes
/// the defaults; `false` or absent turns it off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaceLoginSettings {
    /// The liveness session's confidence must reach this (0-100).
    pub liveness_min_score: f32,
    /// The enrolled face must match at this similarity or above (0-100).
    pub search_min_score: f32,
    /// And lead the next user in the collection by this many points, so
    /// that a look-alike enrolled under another identifier never signs in
    /// as either of them.
    pub search_margin: f32,
}

impl Default for FaceLoginSettings {
    fn default() -> Self {
        Self {
            liveness_min_score: 80.0,
            search_min_score: 95.0,
            search_margin: 5.0,
        }
    }
}

impl FaceLoginSettings {
    pub fn validate(&self) -> Result<()> {
        let invalid = |message: &str| Error::invalid("invalid_login_settings", message.to_string());
        if !(50.0..=100.0).contains(&self.liveness_min_score) {
            return Err(invalid(
                "faceLiveness.livenessMinScore must be between 50 and 100",
            ));
        }
        if !(80.0..=100.0).contains(&self.search_min_score) {
            return Err(invalid(
                "faceLiveness.searchMinScore must be between 80 and 100",
            ));
        }
        if !(0.0..=50.0).contains(&self.search_margin) {
            return Err(invalid(
                "faceLiveness.searchMargin must be between 0 and 50",
            ));
        }
        Ok(())
    }
}

/// Reads `faceLiveness` as Verifik's boolean or as our settings object.
pub fn face_liveness_setting<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<FaceLoginSettings>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Switch(bool),
        Settings(FaceLoginSettings),
    }
    Ok(match Option::<Given>::deserialize(deserializer)? {
        None | Some(Given::Switch(false)) => None,
        Some(Given::Switch(true)) => Some(FaceLoginSettings::default()),
        Some(Given::Settings(settings)) => Some(settings),
    })
}
