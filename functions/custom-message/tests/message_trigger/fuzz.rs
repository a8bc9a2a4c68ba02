//! Fuzzing the CustomMessage handler with proptest: any event, and real ones with one field
//! replaced by anything. No panic; the answer is the event with `response` filled, or the event
//! unchanged (Cognito then sends its own default message).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lambda_runtime::{Context, LambdaEvent};
use password_reset::domain::message_catalog::MessageCatalog;
use proptest::prelude::*;
use serde_json::Value;
use test_support::arb_json::sample_events;
use test_support::fuzz_events;

fn real_events() -> Vec<Value> {
    sample_events(
        "custom-message",
        &["ForgotPassword", "SignUp", "AdminCreateUser"],
    )
}

fn answer(event: Value) -> Result<Value, lambda_runtime::Diagnostic> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(custom_message::handle(
            &MessageCatalog::default(),
            LambdaEvent::new(event, Context::default()),
        ))
}

fn check(event: Value) -> Result<(), TestCaseError> {
    let answered = answer(event.clone());
    let Ok(answered) = answered else {
        return Err(TestCaseError::fail(format!("{answered:?}")));
    };
    if answered != event {
        // Only `response` may change.
        let (mut a, mut e) = (answered.clone(), event.clone());
        a.as_object_mut().unwrap().remove("response");
        e.as_object_mut().unwrap().remove("response");
        prop_assert_eq!(a, e);
        prop_assert!(answered["response"].is_object(), "{}", answered);
    }
    Ok(())
}

fuzz_events!(check, 3usize, real_events());
