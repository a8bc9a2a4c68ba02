//! Fuzzing the CustomMessage handler with proptest: any event, and real ones with one field
//! replaced by anything. No panic; the answer is the event with `response` filled, or the event
//! unchanged (Cognito then sends its own default message).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../shared/tests/support/arb_json.rs"]
mod arb_json;

use arb_json::{CASES, json, mutate};
use lambda_runtime::{Context, LambdaEvent};
use password_reset::domain::message_catalog::MessageCatalog;
use proptest::prelude::*;
use serde_json::Value;

fn real_events() -> Vec<Value> {
    ["ForgotPassword", "SignUp", "AdminCreateUser"]
        .iter()
        .map(|s| {
            let path = format!(
                "{}/../../events/custom-message-{s}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        })
        .collect()
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn any_event(event in json()) {
        check(event)?;
    }

    #[test]
    fn real_events_with_one_field_changed(
        which in 0..3usize, pick: usize, value in proptest::option::of(json())) {
        check(mutate(&real_events()[which], pick, value))?;
    }
}
