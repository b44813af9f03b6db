//! Faces through Amazon Rekognition: detection, compare, the project's
//! collection (users and faces) and Face Liveness sessions. Locally the
//! same calls reach the face engine on loopback (`AWS_ENDPOINT_URL_REKOGNITION`).

use crate::domain::identity::DetectedFace;
use crate::error::{Error, Result};
use crate::ports::{FaceEngine, LivenessOutput, LivenessResult, LivenessStatus, UserMatch};
use aws_sdk_rekognition::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::{
    CreateFaceLivenessSessionRequestSettings, Image, LivenessOutputConfig, LivenessSessionStatus,
    QualityFilter,
};
use aws_sdk_rekognition::Client;

#[derive(Clone)]
pub struct RekognitionFaces {
    client: Client,
    /// The key liveness output images are encrypted with.
    kms_key: Option<String>,
}

impl RekognitionFaces {
    pub fn new(client: Client, kms_key: Option<String>) -> Self {
        Self { client, kms_key }
    }
}

fn image(bytes: &[u8]) -> Image {
    Image::builder().bytes(Blob::new(bytes)).build()
}

/// The error as the service's own, logged as a failure.
fn failed<E>(operation: &'static str, error: E) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error.code() {
        Some("InvalidImageFormatException") => Error::invalid(
            "invalid_image",
            "the image is not a JPEG or PNG the engine can read",
        ),
        Some("ImageTooLargeException") => Error::TooLarge {
            code: "image_too_large",
            message: "the image is too large".into(),
        },
        _ => {
            let detail = DisplayErrorContext(&error).to_string();
            tracing::error!(operation, error = %detail, "Rekognition call failed");
            Error::Unavailable(detail.into())
        }
    }
}

/// `Ok` when the error is the `expected` one, which the caller answers
/// itself (no collection yet, no face in a picture, a collection that
/// exists already) and which is therefore not logged as a failure; any
/// other error as `failed` maps it.
fn unless<E>(operation: &'static str, error: E, expected: &str) -> Result<()>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if error.code() == Some(expected) {
        return Ok(());
    }
    Err(failed(operation, error))
}

fn detected(detail: &aws_sdk_rekognition::types::FaceDetail) -> Option<DetectedFace> {
    let b = detail.bounding_box()?;
    Some(DetectedFace {
        left: b.left()?,
        top: b.top()?,
        width: b.width()?,
        height: b.height()?,
        confidence: detail.confidence().unwrap_or(0.0),
    })
}

impl FaceEngine for RekognitionFaces {
    async fn detect_faces(&self, bytes: &[u8]) -> Result<Vec<DetectedFace>> {
        let out = self
            .client
            .detect_faces()
            .image(image(bytes))
            .send()
            .await
            .map_err(|e| failed("DetectFaces", e))?;
        Ok(out.face_details().iter().filter_map(detected).collect())
    }

    async fn compare(&self, source: &[u8], target: &[u8]) -> Result<Option<f32>> {
        let out = match self
            .client
            .compare_faces()
            .source_image(image(source))
            .target_image(image(target))
            .similarity_threshold(0.0)
            .send()
            .await
        {
            Ok(out) => out,
            // No face in one of the images.
            Err(e) => {
                unless("CompareFaces", e, "InvalidParameterException")?;
                return Ok(None);
            }
        };
        Ok(out
            .face_matches()
            .iter()
            .filter_map(|m| m.similarity())
            .reduce(f32::max))
    }

