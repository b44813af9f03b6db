//! What identity verification needs from outside: a face engine
//! (Rekognition), a document reader (Textract) and an image store (S3).

use super::Ports;
use crate::domain::identity::{DetectedFace, IdField};
use crate::error::Result;
use std::future::Future;

/// The identity adapters, beside the registration ones.
pub trait IdentityPorts: Ports {
    type Faces: FaceEngine;
    type Documents: DocumentReader;
    type Images: ImageStore;
}

/// A collection user that matched a searched face.
#[derive(Clone, Debug, PartialEq)]
pub struct UserMatch {
    pub user_id: String,
    pub similarity: f32,
}

/// Where the liveness service writes its reference and audit images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LivenessOutput {
    pub bucket: String,
    pub key_prefix: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LivenessStatus {
    Created,
    InProgress,
    Succeeded,
    Failed,
    Expired,
}

/// A liveness session's result, read on the server only.
#[derive(Clone, Debug)]
pub struct LivenessResult {
    pub status: LivenessStatus,
    pub confidence: Option<f32>,
    /// The reference frame's bytes, when the check ran.
    pub reference_image: Option<Vec<u8>>,
    /// Where the service stored the reference frame, when it did.
    pub reference_key: Option<String>,
}

pub trait FaceEngine: Send + Sync + 'static {
    /// Every face in the image, largest first.
    fn detect_faces(&self, image: &[u8]) -> impl Future<Output = Result<Vec<DetectedFace>>> + Send;

    /// The similarity (0-100) of the best face in `target` to the largest
    /// face in `source`; `None` when `target` has no face.
    fn compare(
        &self,
        source: &[u8],
        target: &[u8],
    ) -> impl Future<Output = Result<Option<f32>>> + Send;

    /// Users in the collection whose faces match the largest face in the
    /// image at `threshold` or above, best first. A collection that does
    /// not exist yet has no users.
    fn search_users(
        &self,
        collection: &str,
        image: &[u8],
        threshold: f32,
    ) -> impl Future<Output = Result<Vec<UserMatch>>> + Send;

    /// Creates the collection if needed, indexes the image's largest face
    /// and associates it with `user_id` (created if needed). Returns the
    /// indexed face ids.
    fn enroll(
        &self,
        collection: &str,
        user_id: &str,
        image: &[u8],
        external_id: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// Deletes the user and its faces. Missing ones are not an error.
    fn forget(
        &self,
        collection: &str,
        user_id: &str,
        face_ids: &[String],
    ) -> impl Future<Output = Result<()>> + Send;

    fn start_liveness(
        &self,
        output: &LivenessOutput,
    ) -> impl Future<Output = Result<String>> + Send;

    /// The session's result; `Ok(None)` for a session the service does not
    /// know.
    fn liveness_result(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<Option<LivenessResult>>> + Send;
}

pub trait DocumentReader: Send + Sync + 'static {
    /// The text lines of a document image, in reading order.
    fn read_lines(&self, image: &[u8]) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// The identity fields of a US document without a machine-readable
    /// zone (a driver's licence, a state ID card).
    fn read_id_fields(&self, image: &[u8]) -> impl Future<Output = Result<Vec<IdField>>> + Send;
}

pub trait ImageStore: Send + Sync + 'static {
    fn put(&self, key: &str, bytes: Vec<u8>) -> impl Future<Output = Result<()>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>>> + Send;
    /// Deletes every object under `prefix`; returns how many.
    fn delete_prefix(&self, prefix: &str) -> impl Future<Output = Result<usize>> + Send;
}
