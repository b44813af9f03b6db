//! The SDK's HTTPS client, trusting only the roots AWS endpoints chain to.
//!
//! The SDK's default client loads the system trust store when it is built:
//! on Debian that is one bundle plus 146 files of `/etc/ssl/certs`, which was
//! about two thirds of every function's cold init above the floor
//! (BENCHMARKS.md). Every endpoint a Gatehouse function calls (DynamoDB,
//! SES, SNS, Secrets Manager, Rekognition, Textract, S3) presents an Amazon
//! Trust Services chain, so five compiled-in roots are enough, parse in
//! microseconds and trust fewer CAs than the system store.
//!
//! `SSL_CERT_FILE`, when set, adds that PEM bundle: for an `https` endpoint
//! behind another CA (a proxy, a private emulator). Reading it is the only
//! file access this adds to init.

use crate::error::BoxError;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Root CA 1 to 4 and Starfield Services Root G2 (their cross-sign).
const AWS_ROOTS: &str = include_str!("aws-roots.pem");

/// The SDK default client (rustls with aws-lc, proxy settings from the
/// environment), with the trust store above.
pub fn client() -> Result<SharedHttpClient, BoxError> {
    let tls_context = TlsContext::builder()
        .with_trust_store(trust_store()?)
        .build()?;
    Ok(
        Builder::new().build_with_connector_fn(move |settings, components| {
            let mut connector = ConnectorBuilder::default()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::AwsLc,
                ))
                .tls_context(tls_context.clone());
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        }),
    )
}

fn trust_store() -> Result<TrustStore, BoxError> {
    let mut store = TrustStore::empty().with_pem_certificate(AWS_ROOTS.as_bytes());
    if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
        let pem = std::fs::read(&path)
            .map_err(|e| format!("SSL_CERT_FILE {}: {e}", path.to_string_lossy()))?;
        store.add_pem_certificate(pem);
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::AWS_ROOTS;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    /// rustls panics on a PEM it cannot parse when the first connection is
    /// made, so the bundle is parsed here the way it does.
    #[test]
    fn the_compiled_in_roots_are_five_parsable_certificates() {
        let certs = CertificateDer::pem_slice_iter(AWS_ROOTS.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("valid PEM");
        assert_eq!(certs.len(), 5);
        for name in ["Amazon Root CA 1", "Amazon Root CA 4", "Starfield Services"] {
            assert!(AWS_ROOTS.contains(name), "{name}");
        }
    }
}
