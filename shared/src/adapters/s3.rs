//! Identity images in the S3 bucket (SSE-KMS with the stack's own key).
//! Locally, moto's S3 (`AWS_ENDPOINT_URL_S3`).

use crate::error::{Error, Result};
use crate::ports::ImageStore;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier, ServerSideEncryption};
use aws_sdk_s3::Client;

#[derive(Clone)]
pub struct S3Images {
    client: Client,
    bucket: String,
    kms_key: Option<String>,
}

impl S3Images {
    pub fn new(client: Client, bucket: impl Into<String>, kms_key: Option<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            kms_key,
        }
    }
}

fn unavailable(operation: &'static str, detail: String) -> Error {
    tracing::error!(operation, error = %detail, "S3 call failed");
    Error::Unavailable(detail.into())
}

impl ImageStore for S3Images {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("image/jpeg")
            .body(ByteStream::from(bytes));
        if let Some(kms_key) = &self.kms_key {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms_key);
        }
        put.send()
            .await
            .map_err(|e| unavailable("PutObject", DisplayErrorContext(&e).to_string()))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.code() == Some("NoSuchKey") => return Ok(None),
            Err(e) => {
                return Err(unavailable(
                    "GetObject",
                    DisplayErrorContext(&e).to_string(),
                ))
            }
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| unavailable("GetObject", e.to_string()))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<usize> {
        let mut deleted = 0;
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| unavailable("ListObjectsV2", DisplayErrorContext(&e).to_string()))?;
            let keys: Vec<ObjectIdentifier> = page
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            if !keys.is_empty() {
                deleted += keys.len();
                let delete = Delete::builder()
                    .set_objects(Some(keys))
                    .quiet(true)
                    .build()
                    .map_err(Error::internal)?;
                self.client
                    .delete_objects()
                    .bucket(&self.bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| {
                        unavailable("DeleteObjects", DisplayErrorContext(&e).to_string())
                    })?;
            }
            match page.next_continuation_token() {
                Some(next) => token = Some(next.to_string()),
                None => return Ok(deleted),
            }
        }
    }
}
