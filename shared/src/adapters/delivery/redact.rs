//! Service error messages may quote a recipient ("The following identities failed the check in
//! region US-EAST-1: jane@example.com"): mask addresses and numbers before a message is logged.

use crate::domain::mask;

/// Every word that looks like an email address or an E.164 number, masked.
pub fn redact(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let core = word.trim_matches(|c: char| ",.;:()[]<>'\"".contains(c));
            if core.is_empty() {
                return word.to_string();
            }
            let masked = if core.contains('@') {
                mask::email(core)
            } else if core.starts_with('+')
                && core.len() > 5
                && core[1..].bytes().all(|b| b.is_ascii_digit())
            {
                mask::phone(core)
            } else {
                return word.to_string();
            };
            word.replacen(core, &masked, 1)
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
