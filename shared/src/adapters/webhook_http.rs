//! POSTs webhook events. The SSRF guard sits in the resolver: every
//! address a host resolves to is checked when the connection is made, so a
//! name that resolved to a public address when the flow was saved and to
//! 169.254.169.254 now (DNS rebinding) is refused. No redirects are
//! followed and no proxy is used, so the checked address is the one reached.

use crate::domain::webhook::AddressPolicy;
use crate::ports::{PostFailure, WebhookTransport};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// A receiver gets this long to answer; a slow one is a failed attempt.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

struct VettedResolver {
    policy: AddressPolicy,
}

impl Resolve for VettedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            // One refused address refuses the host: which one the client
            // would try first is not ours to predict.
            if let Some(bad) = addrs.iter().find(|a| !policy.permits(a.ip())) {
                return Err(
                    Box::new(Refused(format!("{host} resolves to {}", bad.ip())))
                        as Box<dyn std::error::Error + Send + Sync>,
                );
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

#[derive(Clone)]
pub struct HttpWebhooks {
    client: reqwest::Client,
    policy: AddressPolicy,
}

impl HttpWebhooks {
    pub fn new(policy: AddressPolicy) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(VettedResolver { policy }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!policy.allow_loopback)
            .connect_timeout(Duration::from_secs(5))
            .timeout(DELIVERY_TIMEOUT)
            .build()?;
        Ok(Self { client, policy })
    }
}

/// The refusal in an error's chain, if the resolver refused.
fn refusal(err: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.0.clone());
        }
        source = e.source();
    }
    None
}

impl WebhookTransport for HttpWebhooks {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<u16, PostFailure> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| PostFailure::Unreachable(e.to_string()))?;
        // An address literal never reaches the resolver: check it here.
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| !self.policy.permits(*ip)) {
            return Err(PostFailure::AddressRefused(ip.to_string()));
        }
        let mut request = self.client.post(parsed).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) => Err(match refusal(&e) {
                Some(why) => PostFailure::AddressRefused(why),
                None if e.is_timeout() => PostFailure::Unreachable("timed out".into()),
                None => PostFailure::Unreachable(without_url(&e)),
            }),
        }
    }
}

/// The error without its URL, whose path or query may carry a token.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "the webhook");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}
