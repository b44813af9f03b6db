//! What a client may set on its projects and flows through the API, and
//! the checks that reject nonsense before anything is stored.

use super::contact::Email;
use super::flow::{
    Branding, FlowSecurity, FlowStatus, FlowType, LoginSettings, Project, ProjectFlow,
};
use super::ids::new_id;
use super::onboarding::OnboardingSettings;
use super::time::Timestamp;
use super::webhook::{new_secret, webhook_url, AddressPolicy};
use crate::error::{codes, Error, Result};
use serde::{Deserialize, Serialize};

/// The body of create and update for `/v2/projects`: every field optional
/// (update changes only what is given); unknown fields are refused.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectFields {
    pub name: Option<String>,
    pub allowed_countries: Option<Vec<String>>,
    pub contact_email: Option<String>,
    pub privacy_url: Option<String>,
    pub terms_url: Option<String>,
    pub branding: Option<Branding>,
    pub allowed_origins: Option<Vec<String>>,
}

/// The body of create and update for `/v2/project-flows`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowFields {
    pub name: Option<String>,
    /// Create only.
    pub project: Option<String>,
    /// Create only.
    #[serde(rename = "type")]
    pub flow_type: Option<FlowType>,
    pub status: Option<FlowStatus>,
    pub redirect_url: Option<String>,
    pub redirect_mode: Option<super::authorization::RedirectMode>,
    pub allowed_countries: Option<Vec<String>>,
    pub login_settings: Option<LoginSettings>,
    pub onboarding_settings: Option<OnboardingSettings>,
    pub security: Option<FlowSecurity>,
    /// An https URL for the flow's events; `""` removes the webhook.
    pub webhook_url: Option<String>,
    /// `true` replaces the signing secret; the old one stops at once.
    pub rotate_webhook_secret: Option<bool>,
}

/// What an API key may do.
/// - `runtime`: App Logins and App Registrations, what a customer's backend
///   needs to sign people in and up;
/// - `admin`: that, and projects, flows and API keys.
///
/// Keys stored before scopes existed have none and are `admin`: they were
/// the tenant's first keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyScope {
    #[default]
    Runtime,
    Admin,
}

impl KeyScope {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyScope::Runtime => "runtime",
            KeyScope::Admin => "admin",
        }
    }

    /// A stored key's scope; a key stored before scopes existed has none
    /// and is `admin` (it was a tenant's first key).
    pub fn stored(value: Option<&str>) -> Option<Self> {
        value.map_or(Some(KeyScope::Admin), Self::parse)
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "runtime" => Some(KeyScope::Runtime),
            "admin" => Some(KeyScope::Admin),
            _ => None,
        }
    }
}

/// The tenant and scope an active API key grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyGrant {
    pub client: super::ClientId,
    pub scope: KeyScope,
}

/// `POST /v2/api-keys`: `{"scope": "runtime" | "admin", "name": "..."}`,
/// runtime when absent; the name is the operator's label for the key.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[serde(default)]
    pub scope: KeyScope,
    #[serde(default)]
    pub name: Option<String>,
}

impl NewApiKey {
    /// The label, trimmed: 1 to 120 characters, none of them control ones.
    pub fn label(&self) -> Result<Option<String>> {
        let Some(raw) = &self.name else {
            return Ok(None);
        };
        let label = name(raw, "name")?;
        if label.chars().any(char::is_control) {
            return Err(Error::invalid(
                codes::INVALID_PARAMETER,
                "name must not hold control characters",
            ));
        }
        Ok(Some(label))
    }
}

/// An API key as listed: never the key, only its first characters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub scope: KeyScope,
    pub status: String,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

fn name(value: &str, field: &'static str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 120 {
        return Err(Error::invalid(
            codes::INVALID_PARAMETER,
            format!("{field} must be 1 to 120 characters"),
        ));
    }
    Ok(trimmed.to_string())
}

