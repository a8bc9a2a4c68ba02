//! The pool's password policy, and the argon2id hash a new password is stored as.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use super::error::CognitoError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PasswordPolicy {
    pub minimum_length: u8,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }
}

/// The characters Cognito counts as symbols.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

impl PasswordPolicy {
    pub fn validated(self) -> Result<Self, String> {
        if !(6..=99).contains(&self.minimum_length) {
            return Err(format!(
                "MinimumLength must be 6-99, got {}",
                self.minimum_length
            ));
        }
        Ok(self)
    }

    /// Every rule the password breaks, in Cognito's words.
    pub fn check(&self, password: &str) -> Result<(), CognitoError> {
        let mut missing = Vec::new();
        if password.chars().count() < self.minimum_length as usize {
            missing.push("Password not long enough");
        }
        type Rule = (bool, fn(char) -> bool, &'static str);
        let rules: [Rule; 4] = [
            (
                self.require_uppercase,
                |c| c.is_uppercase(),
                "Password must have uppercase characters",
            ),
            (
                self.require_lowercase,
                |c| c.is_lowercase(),
                "Password must have lowercase characters",
            ),
            (
                self.require_numbers,
                |c| c.is_ascii_digit(),
                "Password must have numeric characters",
            ),
            (
                self.require_symbols,
                |c| SYMBOLS.contains(c),
                "Password must have symbol characters",
            ),
        ];
        for (required, test, message) in rules {
            if required && !password.chars().any(test) {
                missing.push(message);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(CognitoError::InvalidPassword(missing.join("; ")))
        }
    }
}

fn argon2id() -> Argon2<'static> {
    // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane (argon2's own defaults).
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The PHC string of `password` with the given random salt.
pub fn hash(password: &str, salt: &[u8; 16]) -> Result<String, CognitoError> {
    let salt = SaltString::encode_b64(salt).map_err(|e| {
        tracing::error!(error = %e, "salt encoding failed");
        CognitoError::InternalError
    })?;
    argon2id()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            CognitoError::InternalError
        })
}

/// Whether `password` matches a stored PHC string (argon2 compares in constant time).
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        argon2id()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_missing_rule() {
        let p = PasswordPolicy::default();
        assert!(p.check("N3w-Passw0rd!").is_ok());
        let err = p.check("short").unwrap_err();
        assert_eq!(err.kind(), "InvalidPasswordException");
        assert_eq!(
            err.to_string(),
            "Password does not conform to policy: Password not long enough; Password must have uppercase \
             characters; Password must have numeric characters; Password must have symbol characters"
        );
        let relaxed = PasswordPolicy {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
        };
        assert!(relaxed.check("abcdef").is_ok());
        assert!(
            PasswordPolicy {
                minimum_length: 5,
                ..relaxed
            }
            .validated()
            .is_err()
        );
    }

    #[test]
    fn argon2id_round_trip() {
        let phc = hash("N3w-Passw0rd!", &[9u8; 16]).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"));
        assert!(verify("N3w-Passw0rd!", &phc));
        assert!(!verify("wrong", &phc));
        assert!(!verify("N3w-Passw0rd!", "not a phc string"));
    }
}
