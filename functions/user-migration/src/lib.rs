//! The UserMigration trigger's handler: decode the event, run the shared migration use case,
//! answer with the event and `response` filled, or with an error Cognito shows as
//! UserLambdaValidationException ("User does not exist." for an unknown user).

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsMigrateUser, CognitoEventUserPoolsMigrateUserResponse,
    CognitoEventUserPoolsMigrateUserTriggerSource as Source,
};
use lambda_runtime::{Diagnostic, LambdaEvent};
use password_reset::CognitoError;
use password_reset::adapters::migration_source::dynamodb::{DynamoDbSourceUsers, SourceTable};
use password_reset::adapters::migration_source::memory::MemorySourceUsers;
use password_reset::config::env::{self, Env, Spellings};
use password_reset::config::{ConfigError, recovery_from_env, source_users_from_env};
use password_reset::domain::migration::Migration;
use password_reset::domain::recovery::AccountRecovery;
use password_reset::metrics::{self, Operation, Outcome};
use password_reset::ports::MigrationSource;
use password_reset::usecases::migrate_user::{self, MigrationError};
use serde_json::Value;

/// What every invocation borrows: the migration source and the pool's recovery setting.
pub struct Migrator {
    pub source: Arc<dyn MigrationSource>,
    pub recovery: AccountRecovery,
}

/// Where the migrated users come from (`MIGRATION_SOURCE`).
#[derive(Debug, Clone, Copy)]
enum SourceKind {
    Dynamodb,
    Memory,
}

const SOURCES: Spellings<SourceKind> = Spellings {
    what: "a known source",
    values: &[
        ("dynamodb", SourceKind::Dynamodb),
        ("memory", SourceKind::Memory),
    ],
};

impl Migrator {
    /// Read once at start. `MIGRATION_SOURCE`: `dynamodb` (default; see `SourceTable::from_env`) or
    /// `memory` (`SOURCE_USERS_FILE`); `RECOVERY_MECHANISMS` as the pool's AccountRecoverySetting.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let recovery = recovery_from_env(&env::process)?;
        let kind = Env::new(&env::process)
            .choice(env::MIGRATION_SOURCE, &SOURCES)?
            .unwrap_or(SourceKind::Dynamodb);
        let source: Arc<dyn MigrationSource> = match kind {
            SourceKind::Dynamodb => {
                if Env::new(&env::process).text(env::SOURCE_TABLE).is_none() {
                    return Err(ConfigError::new(
                        env::SOURCE_TABLE,
                        "not set (MIGRATION_SOURCE=dynamodb needs it)",
                    ));
                }
                let table = SourceTable::from_env(&env::process)?;
                let sdk = password_reset::aws_sdk::load_sdk_config().await?;
                Arc::new(DynamoDbSourceUsers::connect(&sdk, table))
            }
            SourceKind::Memory => {
                let users = source_users_from_env(&env::process)?.ok_or_else(|| {
                    ConfigError::new(
                        env::SOURCE_USERS_FILE,
                        "not set (MIGRATION_SOURCE=memory needs it)",
                    )
                })?;
                Arc::new(MemorySourceUsers::new(users))
            }
        };
        Ok(Self { source, recovery })
    }
}

fn malformed(problem: &str) -> Diagnostic {
    tracing::warn!(problem, "unusable UserMigration event");
    CognitoError::InvalidParameter(format!("Unusable UserMigration event: {problem}.")).into()
}

pub async fn handle(migrator: &Migrator, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let answer = answer(migrator, event.payload).await;
    let outcome = match &answer {
        Ok(_) => Outcome::Answered,
        Err(e) if e.error_type == "InternalErrorException" => Outcome::StoreError,
        Err(e) if e.error_type == "InvalidParameterException" => Outcome::Ignored,
        Err(_) => Outcome::Rejected,
    };
    metrics::count(Operation::UserMigration, outcome);
    answer
}

/// The event with `response` filled, or the error Cognito turns into UserLambdaValidationException.
pub async fn answer(migrator: &Migrator, mut event: Value) -> Result<Value, Diagnostic> {
    let typed: CognitoEventUserPoolsMigrateUser =
        serde_json::from_value(event.clone()).map_err(|e| malformed(&e.to_string()))?;
    let header = &typed.cognito_event_user_pools_header;
    let login = header
        .user_name
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or(MigrationError::UnknownUser)?;
    let source = migrator.source.as_ref();
    let migrated = match header.trigger_source {
        Some(Source::ForgotPassword) => {
            migrate_user::for_forgot_password(source, &migrator.recovery, login).await
        }
        Some(Source::Authentication) => {
            let password = typed
                .cognito_event_user_pools_migrate_user_request
                .password
                .as_deref()
                .unwrap_or_default();
            migrate_user::for_sign_in(source, &migrator.recovery, login, password).await
        }
        _ => return Err(malformed("unknown triggerSource")),
    }?;
    let response =
        serde_json::to_value(response(migrated)).map_err(|e| malformed(&e.to_string()))?;
    if let Some(object) = event.as_object_mut() {
        object.insert("response".into(), response);
    }
    Ok(event)
}

fn response(m: Migration) -> CognitoEventUserPoolsMigrateUserResponse {
    let mut r = CognitoEventUserPoolsMigrateUserResponse::default();
    r.user_attributes = m.user_attributes.into_iter().collect::<HashMap<_, _>>();
    r.final_user_status = Some(m.final_user_status.as_str().into());
    r.message_action = Some(m.message_action.into());
    r.desired_delivery_mediums = (!m.desired_delivery_mediums.is_empty()).then(|| {
        m.desired_delivery_mediums
            .iter()
            .map(|d| d.as_str().to_string())
            .collect()
    });
    r
}