/// An absolute https URL (http only for localhost, for development).
pub fn https_url(value: &str, field: &'static str) -> Result<String> {
    let bad = || {
        Error::invalid(
            "invalid_url",
            format!("{field} must be an absolute https URL"),
        )
    };
    let url = url::Url::parse(value.trim()).map_err(|_| bad())?;
    let local = matches!(url.host_str(), Some("localhost") | Some("127.0.0.1"));
    let ok = url.scheme() == "https" || (url.scheme() == "http" && local);
    if !ok || url.host_str().is_none() || value.len() > 2048 {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// A flow's way back, which the hosted pages match exactly: an absolute
/// https URL (http only on loopback: `localhost`, 127.0.0.0/8, `[::1]`),
/// with no credentials and no fragment (RFC 6749 §3.1.2).
pub fn redirect_url(value: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid("invalid_url", format!("redirectUrl {why}"));
    if value.len() > 2048 {
        return Err(bad("must be at most 2048 characters"));
    }
    let url = url::Url::parse(value.trim()).map_err(|_| bad("must be an absolute https URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials (user:password@)"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a fragment (#...)"));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(bad("must name a host")),
    };
    if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
        return Err(bad("must be an absolute https URL (http only on loopback)"));
    }
    Ok(url.to_string())
}

fn colour(value: &Option<String>, field: &'static str) -> Result<()> {
    match value {
        Some(c)
            if !(c.starts_with('#')
                && matches!(c.len(), 4 | 7)
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit())) =>
        {
            Err(Error::invalid(
                "invalid_colour",
                format!("branding.{field} must be a hex colour like #14AE5C"),
            ))
        }
        _ => Ok(()),
    }
}

/// ISO 3166 alpha-2 codes that libphonenumber knows, uppercased.
pub fn countries(values: &[String]) -> Result<Vec<String>> {
    if values.len() > 250 {
        return Err(Error::invalid(
            "invalid_country",
            "too many allowedCountries",
        ));
    }
    values
        .iter()
        .map(|c| {
            let code = c.trim().to_uppercase();
            code.parse::<phonenumber::country::Id>()
                .map(|_| code.clone())
                .map_err(|_| {
                    Error::invalid(
                        "invalid_country",
                        format!("allowedCountries: {c:?} is not an ISO 3166 alpha-2 code"),
                    )
                })
        })
        .collect()
}

fn branding(b: &Branding) -> Result<Branding> {
    colour(&b.button_color, "buttonColor")?;
    colour(&b.button_text_color, "buttonTextColor")?;
    Ok(Branding {
        logo: b
            .logo
            .as_deref()
            .map(|l| https_url(l, "branding.logo"))
            .transpose()?,
        ..b.clone()
    })
}

/// Exact browser origins, at most 20.
fn origins(list: &[String]) -> Result<Vec<String>> {
    if list.len() > 20 {
        return Err(Error::invalid(
            "invalid_origin",
            "allowedOrigins has more than 20 entries",
        ));
    }
    list.iter()
        .map(|o| {
            super::flow::web_origin(o.trim()).ok_or_else(|| {
                Error::invalid(
                    "invalid_origin",
                    format!("allowedOrigins: {o:?} is not an origin such as https://app.example.com (https, or http for localhost; no path or wildcard)"),
                )
            })
        })
        .collect()
}

/// Lowercased emails, `@domain`s or E.164 phones, at most 1,000 a list.
fn security(s: &FlowSecurity) -> Result<FlowSecurity> {
    let clean = |list: &[String], field: &str| -> Result<Vec<String>> {
        if list.len() > 1000 {
            return Err(Error::invalid(
                "invalid_security",
                format!("security.{field} has more than 1000 entries"),
            ));
        }
        list.iter()
            .map(|entry| {
                let e = entry.trim().to_lowercase();
                // Stored in the canonical form the checks compare with.
                let canonical = if let Some(domain) = e.strip_prefix('@') {
                    Email::parse(&format!("x@{domain}"))
                        .ok()
                        .map(|x| x.as_str()[1..].to_string())
                } else if e.starts_with('+') {
                    phonenumber::parse(None, &e)
                        .ok()
                        .filter(phonenumber::is_valid)
                        .map(|n| n.format().mode(phonenumber::Mode::E164).to_string())
                } else {
                    Email::parse(&e).ok().map(|x| x.as_str().to_string())
                };
                canonical.ok_or_else(|| {
                    Error::invalid(
                        "invalid_security",
                        format!(
                            "security.{field}: {entry:?} is not an email, @domain or E.164 phone"
                        ),
                    )
                })
            })
            .collect()
    };
    Ok(FlowSecurity {
        allow_list: clean(&s.allow_list, "allowList")?,
        deny_list: clean(&s.deny_list, "denyList")?,
    })
}

impl ProjectFields {
    pub fn create(self, client: &str, now: Timestamp) -> Result<Project> {
        let Some(project_name) = self.name.clone() else {
            return Err(Error::MissingParameters(vec!["name".into()]));
        };
        let mut project = Project {
            id: new_id(),
            client: client.to_string(),
            name: name(&project_name, "name")?,
            allowed_countries: vec![],
            contact_email: None,
            privacy_url: None,
            terms_url: None,
            branding: Branding::default(),
            allowed_origins: vec![],
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        self.apply(&mut project, now)?;
        Ok(project)
    }

    /// Checks every given field, then changes them on `project`.
    pub fn apply(self, project: &mut Project, now: Timestamp) -> Result<()> {
        if let Some(n) = &self.name {
            project.name = name(n, "name")?;
        }
        if let Some(c) = &self.allowed_countries {
            project.allowed_countries = countries(c)?;
        }
        if let Some(e) = &self.contact_email {
            project.contact_email = Some(Email::parse(e)?.as_str().to_string());
        }
        if let Some(u) = &self.privacy_url {
            project.privacy_url = Some(https_url(u, "privacyUrl")?);
        }
        if let Some(u) = &self.terms_url {
            project.terms_url = Some(https_url(u, "termsUrl")?);
        }
        if let Some(b) = &self.branding {
            project.branding = branding(b)?;
        }
        if let Some(o) = &self.allowed_origins {
            project.allowed_origins = origins(o)?;
        }
        project.updated_at = now;
        Ok(())
    }
}

impl FlowFields {
    /// A new flow of `project` (checked by the caller to be the client's).
    pub fn create(
        self,
        project: &Project,
        now: Timestamp,
        webhooks: AddressPolicy,
    ) -> Result<ProjectFlow> {
        let mut missing = Vec::new();
        if self.name.is_none() {
            missing.push("name".to_string());
        }
        if self.flow_type.is_none() {
            missing.push("type".to_string());
        }
        if !missing.is_empty() {
            return Err(Error::MissingParameters(missing));
        }
        let mut flow = ProjectFlow {
            id: new_id(),
            client: project.client.clone(),
            project: project.id.clone(),
            name: String::new(),
            flow_type: self.flow_type.unwrap_or(FlowType::Login),
            status: FlowStatus::Draft,
            redirect_url: None,
            redirect_mode: Default::default(),
            allowed_countries: vec![],
            login_settings: LoginSettings::default(),
            onboarding_settings: OnboardingSettings::default(),
            security: FlowSecurity::default(),
            webhook_url: None,
            webhook_secret: None,
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        FlowFields {
            project: None,
            flow_type: None,
            ..self
        }
        .apply(&mut flow, now, webhooks)?;
        Ok(flow)
    }

    /// Checks every given field, then changes them on `flow`. The project
    /// and type of a flow never change.
    pub fn apply(
        self,
        flow: &mut ProjectFlow,
        now: Timestamp,
        webhooks: AddressPolicy,
    ) -> Result<()> {
        if self.project.is_some() || self.flow_type.is_some() {
            return Err(Error::invalid(
                "immutable_field",
                "a flow's project and type are set when it is created and never change",
            ));
        }
        if let Some(n) = &self.name {
            flow.name = name(n, "name")?;
        }
        if let Some(s) = self.status {
            flow.status = s;
        }
        if let Some(u) = &self.redirect_url {
            flow.redirect_url = Some(redirect_url(u)?);
        }
        if let Some(m) = self.redirect_mode {
            flow.redirect_mode = m;
        }
        if let Some(c) = &self.allowed_countries {
            flow.allowed_countries = countries(c)?;
        }
        if let Some(l) = self.login_settings {
            l.validate()?;
            flow.login_settings = l;
        }
        if let Some(o) = self.onboarding_settings {
            o.validate()?;
            flow.onboarding_settings = o;
        }
        if let Some(s) = &self.security {
            flow.security = security(s)?;
        }
        match self.webhook_url.as_deref().map(str::trim) {
            Some("") => {
                flow.webhook_url = None;
                flow.webhook_secret = None;
            }
            Some(url) => flow.webhook_url = Some(webhook_url(url, webhooks)?),
            None => {}
        }
        if self.rotate_webhook_secret == Some(true) && flow.webhook_url.is_none() {
            return Err(Error::invalid(
                "webhook_not_set",
                "rotateWebhookSecret needs a webhookUrl on the flow",
            ));
        }
        if flow.webhook_url.is_some()
            && (flow.webhook_secret.is_none() || self.rotate_webhook_secret == Some(true))
        {
            flow.webhook_secret = Some(new_secret());
        }
        flow.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redirect_urls_are_exact_https_addresses() {
        use super::redirect_url;
        for good in [
            "https://app.example.com/cb",
            "https://app.example.com/cb?tenant=1",
            "http://localhost:3000/cb",
            "http://127.0.0.1:8080/cb",
            "http://[::1]:8080/cb",
        ] {
            assert!(redirect_url(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("https://user:pass@app.example.com/cb", "credentials"),
            ("https://user@app.example.com/cb", "credentials"),
            ("https://app.example.com/cb#frag", "fragment"),
            ("https://app.example.com/cb#", "fragment"),
            ("http://app.example.com/cb", "https"),
            ("http://10.0.0.1/cb", "https"),
            ("javascript:alert(1)", "host"),
            ("/cb", "https"),
        ] {
            match redirect_url(bad) {
                Err(crate::error::Error::InvalidInput { code, message }) => {
                    assert_eq!(code, "invalid_url");
                    assert!(message.contains(why), "{bad}: {message}");
                }
                other => panic!("{bad} was taken: {other:?}"),
            }
        }
    }

    use super::*;

    #[test]
    fn nonsense_is_refused_with_the_field_named() {
        let now = Timestamp::now();
        let bad_url = ProjectFields {
            name: Some("Acme".into()),
            privacy_url: Some("javascript:alert(1)".into()),
            ..Default::default()
        };
        assert!(matches!(
            bad_url.create("c", now),
            Err(Error::InvalidInput {
                code: "invalid_url",
                ..
            })
        ));
        let bad_country = ProjectFields {
            name: Some("Acme".into()),
            allowed_countries: Some(vec!["XX".into()]),
            ..Default::default()
        };
        assert!(bad_country.create("c", now).is_err());
        let ok = ProjectFields {
            name: Some(" Acme ".into()),
            allowed_countries: Some(vec!["co".into()]),
            terms_url: Some("https://acme.example/terms".into()),
            ..Default::default()
        }
        .create("c", now)
        .unwrap();
        assert_eq!(ok.name, "Acme");
        assert_eq!(ok.allowed_countries, vec!["CO"]);
        let unknown: std::result::Result<ProjectFields, _> =
            serde_json::from_str(r#"{"name":"x","owner":"me"}"#);
        assert!(unknown.is_err());
    }

    #[test]
    fn flows_check_settings_and_keep_project_and_type() {
        let now = Timestamp::now();
        let project = ProjectFields {
            name: Some("Acme".into()),
            ..Default::default()
        }
        .create("c", now)
        .unwrap();
        let long_codes: FlowFields = serde_json::from_str(
            r#"{"name":"Login","type":"login","loginSettings":{"codeLifetimeSeconds":3600}}"#,
        )
        .unwrap();
        assert!(long_codes
            .create(&project, now, AddressPolicy::default())
            .is_err());
        let mut flow = serde_json::from_str::<FlowFields>(r#"{"name":"Login","type":"login"}"#)
            .unwrap()
            .create(&project, now, AddressPolicy::default())
            .unwrap();
        assert_eq!(flow.status, FlowStatus::Draft);
        let retype: FlowFields = serde_json::from_str(r#"{"type":"onboarding"}"#).unwrap();
        assert!(retype
            .apply(&mut flow, now, AddressPolicy::default())
            .is_err());
    }
}
