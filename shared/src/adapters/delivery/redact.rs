//! Service error messages may quote a recipient ("The following identities failed the check in
//! region US-EAST-1: jane@example.com"): mask addresses and numbers before a message is logged.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::domain::mask;

/// Every word that looks like an email address or a phone number masked, as a login is in a log
/// line (`mask::login`, by the domain's one `LoginForm` rule).
pub fn redact(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let core = word.trim_matches(|c: char| ",.;:()[]<>'\"".contains(c));
            word.replacen(core, &mask::login(core), 1)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An error and its sources on one line, recipients masked, bounded (an emulator may answer HTML).
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let text = redact(&text.replace(['\n', '\r'], " "));
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// `describe` of a failed call, after the HTTP status when there was a response (a proxy or an
/// emulator without the operation answers one the SDK cannot read).
pub fn describe_response<E: std::error::Error + 'static>(
    error: &SdkError<E, HttpResponse>,
) -> String {
    match error.raw_response() {
        Some(raw) => format!("HTTP {}: {}", raw.status().as_u16(), describe(error)),
        None => describe(error),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_and_numbers_are_masked_the_rest_kept() {
        assert_eq!(
            super::redact(
                "Email address is not verified. The following identities failed the check in region US-EAST-1: jane@example.com, +12065550142."
            ),
            "Email address is not verified. The following identities failed the check in region US-EAST-1: j***@e***.com, +*******0142."
        );
    }
}
