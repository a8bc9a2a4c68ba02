//! The templates of every CustomMessage trigger source, with per-locale variants, checked once at start.
//!
//! Configuration (JSON): one entry per source, each field optional (the built-in text fills the gap),
//! and `Locales` keyed by the user's `locale` attribute (`fr`, `pt-BR`, ...), each field falling back to
//! the source's own:
//! ```json
//! { "ForgotPassword": { "EmailSubject": "Reset your password", "EmailMessage": "... {####} ...",
//!                       "SmsMessage": "Code: {####}",
//!                       "Locales": { "fr": { "EmailSubject": "Réinitialisez votre mot de passe" } } },
//!   "SignUp": { "EmailMessage": "Welcome {name|there}, your code is {####}" } }
//! ```
//! Top-level `EmailSubject` / `EmailMessage` / `SmsMessage` / `Locales` are read as `ForgotPassword`.
//! `PasswordChanged` (same shape, no `{####}`) is the notice sent after a successful reset.
//! `ClientMetadataLocaleKey` (default `locale`) names the request's `ClientMetadata` key whose value
//! picks the locale before the user's `locale` attribute (the reset page sends its language there).
//! The built-in texts of `ForgotPassword` and `PasswordChanged` speak English and French; a source
//! configured here replaces the built-in one with its locales.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::message::{CustomMessage, MessageParams, MessageTemplates, RenderError, lifetime_fr};

/// The CustomMessage trigger sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageSource {
    SignUp,
    AdminCreateUser,
    ResendCode,
    ForgotPassword,
    UpdateUserAttribute,
    VerifyUserAttribute,
    Authentication,
}

impl MessageSource {
    pub const ALL: [MessageSource; 7] = [
        Self::SignUp,
        Self::AdminCreateUser,
        Self::ResendCode,
        Self::ForgotPassword,
        Self::UpdateUserAttribute,
        Self::VerifyUserAttribute,
        Self::Authentication,
    ];

    /// The name in the configuration: `ForgotPassword`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SignUp => "SignUp",
            Self::AdminCreateUser => "AdminCreateUser",
            Self::ResendCode => "ResendCode",
            Self::ForgotPassword => "ForgotPassword",
            Self::UpdateUserAttribute => "UpdateUserAttribute",
            Self::VerifyUserAttribute => "VerifyUserAttribute",
            Self::Authentication => "Authentication",
        }
    }

    /// The event's `triggerSource`: `CustomMessage_ForgotPassword`.
    pub fn trigger_source(self) -> String {
        format!("CustomMessage_{}", self.name())
    }

    /// From a configuration name or a `triggerSource`.
    pub fn parse(s: &str) -> Option<Self> {
        let name = s.strip_prefix("CustomMessage_").unwrap_or(s);
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// AdminCreateUser's message carries the temporary password and the username to sign in with.
    pub fn needs_username(self) -> bool {
        self == Self::AdminCreateUser
    }

    /// What the user pool sends when nothing is configured for this source.
    pub fn builtin(self) -> MessageTemplates {
        let (subject, email, sms) = match self {
            Self::ForgotPassword => return MessageTemplates::default(),
            Self::SignUp | Self::ResendCode => (
                "Your verification code",
                "Hello {name|there},\n\nYour verification code is {####}.",
                "Your verification code is {####}",
            ),
            Self::AdminCreateUser => (
                "Your temporary password",
                "Hello {name|there},\n\nYour username is {username} and your temporary password is {####}.",
                "Your username is {username} and temporary password is {####}",
            ),
            Self::UpdateUserAttribute | Self::VerifyUserAttribute => (
                "Your verification code",
                "Hello {name|there},\n\nUse {####} to verify your new contact details.",
                "Your verification code is {####}",
            ),
            Self::Authentication => (
                "Your sign-in code",
                "Hello {name|there},\n\nYour sign-in code is {####}.",
                "Your sign-in code is {####}",
            ),
        };
        MessageTemplates {
            email_subject: subject.into(),
            email_message: email.into(),
            sms_message: sms.into(),
        }
    }
}

