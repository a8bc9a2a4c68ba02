//! The one error of settings: which setting, and what is wrong with it.

/// A setting that cannot be used, named as the operator wrote it (an environment variable, a pool
/// file field, a command-line option).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(setting: &str, problem: impl std::fmt::Display) -> Self {
        Self {
            setting: setting.to_string(),
            problem: problem.to_string(),
        }
    }
}
