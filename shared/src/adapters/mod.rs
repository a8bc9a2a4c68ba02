//! Implementations of the ports, one folder per port they serve: `directory/` (`UserDirectory`,
//! `AppClients`), `codes/` (`CodeStore`), `migration_source/` (`MigrationSource`), `delivery/`
//! (`EmailSender`, `SmsSender`), `breached/` (`BreachedPasswords`). Beside them: `dynamodb_tables/`, the two tables the DynamoDB
//! directory and code store share; `aws_errors`, the one mapping of AWS SDK failures to store
//! errors (Cognito's and DynamoDB's); `esdk/`, the Encryption SDK decrypt of the custom sender's
//! codes, and the encrypt of those a pool's own custom sender is handed (`CodeEncryption`).

#[cfg(any(feature = "cognito", feature = "dynamodb"))]
pub(crate) mod aws_errors;
pub mod breached;
pub mod codes;
pub mod delivery;
pub mod directory;
#[cfg(feature = "dynamodb")]
pub mod dynamodb_tables;
#[cfg(feature = "kms")]
pub mod esdk;
pub mod migration_source;
/// The origin secret CloudFront sends (`ORIGIN_VERIFY_SECRET_ARN`), from Secrets Manager.
#[cfg(feature = "secrets")]
pub mod origin_secret;
pub mod owed_sign_outs;
pub mod triggers;
