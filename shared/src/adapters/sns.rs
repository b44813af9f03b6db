//! SMS through SNS, always as Transactional (higher delivery priority).

use crate::domain::message::SmsMessage;
use crate::error::{Error, Result};
use crate::ports::SmsSender;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;

#[derive(Clone)]
pub struct SnsSmsSender {
    client: Client,
    sender_id: Option<String>,
}

impl SnsSmsSender {
    pub fn new(client: Client, sender_id: Option<String>) -> Self {
        Self { client, sender_id }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(Error::internal)
}

impl SmsSender for SnsSmsSender {
    #[tracing::instrument(skip_all)]
    async fn send_sms(&self, message: &SmsMessage) -> Result<()> {
        let mut request = self
            .client
            .publish()
            .phone_number(&message.to)
            .message(&message.text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?);
        if let Some(sender_id) = &self.sender_id {
            request =
                request.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(sender_id)?);
        }
        request.send().await.map_err(|e| {
            let detail = aws_sdk_sns::error::DisplayErrorContext(e).to_string();
            tracing::error!(error = %detail, "SNS publish failed");
            Error::Unavailable(detail.into())
        })?;
        Ok(())
    }
}
