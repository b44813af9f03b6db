//! A Face Liveness session's result, read on the server (never taken from
//! the client): what onboarding's live-face check and face login both
//! judge.

use crate::error::{Error, Result};
use crate::ports::{FaceEngine, ImageStore, LivenessStatus};

/// The finished session: its confidence (`None` when the check failed) and
/// its reference frame.
pub(crate) struct LiveFrame {
    pub confidence: Option<f32>,
    pub reference: Option<Vec<u8>>,
    /// Where the service stored the frame, when it did.
    pub reference_key: Option<String>,
}

/// Reads the session; `not_found` and `expired` are the caller's own
/// errors for a session the service does not know and one that ran out.
pub(crate) async fn read_session<F: FaceEngine, I: ImageStore>(
    faces: &F,
    images: &I,
    session_id: &str,
    not_found: fn() -> Error,
    expired: fn() -> Error,
) -> Result<LiveFrame> {
    let result = faces
        .liveness_result(session_id)
        .await?
        .ok_or_else(not_found)?;
    let confidence = match result.status {
        LivenessStatus::Created | LivenessStatus::InProgress => {
            return Err(Error::conflict(
                "liveness_session_not_finished",
                "the liveness check of this session has not finished",
            ))
        }
        LivenessStatus::Expired => return Err(expired()),
        LivenessStatus::Failed => None,
        LivenessStatus::Succeeded => result.confidence,
    };
    let reference = match (result.reference_image, &result.reference_key) {
        (Some(bytes), _) => Some(bytes),
        (None, Some(key)) => images.get(key).await?,
        (None, None) => None,
    };
    Ok(LiveFrame {
        confidence,
        reference,
        reference_key: result.reference_key,
    })
}
