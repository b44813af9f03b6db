//! Document text through Amazon Textract's `DetectDocumentText`: the lines
//! the MRZ parser reads. Locally the same call reaches the engine on
//! loopback (`AWS_ENDPOINT_URL_TEXTRACT`), which runs Tesseract.

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

impl DocumentReader for TextractDocuments {
    async fn read_lines(&self, image: &[u8]) -> Result<Vec<String>> {
        let out = self
            .client
            .detect_document_text()
            .document(Document::builder().bytes(Blob::new(image)).build())
            .send()
            .await
            .map_err(|e| match e.code() {
                Some("UnsupportedDocumentException" | "BadDocumentException") => {
                    Error::invalid("invalid_image", "the document image cannot be read")
                }
                _ => {
                    let detail = DisplayErrorContext(&e).to_string();
                    tracing::error!(error = %detail, "Textract call failed");
                    Error::Unavailable(detail.into())
                }
            })?;
        Ok(out
            .blocks()
            .iter()
            .filter(|b| b.block_type() == Some(&BlockType::Line))
            .filter_map(|b| b.text().map(str::to_string))
            .collect())
    }
}
