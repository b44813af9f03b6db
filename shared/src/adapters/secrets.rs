//! AWS Secrets Manager: the secrets a function was given, fetched once per
//! container at init. Locally the same calls reach moto's Secrets Manager.

use crate::error::BoxError;
use crate::settings::{SecretName, Secrets};
use aws_sdk_secretsmanager::Client;

/// Every secret whose `<name>_SECRET` variable is set, fetched at once. A
/// function is given only the variables (and IAM rights) it uses.
pub async fn fetch_named(config: &aws_config::SdkConfig) -> Result<Secrets, BoxError> {
    let named: Vec<(SecretName, String)> = SecretName::ALL
        .into_iter()
        .filter_map(|name| name.secret_id().map(|id| (name, id)))
        .collect();
    let mut secrets = Secrets::default();
    if named.is_empty() {
        return Ok(secrets);
    }
    let client = Client::new(config);
    let fetches: Vec<_> = named
        .into_iter()
        .map(|(name, id)| {
            let client = client.clone();
            tokio::spawn(async move { (name, fetch(&client, &id).await) })
        })
        .collect();
    for fetch in fetches {
        let (name, value) = fetch.await?;
        secrets.insert(
            name,
            value.map_err(|e| format!("{}: {e}", name.variable()))?,
        );
    }
    Ok(secrets)
}

async fn fetch(client: &Client, secret_id: &str) -> Result<String, BoxError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| format!("reading secret {secret_id:?}: {}", error_chain(&e)))?;
    out.secret_string
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("secret {secret_id:?} has no text value").into())
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
