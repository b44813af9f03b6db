//! The messages that carry a code. Plain data: the SES and SNS adapters only
//! deliver them.

use super::code::OneTimeCode;
use super::flow::Project;

#[derive(Clone, PartialEq)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone, PartialEq)]
pub struct SmsMessage {
    /// E.164
    pub to: String,
    pub text: String,
}

// Messages hold a code: keep them out of Debug output, and so out of logs.
impl std::fmt::Debug for EmailMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailMessage").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsMessage").finish_non_exhaustive()
    }
}

fn escape_html(input: &str) -> String {
    input
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Colours are interpolated into a style attribute: accept only hex colours.
fn safe_colour(input: Option<&str>, fallback: &'static str) -> String {
    match input {
        Some(c)
            if c.starts_with('#')
                && matches!(c.len(), 4 | 7)
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            c.to_string()
        }
        _ => fallback.to_string(),
    }
}

/// What a code is for: the words around it differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    /// Contact verification of an onboarding.
    SignUp,
}

impl Purpose {
    fn code_name(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign-in code",
            Purpose::SignUp => "verification code",
        }
    }

    fn unexpected(self) -> &'static str {
        match self {
            Purpose::SignIn => "If you did not try to sign in, you can ignore this email.",
            Purpose::SignUp => "If you did not start signing up, you can ignore this email.",
        }
    }
}

pub fn login_email(
    project: &Project,
    to: &str,
    code: &OneTimeCode,
    lifetime_minutes: u32,
    purpose: Purpose,
) -> EmailMessage {
    let name = &project.name;
    let digits = code.expose();
    let code_name = purpose.code_name();
    let unexpected = purpose.unexpected();
    let subject = format!("{digits} is your {name} {code_name}");
    let text = format!(
        "Your {name} {code_name} is {digits}.\n\n\
         It expires in {lifetime_minutes} minutes and works once.\n\
         {unexpected}\n"
    );
    let button = safe_colour(project.branding.button_color.as_deref(), "#14AE5C");
    let button_text = safe_colour(project.branding.button_text_color.as_deref(), "#FFFFFF");
    let logo = project
        .branding
        .logo
        .as_deref()
        .filter(|l| l.starts_with("https://"))
        .map(|l| {
            format!(
                "<img src=\"{}\" alt=\"\" height=\"48\"><br>",
                escape_html(l)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">{logo}\
         <p>Your {name} {code_name} is:</p>\
         <p style=\"font-size:28px;letter-spacing:6px;padding:12px 20px;display:inline-block;\
         background:{button};color:{button_text};border-radius:6px\"><strong>{digits}</strong></p>\
         <p>It expires in {lifetime_minutes} minutes and works once.</p>\
         <p style=\"color:#666\">{unexpected}</p>\
         </body></html>",
        name = escape_html(name),
    );
    EmailMessage {
        to: to.to_string(),
        subject,
        text,
        html,
    }
}

pub fn login_sms(
    project: &Project,
    to_e164: &str,
    code: &OneTimeCode,
    lifetime_minutes: u32,
) -> SmsMessage {
    SmsMessage {
        to: to_e164.to_string(),
        text: format!(
            "{} is your {} code. It expires in {} min. Do not share it.",
            code.expose(),
            project.name,
            lifetime_minutes
        ),
    }
}
