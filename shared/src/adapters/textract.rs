//! Documents through Amazon Textract: `DetectDocumentText` for the lines the
//! MRZ parser reads, and `AnalyzeID` for the printed fields of US documents
//! without a zone. Locally the same calls reach the engine on loopback
//! (`AWS_ENDPOINT_URL_TEXTRACT`), which runs Tesseract.

use crate::domain::identity::IdField;
use crate::error::{Error, Result};
use crate::ports::DocumentReader;
use aws_sdk_textract::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_textract::primitives::Blob;
use aws_sdk_textract::types::{BlockType, Document};
use aws_sdk_textract::Client;

#[derive(Clone)]
pub struct TextractDocuments {
    client: Client,
}

impl TextractDocuments {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn failed<E>(operation: &'static str, error: E) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error.code() {
        // The page's own fault: a 400, never the outage a 503 means.
        Some("UnsupportedDocumentException" | "BadDocumentException") => {
            Error::invalid("invalid_image", "the document image cannot be read")
        }
        Some("DocumentTooLargeException") => Error::invalid(
            "invalid_image",
            "the document image is too large for the reader",
        ),
        _ => {
            let detail = DisplayErrorContext(&error).to_string();
            tracing::error!(operation, error = %detail, "Textract call failed");
            Error::Unavailable(detail.into())
        }
    }
}

fn document(image: &[u8]) -> Document {
    Document::builder().bytes(Blob::new(image)).build()
}

impl DocumentReader for TextractDocuments {
    async fn read_lines(&self, image: &[u8]) -> Result<Vec<String>> {
        let out = self
            .client
            .detect_document_text()
            .document(document(image))
            .send()
            .await
            .map_err(|e| failed("DetectDocumentText", e))?;
        Ok(out
            .blocks()
            .iter()
            .filter(|b| b.block_type() == Some(&BlockType::Line))
            .filter_map(|b| b.text().map(str::to_string))
            .collect())
    }

    async fn read_id_fields(&self, image: &[u8]) -> Result<Vec<IdField>> {
        let out = self
            .client
            .analyze_id()
            .document_pages(document(image))
            .send()
            .await
            .map_err(|e| failed("AnalyzeID", e))?;
        Ok(out
            .identity_documents()
            .iter()
            .take(1)
            .flat_map(|d| d.identity_document_fields())
            .filter_map(|f| {
                let value = f.value_detection()?;
                Some(IdField {
                    name: f.r#type()?.text().to_string(),
                    text: value.text().to_string(),
                    normalized: value
                        .normalized_value()
                        .and_then(|n| n.value())
                        .map(str::to_string),
                })
            })
            .collect())
    }
}