/// A source's templates: the default and the per-locale variants (keys lowercase, `-` separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalizedTemplates {
    pub default: MessageTemplates,
    pub locales: BTreeMap<String, MessageTemplates>,
}

impl LocalizedTemplates {
    /// `fr-CA` picks `fr-ca`, then `fr`, then the default.
    pub fn for_locale(&self, locale: Option<&str>) -> &MessageTemplates {
        locale
            .and_then(|l| self.variant(l))
            .unwrap_or(&self.default)
    }

    fn variant(&self, locale: &str) -> Option<&MessageTemplates> {
        let locale = normalize_locale(locale);
        self.locales.get(&locale).or_else(|| {
            let language = locale.split('-').next().unwrap_or(&locale);
            self.locales.get(language)
        })
    }
}

fn normalize_locale(s: &str) -> String {
    s.trim().replace('_', "-").to_ascii_lowercase()
}

/// Every source's templates (indexed by source, in `MessageSource::ALL` order), each checked
/// against Cognito's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCatalog {
    sources: [LocalizedTemplates; 7],
    /// The notice after a reset: no code in it.
    password_changed: LocalizedTemplates,
    /// The `ClientMetadata` key whose value picks the locale.
    locale_key: String,
}

/// The configuration key of the notice after a reset.
pub const PASSWORD_CHANGED: &str = "PasswordChanged";
/// The configuration key naming the `ClientMetadata` key that carries the locale.
pub const LOCALE_KEY: &str = "ClientMetadataLocaleKey";
/// The `ClientMetadata` key that carries the locale when `ClientMetadataLocaleKey` is not set.
pub const DEFAULT_LOCALE_KEY: &str = "locale";
/// The code lifetime the built-in reset email names until told otherwise: Cognito's hour.
const BUILTIN_LIFETIME: u64 = 3600;

fn password_changed_builtin() -> MessageTemplates {
    MessageTemplates {
        email_subject: "Your password was changed".into(),
        email_message:
            "Hello {name|there},\n\nThe password of your account was just changed. If this \
                        was not you, reset your password now and contact us."
                .into(),
        sms_message: "Your password was just changed. If this was not you, reset it now.".into(),
    }
}

/// The built-in French texts: the reset code and the notice, the languages the reset page speaks.
fn forgot_password_fr(lifetime_seconds: u64) -> MessageTemplates {
    MessageTemplates {
        email_subject: "Votre code de réinitialisation du mot de passe".into(),
        email_message: format!(
            "Bonjour {{username}},\n\nVotre code de réinitialisation du mot de passe est \
             {{####}}. Il expire dans {}.\n\nSi vous n'avez pas demandé à \
             réinitialiser votre mot de passe, ignorez ce message.",
            lifetime_fr(lifetime_seconds)
        ),
        sms_message: "Votre code de réinitialisation du mot de passe est {####}".into(),
    }
}

fn password_changed_fr() -> MessageTemplates {
    MessageTemplates {
        email_subject: "Votre mot de passe a été modifié".into(),
        email_message: "Bonjour,\n\nLe mot de passe de votre compte vient d'être modifié. Si ce \
                        n'était pas vous, réinitialisez votre mot de passe maintenant et \
                        contactez-nous."
            .into(),
        sms_message: "Votre mot de passe vient d'être modifié. Si ce n'était pas vous, \
                      réinitialisez-le maintenant."
            .into(),
    }
}

impl Default for MessageCatalog {
    fn default() -> Self {
        let mut sources = MessageSource::ALL.map(|s| LocalizedTemplates {
            default: s.builtin(),
            locales: BTreeMap::new(),
        });
        sources[MessageSource::ForgotPassword as usize]
            .locales
            .insert("fr".into(), forgot_password_fr(BUILTIN_LIFETIME));
        Self {
            sources,
            password_changed: LocalizedTemplates {
                default: password_changed_builtin(),
                locales: BTreeMap::from([("fr".into(), password_changed_fr())]),
            },
            locale_key: DEFAULT_LOCALE_KEY.into(),
        }
    }
}

