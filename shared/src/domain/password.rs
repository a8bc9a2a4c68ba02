//! The pool's password policy, and the argon2id hash a new password is stored as.

use std::sync::Mutex;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

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

/// argon2 working memory, reused. glibc keeps a freed 19 MiB block in the arena of the thread that
/// freed it, so hashing on tokio's short-lived blocking threads grew a warm Lambda by about 13 MB
/// per call (217 MB after 21 confirms). Reused blocks bound memory by the hashes running at once.
static WORKING_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// How many argon2 working buffers are kept for reuse (each 19 MiB): at most the number of hashes
/// that ever ran at once.
pub fn pooled_buffers() -> usize {
    WORKING_MEMORY.lock().map(|pool| pool.len()).unwrap_or(0)
}

fn with_working_memory<T>(blocks: usize, run: impl FnOnce(&mut [Block]) -> T) -> T {
    let mut memory = WORKING_MEMORY
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default();
    memory.resize(blocks, Block::default());
    let result = run(&mut memory);
    if let Ok(mut pool) = WORKING_MEMORY.lock() {
        pool.push(memory);
    }
    result
}

fn internal(what: &'static str) -> impl Fn(argon2::Error) -> CognitoError {
    move |e| {
        tracing::error!(error = %e, "{what}");
        CognitoError::InternalError
    }
}

/// The PHC string of `password` with the given random salt: argon2id v19 with OWASP's baseline,
/// 19 MiB, 2 passes, 1 lane (argon2's own defaults).
pub fn hash(password: &str, salt: &[u8; 16]) -> Result<String, CognitoError> {
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    with_working_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    })
    .map_err(internal("password hashing failed"))?;
    let salt = SaltString::encode_b64(salt).map_err(|e| {
        tracing::error!(error = %e, "salt encoding failed");
        CognitoError::InternalError
    })?;
    let encoded = || -> Result<String, argon2::password_hash::Error> {
        let phc = PasswordHash {
            algorithm: ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out)?),
        };
        Ok(phc.to_string())
    };
    encoded().map_err(|e| {
        tracing::error!(error = %e, "PHC encoding failed");
        CognitoError::InternalError
    })
}

/// Whether `password` matches a stored argon2 PHC string (any variant and cost), compared in
/// constant time.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = with_working_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    });
    computed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
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
    fn the_hash_is_the_standard_argon2id_phc_string() {
        use argon2::password_hash::PasswordHasher;
        let salt = [9u8; 16];
        let standard = Argon2::default()
            .hash_password(b"N3w-Passw0rd!", &SaltString::encode_b64(&salt).unwrap())
            .unwrap()
            .to_string();
        assert_eq!(hash("N3w-Passw0rd!", &salt).unwrap(), standard);
    }

    #[test]
    fn verifies_other_argon2_variants_and_costs() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(&[5u8; 16]).unwrap();
        for (algorithm, m) in [
            (Algorithm::Argon2id, 4096),
            (Algorithm::Argon2i, 8192),
            (Algorithm::Argon2d, 1024),
        ] {
            let params = Params::new(m, 3, 1, Some(24)).unwrap();
            let phc = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"legacy", &salt)
                .unwrap()
                .to_string();
            assert!(verify("legacy", &phc), "{phc}");
            assert!(!verify("Legacy", &phc), "{phc}");
        }
    }

    #[test]
    fn working_memory_is_reused_across_threads() {
        for _ in 0..6 {
            std::thread::spawn(|| hash("N3w-Passw0rd!", &[1u8; 16]).unwrap())
                .join()
                .unwrap();
        }
        let pooled = WORKING_MEMORY.lock().unwrap().len();
        // Other tests hash concurrently; sequential hashes on fresh threads add no buffer of their own.
        assert!(pooled <= 4, "{pooled} buffers kept");
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
