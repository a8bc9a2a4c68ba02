//! Fuzzing the UserMigration handler with proptest: any event, and real ones with one field
//! replaced by anything. No panic; the answer is the event with `response` filled, or a Lambda
//! error with a name and a message (Cognito's UserLambdaValidationException).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use lambda_runtime::{Context, LambdaEvent};
use proptest::prelude::*;
use serde_json::Value;
use test_support::arb_json::sample_events;
use test_support::fuzz_events;
use test_support::service::{demo_settings, demo_source_users};
use user_migration::Migrator;

fn migrator() -> Migrator {
    Migrator {
        source: Arc::new(demo_source_users()),
        recovery: demo_settings().pool.recovery,
    }
}

fn real_events() -> Vec<Value> {
    sample_events("user-migration", &["ForgotPassword", "Authentication"])
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

fuzz_events!(check, 2usize, real_events());
