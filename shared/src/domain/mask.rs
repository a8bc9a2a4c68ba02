//! Destinations as Cognito shows them: `j***@e***.com`, `+*******0142`.

use crate::domain::login::LoginForm;

/// `jane@example.com` -> `j***@e***.com`: first character of the local part, first character of
/// the domain, then the top-level domain.
pub fn email(address: &str) -> String {
    let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let tld = domain.rsplit_once('.').map(|(_, tld)| tld).unwrap_or("");
    if tld.is_empty() {
        format!("{}***@{}***", first(local), first(domain))
    } else {
        format!("{}***@{}***.{tld}", first(local), first(domain))
    }
}

/// `+12065550142` -> `+*******0142`: one `*` per hidden digit, the last four shown.
pub fn phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let shown = digits.len().min(4);
    let hidden = digits.len() - shown;
    let tail: String = digits[hidden..].iter().collect();
    format!("+{}{tail}", "*".repeat(hidden))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seed_examples() {
        assert_eq!(email("jane@example.com"), "j***@e***.com");
        assert_eq!(phone("+12065550142"), "+*******0142");
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        assert_eq!(email("a@b"), "a***@b***");
        assert_eq!(email("x@mail.example.co.uk"), "x***@m***.uk");
        assert_eq!(phone("+12"), "+12");
    }

    proptest! {
        #[test]
        fn phone_mask_hides_all_but_four(digits in "[0-9]{5,15}") {
            let masked = phone(&format!("+{digits}"));
            prop_assert_eq!(masked.len(), digits.len() + 1);
            prop_assert!(masked.ends_with(&digits[digits.len() - 4..]));
            prop_assert_eq!(masked.matches('*').count(), digits.len() - 4);
        }

        #[test]
        fn email_mask_never_reveals_more_than_two_letters_and_the_tld(
            local in "[a-z]{1,20}", host in "[a-z]{1,20}", tld in "[a-z]{2,6}") {
            let masked = email(&format!("{local}@{host}.{tld}"));
            prop_assert_eq!(masked, format!("{}***@{}***.{}", &local[..1], &host[..1], tld));
        }
    }
}

/// A login (username or alias) as it may appear in a log line: emails and phone numbers (by the
/// one `LoginForm` rule) masked.
pub fn login(value: &str) -> String {
    match LoginForm::of(value) {
        LoginForm::Email => email(value),
        LoginForm::Phone => phone(value),
        LoginForm::Username => value.to_string(),
    }
}

#[cfg(test)]
mod login_tests {
    #[test]
    fn logins_are_masked_by_shape() {
        assert_eq!(super::login("jane@example.com"), "j***@e***.com");
        assert_eq!(super::login("+12065550142"), "+*******0142");
        assert_eq!(super::login("jane"), "jane");
    }
}
