//! One form of a login for everything keyed on it: the directory lookup, the decoy record, the
//! request limit and the mask. Two spellings the pool treats as one login must never get two
//! answers, or the difference tells which logins exist.

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
    /// Anything else: a username, preferred_username or sub.
    Username,
}

impl LoginForm {
    pub fn of(login: &str) -> Self {
        if login.contains('@') {
            Self::Email
        } else if login.len() > 5
            && login.starts_with('+')
            && login[1..].bytes().all(|b| b.is_ascii_digit())
        {
            Self::Phone
        } else {
            Self::Username
        }
    }
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
