//! Email through SES v2.

use crate::domain::message::EmailMessage;
use crate::error::{Error, Result};
use crate::ports::EmailSender;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

#[derive(Clone)]
pub struct SesEmailSender {
    client: Client,
    from: String,
}

impl SesEmailSender {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }
}

fn utf8(data: &str) -> Result<Content> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(Error::internal)
}

impl EmailSender for SesEmailSender {
    #[tracing::instrument(skip_all)]
    async fn send_email(&self, message: &EmailMessage) -> Result<()> {
        let content = EmailContent::builder()
            .simple(
                Message::builder()
                    .subject(utf8(&message.subject)?)
                    .body(
                        Body::builder()
                            .text(utf8(&message.text)?)
                            .html(utf8(&message.html)?)
                            .build(),
                    )
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&message.to).build())
            .content(content)
            .send()
            .await
            .map_err(|e| {
                let detail = aws_sdk_sesv2::error::DisplayErrorContext(e).to_string();
                tracing::error!(error = %detail, "SES send failed");
                Error::Unavailable(detail.into())
            })?;
        Ok(())
    }
}