    async fn search_users(
        &self,
        collection: &str,
        bytes: &[u8],
        threshold: f32,
    ) -> Result<Vec<UserMatch>> {
        let out = match self
            .client
            .search_users_by_image()
            .collection_id(collection)
            .image(image(bytes))
            .user_match_threshold(threshold)
            .max_users(5)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                // No collection yet: nobody is enrolled.
                unless("SearchUsersByImage", e, "ResourceNotFoundException")?;
                return Ok(Vec::new());
            }
        };
        Ok(out
            .user_matches()
            .iter()
            .filter_map(|m| {
                Some(UserMatch {
                    user_id: m.user()?.user_id()?.to_string(),
                    similarity: m.similarity()?,
                })
            })
            .collect())
    }

    async fn enroll(
        &self,
        collection: &str,
        user_id: &str,
        bytes: &[u8],
        external_id: &str,
    ) -> Result<Vec<String>> {
        if let Err(e) = self
            .client
            .create_collection()
            .collection_id(collection)
            .send()
            .await
        {
            unless("CreateCollection", e, "ResourceAlreadyExistsException")?;
        }
        let indexed = self
            .client
            .index_faces()
            .collection_id(collection)
            .image(image(bytes))
            .external_image_id(external_id)
            .max_faces(1)
            .quality_filter(QualityFilter::Auto)
            .send()
            .await
            .map_err(|e| failed("IndexFaces", e))?;
        let face_ids: Vec<String> = indexed
            .face_records()
            .iter()
            .filter_map(|r| r.face()?.face_id().map(str::to_string))
            .collect();
        if face_ids.is_empty() {
            return Err(Error::invalid(
                "no_face",
                "no face of usable quality to enrol",
            ));
        }
        if let Err(e) = self
            .client
            .create_user()
            .collection_id(collection)
            .user_id(user_id)
            .send()
            .await
        {
            unless("CreateUser", e, "ConflictException")?;
        }
        self.client
            .associate_faces()
            .collection_id(collection)
            .user_id(user_id)
            .set_face_ids(Some(face_ids.clone()))
            .send()
            .await
            .map_err(|e| failed("AssociateFaces", e))?;
        Ok(face_ids)
    }

    async fn forget(&self, collection: &str, user_id: &str, face_ids: &[String]) -> Result<()> {
        if let Err(e) = self
            .client
            .delete_user()
            .collection_id(collection)
            .user_id(user_id)
            .send()
            .await
        {
            unless("DeleteUser", e, "ResourceNotFoundException")?;
        }
        if face_ids.is_empty() {
            return Ok(());
        }
        if let Err(e) = self
            .client
            .delete_faces()
            .collection_id(collection)
            .set_face_ids(Some(face_ids.to_vec()))
            .send()
            .await
        {
            unless("DeleteFaces", e, "ResourceNotFoundException")?;
        }
        Ok(())
    }

    async fn start_liveness(&self, output: &LivenessOutput) -> Result<String> {
        let config = LivenessOutputConfig::builder()
            .s3_bucket(&output.bucket)
            .s3_key_prefix(&output.key_prefix)
            .build()
            .map_err(Error::internal)?;
        let out = self
            .client
            .create_face_liveness_session()
            .set_kms_key_id(self.kms_key.clone())
            .settings(
                CreateFaceLivenessSessionRequestSettings::builder()
                    .output_config(config)
                    .audit_images_limit(0)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| failed("CreateFaceLivenessSession", e))?;
        Ok(out.session_id().to_string())
    }

    async fn liveness_result(&self, session_id: &str) -> Result<Option<LivenessResult>> {
        let out = match self
            .client
            .get_face_liveness_session_results()
            .session_id(session_id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                unless(
                    "GetFaceLivenessSessionResults",
                    e,
                    "SessionNotFoundException",
                )?;
                return Ok(None);
            }
        };
        let status = match out.status() {
            LivenessSessionStatus::Created => LivenessStatus::Created,
            LivenessSessionStatus::InProgress => LivenessStatus::InProgress,
            LivenessSessionStatus::Succeeded => LivenessStatus::Succeeded,
            LivenessSessionStatus::Expired => LivenessStatus::Expired,
            _ => LivenessStatus::Failed,
        };
        let reference = out.reference_image();
        Ok(Some(LivenessResult {
            status,
            confidence: out.confidence(),
            reference_image: reference
                .and_then(|r| r.bytes())
                .map(|b| b.as_ref().to_vec()),
            reference_key: reference
                .and_then(|r| r.s3_object())
                .and_then(|o| o.name())
                .map(str::to_string),
        }))
    }
}
