//! Message text: templates with `{####}` for the code and `{username}` for the user.

use serde::{Deserialize, Serialize};

pub const CODE_PLACEHOLDER: &str = "{####}";
pub const USERNAME_PLACEHOLDER: &str = "{username}";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MessageTemplates {
    pub email_subject: String,
    pub email_message: String,
    pub sms_message: String,
}

impl Default for MessageTemplates {
    fn default() -> Self {
        Self {
            email_subject: "Your password reset code".into(),
            email_message: "Hello {username},\n\nYour password reset code is {####}. It expires in one hour.\n\n\
                            If you did not ask to reset your password, you can ignore this message."
                .into(),
            sms_message: "Your password reset code is {####}".into(),
        }
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

/// Replaces every occurrence of `{####}` with the code and of `{username}` with the username.
pub fn render(template: &str, code: &str, username: &str) -> String {
    template
        .replace(CODE_PLACEHOLDER, code)
        .replace(USERNAME_PLACEHOLDER, username)
}

impl MessageTemplates {
    /// Cognito's rules: each message carries the code; subject 1-140, email up to 20,000, SMS up to 140.
    pub fn validated(self) -> Result<Self, String> {
        if !self.email_message.contains(CODE_PLACEHOLDER)
            || !self.sms_message.contains(CODE_PLACEHOLDER)
        {
            return Err(format!(
                "email and SMS templates must contain {CODE_PLACEHOLDER}"
            ));
        }
        let subject = self.email_subject.chars().count();
        if !(1..=140).contains(&subject) {
            return Err(format!(
                "email subject must be 1-140 characters, got {subject}"
            ));
        }
        if self.email_message.chars().count() > 20_000 {
            return Err("email message must be at most 20,000 characters".into());
        }
        if self.sms_message.chars().count() > 140 {
            return Err("SMS message must be at most 140 characters".into());
        }
        Ok(self)
    }

    pub fn email(&self, code: &str, username: &str) -> RenderedMessage {
        RenderedMessage {
            subject: render(&self.email_subject, code, username),
            body: render(&self.email_message, code, username),
            code: code.to_string(),
        }
    }

    pub fn sms(&self, code: &str, username: &str) -> RenderedMessage {
        RenderedMessage {
            subject: String::new(),
            body: render(&self.sms_message, code, username),
            code: code.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_replaced() {
        assert_eq!(
            render("{####} / {####} for {username}", "123456", "jane"),
            "123456 / 123456 for jane"
        );
    }

    #[test]
    fn defaults_carry_the_code_and_pass_the_limits() {
        let t = MessageTemplates::default().validated().unwrap();
        assert!(t.email("424242", "jane").body.contains("424242"));
        assert!(t.email("424242", "jane").body.contains("jane"));
        assert!(t.sms("424242", "jane").body.contains("424242"));
    }

    #[test]
    fn templates_breaking_the_limits_are_refused() {
        let no_code = MessageTemplates {
            sms_message: "hi".into(),
            ..Default::default()
        };
        assert!(no_code.validated().is_err());
        let long_sms = MessageTemplates {
            sms_message: format!("{{####}}{}", "x".repeat(140)),
            ..Default::default()
        };
        assert!(long_sms.validated().is_err());
        let empty_subject = MessageTemplates {
            email_subject: String::new(),
            ..Default::default()
        };
        assert!(empty_subject.validated().is_err());
    }
}
