//! Fuzzing the UserMigration handler with proptest: any event, and real ones with one field
//! replaced by anything. No panic; the answer is the event with `response` filled, or a Lambda
//! error with a name and a message (Cognito's UserLambdaValidationException).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../shared/tests/support/arb_json.rs"]
mod arb_json;

use std::sync::Arc;

use arb_json::{CASES, json, mutate};
use lambda_runtime::{Context, LambdaEvent};
use password_reset::adapters::migration_source::memory::MemorySourceUsers;
use password_reset::config::Settings;
use proptest::prelude::*;
use serde_json::Value;
use user_migration::Migrator;

fn migrator() -> Migrator {
    let s = Settings::from_json(include_str!("../../../config/demo-pool.json")).unwrap();
    Migrator {
        source: Arc::new(MemorySourceUsers::new(s.source_users.unwrap())),
        recovery: s.pool.recovery,
    }
}

fn real_events() -> Vec<Value> {
    ["ForgotPassword", "Authentication"]
        .iter()
        .map(|s| {
            let path = format!(
                "{}/../../events/user-migration-{s}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        })
        .collect()
}

fn check(event: Value) -> Result<(), TestCaseError> {
    let answered = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(user_migration::handle(
            &migrator(),
            LambdaEvent::new(event, Context::default()),
        ));
    match answered {
        Ok(answer) => prop_assert!(answer["response"].is_object(), "{}", answer),
        Err(d) => {
            prop_assert!(
                !d.error_type.is_empty() && !d.error_message.is_empty(),
                "{:?}",
                d
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn any_event(event in json()) {
        check(event)?;
    }

    #[test]
    fn real_events_with_one_field_changed(
        which in 0..2usize, pick: usize, value in proptest::option::of(json())) {
        check(mutate(&real_events()[which], pick, value))?;
    }
}
