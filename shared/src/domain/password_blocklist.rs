//! NIST SP 800-63B-4 §3.1.1.2: a new password is compared with a blocklist of commonly used,
//! expected or compromised values. Here, beside the pool's own policy:
//! - the commonest passwords, embedded (`common_passwords.txt` says where they come from), in any
//!   case, and with digits or symbols added at the end (`Password1!` is `password`'s);
//! - the values a user of this pool is expected to pick (`ExpectedWords`): the login, the username,
//!   the email's local part, the app's name, anywhere in the password, in any case.
//!
//! A refusal is an `InvalidPasswordException` whose reason names the rule, never the password.

use std::sync::OnceLock;

use super::error::CognitoError;

/// Why a password is refused, in the words the answer gives (after Cognito's "Password does not
/// conform to policy: ").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// On the list of common passwords.
    Common,
    /// Contains the login, the username, the email's local part or the app's name.
    Expected,
    /// Seen in known data breaches (Have I Been Pwned, `PWNED_PASSWORDS`).
    Breached,
}

impl Blocked {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Common => {
                "Password is too common: it is on a list of common and breached passwords"
            }
            Self::Expected => {
                "Password must not contain the username, the email address or the app's name"
            }
            Self::Breached => {
                "Password has appeared in a data breach: choose one not used elsewhere"
            }
        }
    }

    /// Cognito's error for a password the pool refuses: the code stays usable.
    pub fn refusal(self) -> CognitoError {
        CognitoError::InvalidPassword(self.reason().into())
    }
}

/// The embedded list: lines after the `# ` header, sorted bytewise.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn common_passwords() -> &'static [&'static str] {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .skip_while(|line| line.starts_with("# "))
            .collect()
    })
}

/// Whether `password` is a common one, in any case, or one with only digits and symbols added at
/// its end.
pub fn is_common(password: &str) -> bool {
    let list = common_passwords();
    let listed = |candidate: &str| list.binary_search(&candidate).is_ok();
    let lowered = password.to_lowercase();
    let stem = lowered.trim_end_matches(|c: char| !c.is_alphabetic());
    listed(&lowered) || (stem.len() < lowered.len() && listed(stem))
}

/// Words shorter than this are too likely inside a good password by chance (and a password
/// equal to one is shorter than any pool allows).
const MIN_WORD_CHARS: usize = 4;

/// NIST's context-specific words for one request: none may appear in the new password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExpectedWords(Vec<String>);

impl std::fmt::Debug for ExpectedWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExpectedWords({} words)", self.0.len())
    }
}

impl ExpectedWords {
    /// The words, lower-cased; an email address adds its local part.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut words = Vec::new();
        for value in values {
            let value = value.trim().to_lowercase();
            if let Some((local, _)) = value.split_once('@') {
                words.push(local.to_string());
            }
            words.push(value);
        }
        words.retain(|w| w.chars().count() >= MIN_WORD_CHARS);
        words.sort();
        words.dedup();
        Self(words)
    }

    /// Whether any word appears in `password`, in any case.
    pub fn found_in(&self, password: &str) -> bool {
        let lowered = password.to_lowercase();
        self.0.iter().any(|word| lowered.contains(word.as_str()))
    }
}

/// The checks that need nothing but the request: the list, and the words the request itself
/// names (the login as given, the app's names). They tell nothing about who exists, so they run
/// with the pool's policy, before any user is looked at.
pub fn check(password: &str, expected: &ExpectedWords) -> Result<(), Blocked> {
    if is_common(password) {
        return Err(Blocked::Common);
    }
    if expected.found_in(password) {
        return Err(Blocked::Expected);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_holds_the_commonest_passwords() {
        let list = common_passwords();
        assert!(list.len() > 18_000, "{}", list.len());
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert!(
            list.iter()
                .all(|p| p.chars().count() >= 6 && *p == p.to_lowercase())
        );
        for common in [
            "123456",
            "password",
            "qwerty123",
            "password1!",
            "p@ssw0rd",
            "#1bitch",
        ] {
            assert!(is_common(common), "{common}");
        }
    }

    #[test]
    fn common_passwords_are_refused_in_any_case_and_with_an_ending_added() {
        // Each meets Cognito's default policy: upper, lower, number, symbol, 8 characters.
        for weak in [
            "Password1!",
            "P@ssw0rd",
            "Qwerty123!",
            "Sunshine2024!",
            "MONKEY123$",
        ] {
            assert_eq!(
                check(weak, &ExpectedWords::default()),
                Err(Blocked::Common),
                "{weak}"
            );
        }
        for fine in ["N3w-Passw0rd!", "Correct-H0rse-Battery", "tR4v3l-Mug-9!"] {
            assert_eq!(check(fine, &ExpectedWords::default()), Ok(()), "{fine}");
        }
    }

    #[test]
    fn expected_words_are_refused_anywhere_in_any_case() {
        let words = ExpectedWords::new(["Jane.Doe@Example.com", "jdoe", "Acme Portal", "ab"]);
        for expected in [
            "Jane.Doe-2026!",
            "My-jdoe-Key1",
            "acme portal 9X!",
            "x-JANE.DOE@EXAMPLE.COM",
        ] {
            assert_eq!(
                check(expected, &words),
                Err(Blocked::Expected),
                "{expected}"
            );
        }
        // A word under four characters is ignored: "ab" is in many good passwords.
        assert_eq!(check("Tabby-Cat-F1sh!", &words), Ok(()));
        assert_eq!(
            Blocked::Expected.refusal().to_string(),
            "Password does not conform to policy: Password must not contain the username, the \
             email address or the app's name"
        );
        assert!(
            !format!("{words:?}").contains("jdoe"),
            "the words are not logged"
        );
    }
}