/// A template that breaks a rule, named as `Source[locale].Field`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {template}: {problem}")]
pub struct TemplateError {
    pub template: String,
    pub problem: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PartialTemplates {
    email_subject: Option<String>,
    email_message: Option<String>,
    sms_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SourceEntry {
    #[serde(flatten)]
    texts: PartialTemplates,
    #[serde(default)]
    locales: BTreeMap<String, PartialTemplates>,
}

impl PartialTemplates {
    fn over(self, base: &MessageTemplates) -> MessageTemplates {
        MessageTemplates {
            email_subject: self
                .email_subject
                .unwrap_or_else(|| base.email_subject.clone()),
            email_message: self
                .email_message
                .unwrap_or_else(|| base.email_message.clone()),
            sms_message: self.sms_message.unwrap_or_else(|| base.sms_message.clone()),
        }
    }
}

const TOP_LEVEL: [&str; 4] = ["EmailSubject", "EmailMessage", "SmsMessage", "Locales"];
/// A `ClientMetadata` key's longest form worth naming (Cognito caps the whole map, not a key).
const LOCALE_KEY_MAX: usize = 128;

impl MessageCatalog {
    /// Reads the configuration (see the module documentation) and checks every template.
    pub fn from_json(value: serde_json::Value) -> Result<Self, TemplateError> {
        let bad = |template: &str, problem: String| TemplateError {
            template: template.to_string(),
            problem,
        };
        let serde_json::Value::Object(map) = value else {
            return Err(bad("(root)", "expected a JSON object".into()));
        };
        let mut entries: BTreeMap<MessageSource, SourceEntry> = BTreeMap::new();
        let mut top = serde_json::Map::new();
        let mut notice: Option<SourceEntry> = None;
        let mut locale_key = DEFAULT_LOCALE_KEY.to_string();
        for (key, value) in map {
            if TOP_LEVEL.contains(&key.as_str()) {
                top.insert(key, value);
                continue;
            }
            if key == LOCALE_KEY {
                locale_key = match value {
                    serde_json::Value::String(k)
                        if !k.trim().is_empty() && k.chars().count() <= LOCALE_KEY_MAX =>
                    {
                        k
                    }
                    _ => {
                        return Err(bad(
                            LOCALE_KEY,
                            format!("expected a key of 1-{LOCALE_KEY_MAX} characters"),
                        ));
                    }
                };
                continue;
            }
            if key == PASSWORD_CHANGED {
                notice = Some(
                    serde_json::from_value(value)
                        .map_err(|e| bad(PASSWORD_CHANGED, e.to_string()))?,
                );
                continue;
            }
            let source = MessageSource::parse(&key).ok_or_else(|| {
                bad(
                    &key,
                    format!(
                        "unknown trigger source (expected one of {})",
                        MessageSource::ALL.map(MessageSource::name).join(", ")
                    ),
                )
            })?;
            let entry =
                serde_json::from_value(value).map_err(|e| bad(source.name(), e.to_string()))?;
            if entries.insert(source, entry).is_some() {
                return Err(bad(source.name(), "configured twice".into()));
            }
        }
        if !top.is_empty() {
            let source = MessageSource::ForgotPassword;
            if entries.contains_key(&source) {
                return Err(bad(
                    source.name(),
                    "configured both at the top level and under ForgotPassword".into(),
                ));
            }
            let entry = serde_json::from_value(serde_json::Value::Object(top))
                .map_err(|e| bad(source.name(), e.to_string()))?;
            entries.insert(source, entry);
        }
        let mut catalog = Self {
            locale_key,
            ..Self::default()
        };
        for (source, entry) in entries {
            let default = entry.texts.over(&source.builtin());
            let locales = entry
                .locales
                .into_iter()
                .map(|(locale, partial)| (normalize_locale(&locale), partial.over(&default)))
                .collect();
            catalog.sources[source as usize] = LocalizedTemplates { default, locales };
        }
        if let Some(entry) = notice {
            let default = entry.texts.over(&password_changed_builtin());
            let locales = entry
                .locales
                .into_iter()
                .map(|(locale, partial)| (normalize_locale(&locale), partial.over(&default)))
                .collect();
            catalog.password_changed = LocalizedTemplates { default, locales };
        }
        catalog.check()?;
        Ok(catalog)
    }

    /// Cognito's rules on every template of every source and locale.
    pub fn check(&self) -> Result<(), TemplateError> {
        let sources = MessageSource::ALL
            .iter()
            .zip(&self.sources)
            .map(|(s, t)| (s.name(), t, s.needs_username(), true));
        let notice = std::iter::once((PASSWORD_CHANGED, &self.password_changed, false, false));
        for (source, templates, needs_username, carries_code) in sources.chain(notice) {
            let named = std::iter::once((source.to_string(), &templates.default)).chain(
                templates
                    .locales
                    .iter()
                    .map(|(l, t)| (format!("{source}[{l}]"), t)),
            );
            for (name, t) in named {
                t.check_carrying(needs_username, carries_code)
                    .map_err(|problem| TemplateError {
                        template: name,
                        problem,
                    })?;
            }
        }
        Ok(())
    }

    /// The notice after a reset, in the request's locale (`locale`).
    pub fn password_changed(
        &self,
        params: &MessageParams<'_>,
    ) -> Result<CustomMessage, RenderError> {
        self.password_changed
            .for_locale(self.locale(params))
            .render(params)
    }

    /// The `ClientMetadata` key whose value picks the locale.
    /// The built-in reset emails (English, French) naming `seconds` as the code's lifetime, where
    /// they are still the built-in text: a team's own text is never rewritten.
    pub fn with_email_code_lifetime(mut self, seconds: u64) -> Self {
        let source = &mut self.sources[MessageSource::ForgotPassword as usize];
        let (en_hour, en) = (
            MessageTemplates::forgot_password_en(BUILTIN_LIFETIME),
            MessageTemplates::forgot_password_en(seconds),
        );
        if source.default.email_message == en_hour.email_message {
            source.default.email_message = en.email_message;
        }
        let (fr_hour, fr) = (
            forgot_password_fr(BUILTIN_LIFETIME),
            forgot_password_fr(seconds),
        );
        if let Some(t) = source.locales.get_mut("fr")
            && t.email_message == fr_hour.email_message
        {
            t.email_message = fr.email_message;
        }
        self
    }

    pub fn locale_key(&self) -> &str {
        &self.locale_key
    }

    /// The locale a message is in: the request's `ClientMetadata` one (the language the app
    /// speaks to the user now), else the user's `locale` attribute. An app's locale we have no
    /// variant for gets the default text, not the attribute's: the app chose its language.
    fn locale<'p>(&self, params: &MessageParams<'p>) -> Option<&'p str> {
        let blank = |l: &&str| l.trim().is_empty();
        params
            .client_metadata
            .and_then(|m| m.get(&self.locale_key))
            .map(String::as_str)
            .filter(|l| !blank(l))
            .or_else(|| params.attributes.get("locale").filter(|l| !blank(l)))
    }

