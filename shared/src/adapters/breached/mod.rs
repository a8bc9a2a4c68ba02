//! Where new passwords are looked up among breached ones (`BreachedPasswords`): Have I Been
//! Pwned's range API (`pwned`, the `pwned-passwords` feature), when `PWNED_PASSWORDS` is on.

#[cfg(feature = "pwned-passwords")]
pub mod pwned;
#[cfg(feature = "pwned-passwords")]
mod range_cache;

use std::sync::Arc;

use crate::config::{ConfigError, Wiring};
use crate::ports::BreachedPasswords;

/// The range API `wiring` names; `None` when `PWNED_PASSWORDS` is off. `Wiring` refuses the
/// setting in a build without the feature.
pub fn build(wiring: &Wiring) -> Result<Option<Arc<dyn BreachedPasswords>>, ConfigError> {
    #[cfg(feature = "pwned-passwords")]
    if let Some(settings) = &wiring.pwned_passwords {
        return Ok(Some(Arc::new(pwned::PwnedPasswords::new(settings)?)));
    }
    #[cfg(not(feature = "pwned-passwords"))]
    let _ = wiring;
    Ok(None)
}
