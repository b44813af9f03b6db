//! Reads what moto "sent": the email and SMS a user would have received.

use serde_json::Value;

pub struct Moto {
    url: String,
    http: reqwest::Client,
}

impl Default for Moto {
    fn default() -> Self {
        Self::new()
    }
}

impl Moto {
    pub fn new() -> Self {
        Self {
            url: crate::stack_var("GATEHOUSE_MOTO_URL"),
            http: reqwest::Client::new(),
        }
    }

    async fn data(&self) -> Value {
        self.http
            .get(format!("{}/moto-api/data.json", self.url))
            .send()
            .await
            .expect("moto answers")
            .json()
            .await
            .expect("moto data is JSON")
    }

    /// Every email sent to `to`, oldest first, as (subject, body).
    pub async fn emails_to(&self, to: &str) -> Vec<(String, String)> {
        let data = self.data().await;
        data["ses"]["Message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["destinations"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|d| d.as_str() == Some(to)))
            })
            .map(|m| {
                (
                    m["subject"].as_str().unwrap_or_default().to_string(),
                    m["body"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The latest code emailed to each recipient, in one read of the
    /// outbox (for runs that send thousands).
    pub async fn latest_email_codes(&self) -> std::collections::HashMap<String, String> {
        let data = self.data().await;
        let mut codes = std::collections::HashMap::new();
        for message in data["ses"]["Message"].as_array().into_iter().flatten() {
            let code = message["subject"].as_str().and_then(first_code);
            let to = message["destinations"]["ToAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str);
            if let Some(code) = code {
                for to in to {
                    codes.insert(to.to_string(), code.clone());
                }
            }
        }
        codes
    }

    /// Every SMS text sent to `e164`, oldest first.
    pub async fn sms_to(&self, e164: &str) -> Vec<String> {
        let data = self.data().await;
        data["sns"]["SMS"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["phone_number"].as_str() == Some(e164))
            .map(|m| m["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The code in the latest email to `to`.
    pub async fn latest_email_code(&self, to: &str) -> String {
        let emails = self.emails_to(to).await;
        let (subject, body) = emails
            .last()
            .unwrap_or_else(|| panic!("no email was sent to {to}"));
        let code = first_code(subject).expect("the subject carries the code");
        assert!(body.contains(&code), "the body carries the same code");
        code
    }

    /// The code in the latest SMS to `e164`.
    pub async fn latest_sms_code(&self, e164: &str) -> String {
        let texts = self.sms_to(e164).await;
        let text = texts
            .last()
            .unwrap_or_else(|| panic!("no SMS was sent to {e164}"));
        first_code(text).expect("the SMS carries the code")
    }
}

/// The first run of exactly six digits.
pub fn first_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return Some(text[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    None
}