    pub fn templates(&self, source: MessageSource) -> &LocalizedTemplates {
        &self.sources[source as usize]
    }

    /// The source's templates in the request's locale (`locales`), rendered.
    pub fn render(
        &self,
        source: MessageSource,
        params: &MessageParams<'_>,
    ) -> Result<CustomMessage, RenderError> {
        self.templates(source)
            .for_locale(self.locale(params))
            .render(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::ClientMetadata;
    use crate::domain::user::Attributes;
    use serde_json::json;

    fn render(c: &MessageCatalog, s: MessageSource, a: &Attributes) -> CustomMessage {
        c.render(
            s,
            &MessageParams {
                code: "{####}",
                username: "{username}",
                link: None,
                attributes: a,
                client_metadata: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn builtins_cover_every_source_and_pass_cognitos_rules() {
        let c = MessageCatalog::default();
        c.check().unwrap();
        for s in MessageSource::ALL {
            assert_eq!(MessageSource::parse(&s.trigger_source()), Some(s));
            render(&c, s, &Attributes::default())
                .check("{####}")
                .unwrap();
        }
        assert_eq!(MessageSource::parse("CustomMessage_Unknown"), None);
    }

    #[test]
    fn the_built_in_reset_email_names_the_codes_real_lifetime() {
        let email = |c: &MessageCatalog, locale: &str| {
            let a = Attributes::from_iter([("locale", locale)]);
            render(c, MessageSource::ForgotPassword, &a).email_message
        };
        let hour = MessageCatalog::default();
        assert!(email(&hour, "en").contains("It expires in one hour."));
        assert!(email(&hour, "fr").contains("Il expire dans une heure."));
        let quarter = MessageCatalog::default().with_email_code_lifetime(900);
        assert!(email(&quarter, "en").contains("It expires in 15 minutes."));
        assert!(email(&quarter, "fr").contains("Il expire dans 15 minutes."));
        let odd = MessageCatalog::default().with_email_code_lifetime(7230);
        assert!(email(&odd, "en").contains("It expires in 7230 seconds."));
        let two = MessageCatalog::default().with_email_code_lifetime(7200);
        assert!(email(&two, "fr").contains("Il expire dans 2 heures."));
        // A team's own text is theirs: never rewritten.
        let own = MessageCatalog::from_json(json!({"ForgotPassword": {
            "EmailMessage": "Code {####}, valid for one hour"}}))
        .unwrap()
        .with_email_code_lifetime(900);
        assert_eq!(email(&own, "en"), "Code {####}, valid for one hour");
    }

    #[test]
    fn locale_variants_with_fallbacks() {
        let c = MessageCatalog::from_json(json!({
            "ForgotPassword": {
                "EmailSubject": "Reset",
                "SmsMessage": "Code {####}",
                "Locales": {
                    "fr": {"EmailSubject": "Réinitialisation", "SmsMessage": "Votre code {####}"},
                    "pt_BR": {"EmailSubject": "Redefinir"}
                }
            }
        }))
        .unwrap();
        let subject = |locale: Option<&str>| {
            let a = match locale {
                Some(l) => Attributes::from_iter([("locale", l)]),
                None => Attributes::default(),
            };
            let m = render(&c, MessageSource::ForgotPassword, &a);
            (m.email_subject, m.sms_message)
        };
        assert_eq!(subject(None), ("Reset".into(), "Code {####}".into()));
        assert_eq!(subject(Some("fr")).0, "Réinitialisation");
        assert_eq!(subject(Some("fr-CA")).1, "Votre code {####}");
        assert_eq!(subject(Some("FR_ca")).0, "Réinitialisation");
        // A locale entry falls back field by field to the source's own text.
        assert_eq!(
            subject(Some("pt-BR")),
            ("Redefinir".into(), "Code {####}".into())
        );
        assert_eq!(subject(Some("de")).0, "Reset");
        // Unconfigured sources keep their built-in text.
        assert_eq!(
            render(&c, MessageSource::SignUp, &Attributes::default()).email_subject,
            "Your verification code"
        );
    }

    #[test]
    fn the_client_metadata_locale_comes_before_the_users_attribute() {
        let meta = |k: &str, v: &str| ClientMetadata::from([(k.to_string(), v.to_string())]);
        let subject = |c: &MessageCatalog, m: Option<&ClientMetadata>, a: &Attributes| {
            let params = MessageParams {
                code: "{####}",
                username: "jane",
                link: None,
                attributes: a,
                client_metadata: m,
            };
            let code = c.render(MessageSource::ForgotPassword, &params).unwrap();
            let notice = c.password_changed(&params).unwrap();
            (code.email_subject, notice.email_subject)
        };
        let builtin = MessageCatalog::default();
        let none = Attributes::default();
        let french_user = Attributes::from_iter([("locale", "fr-FR")]);
        let french = (
            "Votre code de réinitialisation du mot de passe".to_string(),
            "Votre mot de passe a été modifié".to_string(),
        );
        let english = (
            "Your password reset code".to_string(),
            "Your password was changed".to_string(),
        );
        assert_eq!(subject(&builtin, None, &none), english);
        assert_eq!(
            subject(&builtin, Some(&meta("locale", "fr")), &none),
            french
        );
        assert_eq!(subject(&builtin, None, &french_user), french);
        // The app's language wins over the attribute, even one we have no variant for.
        assert_eq!(
            subject(&builtin, Some(&meta("locale", "en")), &french_user),
            english
        );
        assert_eq!(
            subject(&builtin, Some(&meta("locale", "de")), &french_user),
            english
        );
        // A blank value, or another key, leaves the attribute to decide.
        assert_eq!(
            subject(&builtin, Some(&meta("locale", " ")), &french_user),
            french
        );
        assert_eq!(
            subject(&builtin, Some(&meta("lang", "en")), &french_user),
            french
        );
        // The key is a setting.
        let by_lang =
            MessageCatalog::from_json(json!({"ClientMetadataLocaleKey": "lang"})).unwrap();
        assert_eq!(by_lang.locale_key(), "lang");
        assert_eq!(
            subject(&by_lang, Some(&meta("lang", "fr-CA")), &none),
            french
        );
        assert_eq!(
            subject(&by_lang, Some(&meta("locale", "fr")), &none),
            english
        );
        assert!(
            MessageCatalog::from_json(json!({"ClientMetadataLocaleKey": ""}))
                .unwrap_err()
                .to_string()
                .starts_with("template ClientMetadataLocaleKey")
        );
    }

    #[test]
    fn a_configured_source_replaces_the_builtin_locales() {
        let c = MessageCatalog::from_json(json!({"ForgotPassword": {"EmailSubject": "Reset"}}))
            .unwrap();
        let fr = Attributes::from_iter([("locale", "fr")]);
        assert_eq!(
            render(&c, MessageSource::ForgotPassword, &fr).email_subject,
            "Reset"
        );
        // The notice, not configured, keeps its French.
        let notice = c
            .password_changed(&MessageParams {
                code: "",
                username: "jane",
                link: None,
                attributes: &fr,
                client_metadata: None,
            })
            .unwrap();
        assert_eq!(notice.email_subject, "Votre mot de passe a été modifié");
    }

    #[test]
    fn the_top_level_form_is_forgot_password() {
        let c = MessageCatalog::from_json(json!({"SmsMessage": "Reset code {####}"})).unwrap();
        assert_eq!(
            render(&c, MessageSource::ForgotPassword, &Attributes::default()).sms_message,
            "Reset code {####}"
        );
    }

    #[test]
    fn a_bad_template_is_named() {
        let err = |v| MessageCatalog::from_json(v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"SignUp": {"Locales": {"fr": {"SmsMessage": "pas de code"}}}})),
            "template SignUp[fr]: SmsMessage must contain {####}"
        );
        assert!(err(json!({"AdminCreateUser": {"SmsMessage": "{####}"}})).contains("{username}"));
        assert!(
            err(json!({"Welcome": {}})).starts_with("template Welcome: unknown trigger source")
        );
        assert!(err(json!({"SignUp": {"Sms": "x"}})).starts_with("template SignUp: unknown field"));
        assert!(
            err(json!({"CustomMessage_ResendCode": {"EmailSubject": ""}}))
                .starts_with("template ResendCode: EmailSubject")
        );
        assert!(
            err(json!({"EmailSubject": "a", "ForgotPassword": {}}))
                .contains("both at the top level")
        );
    }
}
