//! Message text: templates with placeholders, Cognito's limits, and rendering that always fits them.
//!
//! Placeholders: `{####}` the code parameter, `{username}` the username parameter, `{link}` the link
//! parameter, and `{attribute}` / `{attribute|fallback}` for a user attribute such as `{name}` or
//! `{custom:plan}`. Anything else in braces (CSS, for instance) is left as it is.

use serde::{Deserialize, Serialize};

use super::delivery::DeliveryMedium;
use super::request::ClientMetadata;
use super::user::Attributes;

pub const CODE_PLACEHOLDER: &str = "{####}";
pub const USERNAME_PLACEHOLDER: &str = "{username}";
pub const LINK_PLACEHOLDER: &str = "{link}";

/// Cognito's limits on what a CustomMessage trigger answers.
pub const EMAIL_SUBJECT_MAX: usize = 140;
pub const EMAIL_MESSAGE_MAX: usize = 20_000;
pub const SMS_MESSAGE_MAX: usize = 140;
/// The longest code we issue: a template must fit its limit with a code this long in it.
pub const CODE_MAX_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageTemplates {
    pub email_subject: String,
    pub email_message: String,
    pub sms_message: String,
}

impl Default for MessageTemplates {
    fn default() -> Self {
        Self::forgot_password_en(3600)
    }
}

impl MessageTemplates {
    /// The built-in reset message, its email naming the code's lifetime.
    pub(super) fn forgot_password_en(lifetime_seconds: u64) -> Self {
        Self {
            email_subject: "Your password reset code".into(),
            email_message: format!(
                "Hello {{username}},\n\nYour password reset code is {{####}}. It expires in {}.\n\n\
                 If you did not ask to reset your password, you can ignore this message.",
                lifetime_en(lifetime_seconds)
            ),
            sms_message: "Your password reset code is {####}".into(),
        }
    }
}

/// "one hour", "2 hours", "15 minutes", "90 seconds".
pub(super) fn lifetime_en(seconds: u64) -> String {
    let (n, unit) = lifetime_unit(seconds);
    match (n, unit) {
        (1, Unit::Hour) => "one hour".into(),
        (1, Unit::Minute) => "one minute".into(),
        (1, Unit::Second) => "one second".into(),
        (n, Unit::Hour) => format!("{n} hours"),
        (n, Unit::Minute) => format!("{n} minutes"),
        (n, Unit::Second) => format!("{n} seconds"),
    }
}

/// "une heure", "2 heures", "15 minutes", "90 secondes".
pub(super) fn lifetime_fr(seconds: u64) -> String {
    let (n, unit) = lifetime_unit(seconds);
    match (n, unit) {
        (1, Unit::Hour) => "une heure".into(),
        (1, Unit::Minute) => "une minute".into(),
        (1, Unit::Second) => "une seconde".into(),
        (n, Unit::Hour) => format!("{n} heures"),
        (n, Unit::Minute) => format!("{n} minutes"),
        (n, Unit::Second) => format!("{n} secondes"),
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Hour,
    Minute,
    Second,
}

/// The largest unit that divides the lifetime exactly, so the text never rounds a promise up.
fn lifetime_unit(seconds: u64) -> (u64, Unit) {
    if seconds >= 3600 && seconds.is_multiple_of(3600) {
        (seconds / 3600, Unit::Hour)
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        (seconds / 60, Unit::Minute)
    } else {
        (seconds, Unit::Second)
    }
}

/// The three texts a CustomMessage trigger answers with, rendered.
#[derive(Clone, PartialEq, Eq)]
pub struct CustomMessage {
    pub email_subject: String,
    pub email_message: String,
    pub sms_message: String,
}

/// Debug hides the bodies: in-process they carry the code.
impl std::fmt::Debug for CustomMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomMessage")
            .field("email_subject", &self.email_subject)
            .finish_non_exhaustive()
    }
}

/// A rendered message, ready for a sender. Debug hides the text: it carries the code.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    pub subject: String,
    pub body: String,
    /// The code the message carries, for local delivery that shows it; real senders ignore it.
    pub code: String,
}

impl std::fmt::Debug for RenderedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedMessage")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// What the placeholders stand for in one message.
#[derive(Debug, Clone, Copy)]
pub struct MessageParams<'a> {
    /// The code itself in-process; the event's `codeParameter` (`{####}`) in the trigger.
    pub code: &'a str,
    pub username: &'a str,
    pub link: Option<&'a str>,
    pub attributes: &'a Attributes,
    /// The request's `ClientMetadata`: its locale key (`MessageCatalog::locale_key`) picks the
    /// template's locale before the user's `locale` attribute. Never stored, never logged.
    pub client_metadata: Option<&'a ClientMetadata>,
}

