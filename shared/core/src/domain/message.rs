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

/// The languages messages are written in; anything else gets English.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    En,
    Es,
}

impl Locale {
    /// `es`, `es-CO`, `ES` → Spanish; everything else English.
    pub fn from_language(language: &str) -> Self {
        match language.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("es") => Locale::Es,
            _ => Locale::En,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
        }
    }
}

/// One message's words; `{code}`, `{name}` and `{minutes}` are filled in.
struct Words {
    subject: &'static str,
    intro: &'static str,
    expires: &'static str,
    unexpected: &'static str,
    sms: &'static str,
}

fn words(locale: Locale, purpose: Purpose) -> Words {
    match (locale, purpose) {
        (Locale::En, Purpose::SignIn) => Words {
            subject: "{code} is your {name} sign-in code",
            intro: "Your {name} sign-in code is",
            expires: "It expires in {minutes} minutes and works once.",
            unexpected: "If you did not try to sign in, you can ignore this email.",
            sms: "{code} is your {name} code. It expires in {minutes} min. Do not share it.",
        },
        (Locale::En, Purpose::SignUp) => Words {
            subject: "{code} is your {name} verification code",
            intro: "Your {name} verification code is",
            expires: "It expires in {minutes} minutes and works once.",
            unexpected: "If you did not start signing up, you can ignore this email.",
            sms: "{code} is your {name} verification code. It expires in {minutes} min. Do not share it.",
        },
        (Locale::Es, Purpose::SignIn) => Words {
            subject: "{code} es tu código de acceso a {name}",
            intro: "Tu código de acceso a {name} es",
            expires: "Vence en {minutes} minutos y sirve una sola vez.",
            unexpected: "Si no intentaste iniciar sesión, ignora este correo.",
            sms: "{code} es tu código de {name}. Vence en {minutes} min. No lo compartas.",
        },
        (Locale::Es, Purpose::SignUp) => Words {
            subject: "{code} es tu código de verificación de {name}",
            intro: "Tu código de verificación de {name} es",
            expires: "Vence en {minutes} minutos y sirve una sola vez.",
            unexpected: "Si no empezaste un registro, ignora este correo.",
            sms: "{code} es tu código de verificación de {name}. Vence en {minutes} min. No lo compartas.",
        },
    }
}

fn fill(template: &str, code: &str, name: &str, minutes: u32) -> String {
    template
        .replace("{code}", code)
        .replace("{name}", name)
        .replace("{minutes}", &minutes.to_string())
}

pub fn login_email(
    project: &Project,
    to: &str,
    code: &OneTimeCode,
    lifetime_minutes: u32,
    purpose: Purpose,
    locale: Locale,
) -> EmailMessage {
    let w = words(locale, purpose);
    let digits = code.expose();
    let plain = |t: &str| fill(t, digits, &project.name, lifetime_minutes);
    let in_html = |t: &str| fill(t, digits, &escape_html(&project.name), lifetime_minutes);
    let subject = plain(w.subject);
    let text = format!(
        "{} {digits}.\n\n{}\n{}\n",
        plain(w.intro),
        plain(w.expires),
        w.unexpected
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
        "<!doctype html><html lang=\"{lang}\"><body style=\"font-family:sans-serif\">{logo}\
         <p>{intro}:</p>\
         <p style=\"font-size:28px;letter-spacing:6px;padding:12px 20px;display:inline-block;\
         background:{button};color:{button_text};border-radius:6px\"><strong>{digits}</strong></p>\
         <p>{expires}</p>\
         <p style=\"color:#666\">{unexpected}</p>\
         </body></html>",
        lang = locale.tag(),
        intro = in_html(w.intro),
        expires = in_html(w.expires),
        unexpected = w.unexpected,
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
    purpose: Purpose,
    locale: Locale,
) -> SmsMessage {
    SmsMessage {
        to: to_e164.to_string(),
        text: fill(
            words(locale, purpose).sms,
            code.expose(),
            &project.name,
            lifetime_minutes,
        ),
    }
}
