//! UserMigration: importing a user from a migration source, for the Lambda trigger and in-process for
//! forgot-password (as Cognito calls UserMigration_ForgotPassword for a user it does not know).

use rand::CryptoRng;

use crate::domain::error::CognitoError;
use crate::domain::mask;
use crate::domain::migration::{self, Migration, SourceUser};
use crate::domain::pool::PreventUserExistenceErrors;
use crate::domain::recovery::AccountRecovery;
use crate::domain::request::ForgotPasswordRequest;
use crate::domain::source_password;
use crate::domain::user::User;
use crate::ports::{Created, MigrationSource, StoreError};

use super::ResetService;
pub use super::errors::MigrationError;
use super::errors::{directory_error, migration_trigger_error};
use super::pool_triggers::UserMigrationCall;

fn store(e: StoreError) -> MigrationError {
    tracing::error!(error = %e, "migration source failure");
    MigrationError::Store(e)
}

/// UserMigration_ForgotPassword.
pub async fn for_forgot_password(
    source: &dyn MigrationSource,
    recovery: &AccountRecovery,
    login: &str,
) -> Result<Migration, MigrationError> {
    source_user_for_reset(source, recovery, login)
        .await
        .map(|(_, migration)| migration)
}

/// The source user `login` names (by username or alias) and their migration.
async fn source_user_for_reset(
    source: &dyn MigrationSource,
    recovery: &AccountRecovery,
    login: &str,
) -> Result<(SourceUser, Migration), MigrationError> {
    let found = source
        .find(login)
        .await
        .map_err(store)?
        .ok_or(MigrationError::UnknownUser)?;
    let migration = migration::for_reset(&found, recovery).map_err(MigrationError::Refused)?;
    Ok((found, migration))
}

/// UserMigration_Authentication: the password checked against the source hash. An unknown user or
/// a user without a hash costs the same work and gets the same answer as a wrong password.
pub async fn for_sign_in(
    source: &dyn MigrationSource,
    recovery: &AccountRecovery,
    login: &str,
    password: &str,
) -> Result<Migration, MigrationError> {
    let found = source.find(login).await.map_err(store)?;
    let verified = match found.as_ref().and_then(|l| l.password_hash.as_deref()) {
        Some(hash) => source_password::verify(password, hash),
        None => {
            source_password::burn(password);
            false
        }
    };
    match found {
        Some(found) if verified => Ok(migration::for_sign_in(&found, recovery)),
        _ => {
            tracing::info!(user = %mask::login(login), "source sign-in refused");
            Err(MigrationError::IncorrectCredentials)
        }
    }
}

/// UserMigration_ForgotPassword for a login the directory does not know, as Cognito runs it: the
/// pool's own function where it has one this service invokes (`PoolTriggers`), else in-process
/// from the migration source. The user is created in the directory and returned. `None`: nobody
/// to migrate (an unknown user, answered as one).
pub(super) async fn migrate_for_reset<R: CryptoRng + Send>(
    service: &ResetService,
    request: &ForgotPasswordRequest,
    login: &str,
    rng: &mut R,
) -> Result<Option<User>, CognitoError> {
    let migrated = match &service.triggers {
        Some(triggers) if triggers.user_migration.is_some() => {
            let call = UserMigrationCall {
                user_pool_id: &service.pool.user_pool_id,
                client_id: &request.client_id,
                user_name: login,
                client_metadata: request.client_metadata.as_ref(),
            };
            triggers
                .user_migration(&call, &service.pool.recovery)
                .await
                .map(|answer| answer.map(|migration| (login.to_string(), migration)))
        }
        _ => None,
    };
    let migrated = match migrated {
        Some(answer) => answer,
        None => {
            let Some(source) = service.ports.migration_source.as_deref() else {
                return Ok(None);
            };
            source_user_for_reset(source, &service.pool.recovery, login)
                .await
                .map(|(found, migration)| (found.username, migration))
        }
    };
    let prevent = service.pool.prevent_user_existence_errors;
    match migrated {
        Ok((username, migration)) => create(service, login, &username, migration, rng).await,
        Err(MigrationError::UnknownUser) => Ok(None),
        // As for a directory user without a verified channel.
        Err(MigrationError::Refused(e)) => match prevent {
            PreventUserExistenceErrors::Legacy => Err(e),
            PreventUserExistenceErrors::Enabled => Ok(None),
        },
        // The pool's function threw ("User not found", or any error of its own): under
        // PreventUserExistenceErrors the unknown user's answer, which tells nothing.
        Err(MigrationError::Threw(e)) => match prevent {
            PreventUserExistenceErrors::Legacy => Err(e),
            PreventUserExistenceErrors::Enabled => Ok(None),
        },
        Err(MigrationError::Unusable(e)) => Err(e),
        Err(e) => Err(migration_trigger_error(e)),
    }
}

/// The migrated user created in the directory under `username` (the source's, or the login the
/// pool's function was given) and read back as the directory holds it. `None`: the directory
/// would not take it (an alias another user holds) and has no user by that name.
async fn create<R: CryptoRng + Send>(
    service: &ResetService,
    login: &str,
    username: &str,
    migration: Migration,
    rng: &mut R,
) -> Result<Option<User>, CognitoError> {
    // Named as the source names them, whatever login was typed: a user who asked by email is
    // still found by their old username afterwards. (Cognito's trigger creates the user under
    // the username it is given; for a login typed as an alias, the directory decides what
    // stands in where an alias cannot be a username.)
    let user = migration.into_user(username, migration::new_sub(rng));
    let users = &service.ports.users;
    match users.create(&user).await.map_err(directory_error)? {
        Created::Created => {
            tracing::info!(user = %mask::login(login), "user migrated");
            // Read back: the directory may name the user itself (a Cognito pool with email as
            // username assigns a UUID), and codes are keyed by the directory's username, which
            // confirm will look up. By the username given, else by the login typed (an alias
            // the new user now has).
            let read = match users.find(&user.username).await.map_err(directory_error)? {
                Some(read) => Some(read),
                None => users.find(login).await.map_err(directory_error)?,
            };
            Ok(read.or(Some(user)))
        }
        // Created meanwhile (a concurrent request): the directory's user is the one.
        Created::Exists => users.find(&user.username).await.map_err(directory_error),
    }
}