/// One message field, for limits and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    EmailSubject,
    EmailMessage,
    SmsMessage,
}

impl Field {
    pub const ALL: [Field; 3] = [Self::EmailSubject, Self::EmailMessage, Self::SmsMessage];

    pub fn name(self) -> &'static str {
        match self {
            Self::EmailSubject => "EmailSubject",
            Self::EmailMessage => "EmailMessage",
            Self::SmsMessage => "SmsMessage",
        }
    }

    pub fn max_chars(self) -> usize {
        match self {
            Self::EmailSubject => EMAIL_SUBJECT_MAX,
            Self::EmailMessage => EMAIL_MESSAGE_MAX,
            Self::SmsMessage => SMS_MESSAGE_MAX,
        }
    }

    /// The subject may omit the code; both messages must carry it.
    pub fn needs_code(self) -> bool {
        self != Self::EmailSubject
    }
}

impl MessageTemplates {
    pub fn get(&self, field: Field) -> &str {
        match field {
            Field::EmailSubject => &self.email_subject,
            Field::EmailMessage => &self.email_message,
            Field::SmsMessage => &self.sms_message,
        }
    }

    /// Cognito's rules, checked on the template: each message carries `{####}` (and `{username}`
    /// when `needs_username`); subject 1-140 characters, email up to 20,000, SMS up to 140, with
    /// `{####}` counted as the longest code. Errors name the field.
    pub fn check(&self, needs_username: bool) -> Result<(), String> {
        self.check_carrying(needs_username, true)
    }

    /// `check`, for templates that carry a code (`carries_code`) or not (notices).
    pub fn check_carrying(&self, needs_username: bool, carries_code: bool) -> Result<(), String> {
        for field in Field::ALL {
            let text = self.get(field);
            if carries_code && field.needs_code() && !text.contains(CODE_PLACEHOLDER) {
                return Err(format!("{} must contain {CODE_PLACEHOLDER}", field.name()));
            }
            if carries_code
                && field.needs_code()
                && needs_username
                && !text.contains(USERNAME_PLACEHOLDER)
            {
                return Err(format!(
                    "{} must contain {USERNAME_PLACEHOLDER}",
                    field.name()
                ));
            }
            let worst = text.chars().count()
                + text.matches(CODE_PLACEHOLDER).count()
                    * (CODE_MAX_CHARS - CODE_PLACEHOLDER.len());
            if worst > field.max_chars() {
                return Err(format!(
                    "{} must be at most {} characters with a {CODE_MAX_CHARS}-digit code, got {worst}",
                    field.name(),
                    field.max_chars()
                ));
            }
            if field == Field::EmailSubject && literal_text(text).trim().is_empty() {
                return Err("EmailSubject must have text besides attribute placeholders".into());
            }
        }
        Ok(())
    }

    /// Renders the three texts. User-supplied values (attributes, then the username) are shortened
    /// when needed so each text stays within its limit; the code and the link never are.
    pub fn render(&self, params: &MessageParams<'_>) -> Result<CustomMessage, RenderError> {
        let field = |f: Field| render_fitted(self.get(f), params, f.max_chars());
        Ok(CustomMessage {
            email_subject: field(Field::EmailSubject)
                .map_err(|_| RenderError(Field::EmailSubject))?,
            email_message: field(Field::EmailMessage)
                .map_err(|_| RenderError(Field::EmailMessage))?,
            sms_message: field(Field::SmsMessage).map_err(|_| RenderError(Field::SmsMessage))?,
        })
    }
}

/// A message that cannot be made to fit its limit (the code or link parameter alone overflow it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} exceeds Cognito's limit once rendered", .0.name())]
pub struct RenderError(pub Field);

impl CustomMessage {
    /// What Cognito checks on a trigger's answer: both messages carry the code parameter, the
    /// subject is 1-140 characters, the email at most 20,000 and the SMS at most 140.
    pub fn check(&self, code_parameter: &str) -> Result<(), String> {
        for field in Field::ALL {
            let text = self.get(field);
            let n = text.chars().count();
            if field.needs_code() && !text.contains(code_parameter) {
                return Err(format!("{} does not contain the code", field.name()));
            }
            if n > field.max_chars() || (field == Field::EmailSubject && n == 0) {
                return Err(format!(
                    "{} has {n} characters (limit {})",
                    field.name(),
                    field.max_chars()
                ));
            }
        }
        Ok(())
    }

    pub fn get(&self, field: Field) -> &str {
        match field {
            Field::EmailSubject => &self.email_subject,
            Field::EmailMessage => &self.email_message,
            Field::SmsMessage => &self.sms_message,
        }
    }

