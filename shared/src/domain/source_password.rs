//! Passwords hashed by an old system: argon2 (PHC string) and bcrypt (`$2a$`, `$2b$`, `$2y$`).
//! Both libraries compare digests in constant time.

use std::sync::LazyLock;

/// The hash kinds a source password can be verified against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    Argon2,
    Bcrypt,
}

impl HashKind {
    pub fn of(stored: &str) -> Option<Self> {
        if stored.starts_with("$argon2") {
            Some(Self::Argon2)
        } else if ["$2a$", "$2b$", "$2y$", "$2x$"]
            .iter()
            .any(|p| stored.starts_with(p))
        {
            Some(Self::Bcrypt)
        } else {
            None
        }
    }
}

/// Whether `password` matches the source system's `stored` hash; an unrecognised hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match HashKind::of(stored) {
        Some(HashKind::Argon2) => super::password::verify(password, stored),
        Some(HashKind::Bcrypt) => bcrypt::verify(password, stored).unwrap_or(false),
        None => {
            burn(password);
            false
        }
    }
}

/// A hash nobody's password matches, computed once, so a miss costs what a check costs.
static DECOY: LazyLock<Option<String>> =
    LazyLock::new(|| super::password::hash("decoy password", &[0x5a; 16]).ok());

/// The work of one verification, for an unknown user or a user without a hash, so the answer
/// takes about as long as for a known user.
pub fn burn(password: &str) {
    if let Some(decoy) = DECOY.as_deref() {
        let _ = super::password::verify(password, decoy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_and_argon2id_hashes_verify() {
        let bcrypt_hash = bcrypt::hash_with_salt("Legacy-Passw0rd!", 4, [7u8; 16])
            .unwrap()
            .to_string();
        assert_eq!(HashKind::of(&bcrypt_hash), Some(HashKind::Bcrypt));
        assert!(verify("Legacy-Passw0rd!", &bcrypt_hash));
        assert!(!verify("legacy-passw0rd!", &bcrypt_hash));
        let argon = super::super::password::hash("Legacy-Passw0rd!", &[1u8; 16]).unwrap();
        assert_eq!(HashKind::of(&argon), Some(HashKind::Argon2));
        assert!(verify("Legacy-Passw0rd!", &argon));
        assert!(!verify("Legacy-Passw0rd", &argon));
        // $2y$ (PHP's prefix) verifies too.
        let php = bcrypt_hash.replacen("$2b$", "$2y$", 1);
        assert!(verify("Legacy-Passw0rd!", &php));
    }

    #[test]
    fn unknown_or_broken_hashes_never_match() {
        assert!(!verify("x", "5f4dcc3b5aa765d61d8327deb882cf99"));
        assert!(!verify("x", "$2b$04$short"));
        assert!(!verify("x", "$argon2id$garbage"));
        assert!(!verify("", ""));
    }
}
