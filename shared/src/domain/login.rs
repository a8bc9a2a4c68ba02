//! One form of a login for everything keyed on it: the directory lookup, the decoy record, the
//! request limit and the mask. Two spellings the pool treats as one login must never get two
//! answers, or the difference tells which logins exist. What a login looks like (an email, a
//! phone number, a sub) is decided here and nowhere else: by the lookups of every directory, the
//! masks in logs and the redaction of service messages.

use unicode_normalization::UnicodeNormalization;

/// The login as the pool compares it: Unicode NFKC (so `ｊａｎｅ` and `jane` are one login), then
/// lower case where the pool is case-insensitive (Cognito's default since 2020), normalized again
/// since lower-casing may leave a string NFKC changes.
pub fn normalize(login: &str, case_sensitive: bool) -> String {
    let nfkc: String = login.nfkc().collect();
    if case_sensitive {
        nfkc
    } else {
        nfkc.to_lowercase().nfkc().collect()
    }
}

/// What a login looks like, which decides the medium a simulated answer claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginForm {
    /// Contains `@`: an email alias (or email-as-username).
    Email,
    /// `+` and digits: a phone_number alias (or phone-as-username).
    Phone,
    /// Anything else: a username, preferred_username or sub (`looks_like_sub` tells the last).
    Username,
}

impl LoginForm {
    pub fn of(login: &str) -> Self {
        if login.contains('@') {
            Self::Email
        } else if login
            .strip_prefix('+')
            .is_some_and(|digits| digits.len() > 4 && digits.bytes().all(|b| b.is_ascii_digit()))
        {
            Self::Phone
        } else {
            Self::Username
        }
    }

    /// The standard attribute a login of this form stands for as an alias (or as a username
    /// attribute): `email`, `phone_number`; none for a username.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Self::Email => Some("email"),
            Self::Phone => Some("phone_number"),
            Self::Username => None,
        }
    }
}

/// A `Username`-form login shaped like a sub (a UUID: 8-4-4-4-12 hex digits), which a directory
/// may resolve by sub when no user has it as username.
pub fn looks_like_sub(login: &str) -> bool {
    let groups: Vec<&str> = login.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn case_and_compatibility_forms_fold_in_a_case_insensitive_pool() {
        assert_eq!(normalize("JANE@EXAMPLE.COM", false), "jane@example.com");
        assert_eq!(normalize("ｊａｎｅ", false), "jane");
        assert_eq!(normalize("Ｊane", true), "Jane");
        assert_eq!(normalize("JANE", true), "JANE");
        // NFKC composes: e + combining acute is é.
        assert_eq!(normalize("rene\u{301}", false), "ren\u{e9}");
    }

    #[test]
    fn forms() {
        assert_eq!(LoginForm::of("jane@example.com"), LoginForm::Email);
        assert_eq!(LoginForm::of("+12065550142"), LoginForm::Phone);
        assert_eq!(LoginForm::of("+123"), LoginForm::Username);
        assert_eq!(LoginForm::of("jane"), LoginForm::Username);
        assert_eq!(LoginForm::of("12065550142"), LoginForm::Username);
        assert_eq!(LoginForm::of("+"), LoginForm::Username);
    }

    #[test]
    fn subs() {
        assert!(looks_like_sub("7d8ca528-4931-4254-9273-ea5ee853f271"));
        assert!(looks_like_sub("7d8e2f10-1b3c-4c5d-9e6f-0a1b2c3d4e5f"));
        assert!(!looks_like_sub("jane"));
        assert!(!looks_like_sub("7d8ca528-4931-4254-9273-ea5ee853f27z"));
        assert_eq!(
            LoginForm::of("7d8e2f10-1b3c-4c5d-9e6f-0a1b2c3d4e5f"),
            LoginForm::Username
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn normalizing_is_idempotent(login in "\\PC{1,40}", case_sensitive: bool) {
            let once = normalize(&login, case_sensitive);
            prop_assert_eq!(normalize(&once, case_sensitive), once);
        }
    }
}