    /// The message `medium` carries, with `code` for the delivery to fill in.
    pub fn for_medium(&self, medium: DeliveryMedium, code: &str) -> RenderedMessage {
        match medium {
            DeliveryMedium::Email => self.email(code),
            DeliveryMedium::Sms => self.sms(code),
        }
    }

    /// The email, for a sender.
    pub fn email(&self, code: &str) -> RenderedMessage {
        RenderedMessage {
            subject: self.email_subject.clone(),
            body: self.email_message.clone(),
            code: code.to_string(),
        }
    }

    /// The SMS, for a sender.
    pub fn sms(&self, code: &str) -> RenderedMessage {
        RenderedMessage {
            subject: String::new(),
            body: self.sms_message.clone(),
            code: code.to_string(),
        }
    }
}

/// One placeholder found in a template.
enum Token<'t> {
    Code,
    Username,
    Link,
    Attribute { name: &'t str, fallback: &'t str },
}

/// A placeholder name: what may sit between braces. Anything else in braces is literal text.
fn token(inner: &str) -> Option<Token<'_>> {
    let (name, fallback) = inner.split_once('|').unwrap_or((inner, ""));
    match name {
        "####" => return Some(Token::Code),
        "username" => return Some(Token::Username),
        "link" => return Some(Token::Link),
        _ => {}
    }
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'))
        && !fallback.contains(['{', '}']);
    valid.then_some(Token::Attribute { name, fallback })
}

/// Walks the template once: literal text and placeholders in order, so a substituted value is
/// never scanned again (an attribute holding `{####}` stays text).
fn walk<'t>(template: &'t str, mut out: impl FnMut(Result<Token<'t>, &'t str>)) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        let inner = &rest[open + 1..open + len];
        match token(inner) {
            Some(t) => {
                out(Err(&rest[..open]));
                out(Ok(t));
                rest = &rest[open + len + 1..];
            }
            None => {
                out(Err(&rest[..=open]));
                rest = &rest[open + 1..];
            }
        }
    }
    out(Err(rest));
}

/// The template's text without attribute placeholders (what a subject shows with no attributes).
fn literal_text(template: &str) -> String {
    let mut s = String::new();
    walk(template, |part| match part {
        Err(text) => s.push_str(text),
        Ok(Token::Code) => s.push_str(CODE_PLACEHOLDER),
        Ok(Token::Username) => s.push_str(USERNAME_PLACEHOLDER),
        Ok(Token::Link) => s.push_str(LINK_PLACEHOLDER),
        Ok(Token::Attribute { .. }) => {}
    });
    s
}

fn take_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// Every placeholder replaced; user values shortened so the result holds at most `max` characters.
fn render_fitted(template: &str, p: &MessageParams<'_>, max: usize) -> Result<String, ()> {
    let attribute = |name: &str, fallback: &'_ str| -> String {
        p.attributes.get(name).unwrap_or(fallback).to_string()
    };
    // Pass 1: how much room the fixed parts take, and how long the user values are.
    let (mut fixed, mut username_len, mut attrs_len) = (0usize, 0usize, 0usize);
    walk(template, |part| match part {
        Err(text) => fixed += text.chars().count(),
        Ok(Token::Code) => fixed += p.code.chars().count(),
        Ok(Token::Link) => fixed += p.link.unwrap_or(LINK_PLACEHOLDER).chars().count(),
        Ok(Token::Username) => username_len += p.username.chars().count(),
        Ok(Token::Attribute { name, fallback }) => {
            attrs_len += attribute(name, fallback).chars().count()
        }
    });
    if fixed > max {
        return Err(());
    }
    // Budgets: the username first (it is what a user signs in with), attributes get what is left.
    let mut username_budget = max - fixed;
    let mut attr_budget = username_budget.saturating_sub(username_len);
    if fixed + username_len + attrs_len <= max {
        attr_budget = usize::MAX;
        username_budget = usize::MAX;
    }
    let mut out = String::with_capacity(template.len() + 16);
    walk(template, |part| match part {
        Err(text) => out.push_str(text),
        Ok(Token::Code) => out.push_str(p.code),
        Ok(Token::Link) => out.push_str(p.link.unwrap_or(LINK_PLACEHOLDER)),
        Ok(Token::Username) => {
            let v = take_chars(p.username, username_budget);
            username_budget = username_budget.saturating_sub(v.chars().count());
            out.push_str(v);
        }
        Ok(Token::Attribute { name, fallback }) => {
            let value = attribute(name, fallback);
            let v = take_chars(&value, attr_budget);
            attr_budget = attr_budget.saturating_sub(v.chars().count());
            out.push_str(v);
        }
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(
        code: &'a str,
        username: &'a str,
        attributes: &'a Attributes,
    ) -> MessageParams<'a> {
        MessageParams {
            code,
            username,
            link: None,
            attributes,
            client_metadata: None,
        }
    }

    fn templates(subject: &str, email: &str, sms: &str) -> MessageTemplates {
        MessageTemplates {
            email_subject: subject.into(),
            email_message: email.into(),
            sms_message: sms.into(),
        }
    }

    #[test]
    fn every_occurrence_of_every_placeholder_is_replaced() {
        let a = Attributes::from_iter([("name", "Jane"), ("custom:plan", "gold")]);
        let t = templates(
            "Hi {name}",
            "{####} / {####} for {username} ({name}, {name}, {custom:plan}) {link}",
            "{####} {####}",
        );
        let mut p = params("123456", "jane", &a);
        p.link = Some("https://x.example/r");
        let m = t.render(&p).unwrap();
        assert_eq!(m.email_subject, "Hi Jane");
        assert_eq!(
            m.email_message,
            "123456 / 123456 for jane (Jane, Jane, gold) https://x.example/r"
        );
        assert_eq!(m.sms_message, "123456 123456");
    }

    #[test]
    fn missing_attributes_use_the_fallback_and_other_braces_stay() {
        let a = Attributes::default();
        let t = templates(
            "Hello {name|there}",
            "<style>p {color: red}</style>{####}{nickname}{",
            "{####}",
        );
        let m = t.render(&params("{####}", "{username}", &a)).unwrap();
        assert_eq!(m.email_subject, "Hello there");
        assert_eq!(m.email_message, "<style>p {color: red}</style>{####}{");
    }

    #[test]
    fn an_attribute_holding_a_placeholder_is_not_expanded() {
        let a = Attributes::from_iter([("name", "{####}")]);
        let t = templates("s", "Hi {name}: {####}", "{####}");
        let m = t.render(&params("424242", "u", &a)).unwrap();
        assert_eq!(m.email_message, "Hi {####}: 424242");
    }

    #[test]
    fn long_values_are_shortened_to_fit_and_the_code_is_kept() {
        let long = "x".repeat(500);
        let a = Attributes::from_iter([("name", long.as_str())]);
        let t = templates("Hi {name}", "{####}", "Hi {name}, {username}: {####}");
        let m = t.render(&params("0123456789", &long, &a)).unwrap();
        assert_eq!(m.sms_message.chars().count(), SMS_MESSAGE_MAX);
        assert!(m.sms_message.ends_with(": 0123456789"));
        assert_eq!(m.email_subject.chars().count(), EMAIL_SUBJECT_MAX);
        m.check("0123456789").unwrap();
    }

    #[test]
    fn templates_breaking_the_limits_are_refused_naming_the_field() {
        let ok = MessageTemplates::default();
        ok.check(false).unwrap();
        let cases = [
            (
                templates("s", "{####}", "hi"),
                "SmsMessage must contain {####}",
            ),
            (
                templates("s", "no code", "{####}"),
                "EmailMessage must contain",
            ),
            (
                templates("s", "{####}", &format!("{{####}}{}", "x".repeat(131))),
                "SmsMessage must be at most 140",
            ),
            (templates("", "{####}", "{####}"), "EmailSubject"),
            (templates("{name}", "{####}", "{####}"), "EmailSubject"),
            (
                templates(&"s".repeat(141), "{####}", "{####}"),
                "EmailSubject must be at most 140",
            ),
            (
                templates("s", &format!("{{####}}{}", "x".repeat(19_995)), "{####}"),
                "EmailMessage must be at most 20000",
            ),
        ];
        for (t, expected) in cases {
            let err = t.check(false).unwrap_err();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
        // 130 characters plus a code placeholder counted as 10 digits: exactly 140.
        templates("s", "{####}", &format!("{{####}}{}", "x".repeat(130)))
            .check(false)
            .unwrap();
        let admin = templates("s", "{####}", "{####}");
        assert!(admin.check(true).unwrap_err().contains("{username}"));
    }

    #[test]
    fn cognito_acceptance_check() {
        let m = CustomMessage {
            email_subject: "s".into(),
            email_message: "code {####}".into(),
            sms_message: "{####}".into(),
        };
        m.check("{####}").unwrap();
        assert!(m.check("123456").is_err());
        let empty_subject = CustomMessage {
            email_subject: String::new(),
            ..m.clone()
        };
        assert!(empty_subject.check("{####}").is_err());
        let long_sms = CustomMessage {
            sms_message: format!("{{####}}{}", "x".repeat(135)),
            ..m
        };
        assert!(long_sms.check("{####}").unwrap_err().contains("SmsMessage"));
    }
}
