//! `PwnedPasswords=true` as deployed: the real binary, with the template's environment pointed at a
//! local Have I Been Pwned stand-in, refuses a breached password before the code is judged, then
//! resets with the same code; the stand-in saw only padded 5-character prefixes, and the log at
//! TRACE holds neither the password nor any part of its hash.

use serde_json::{Value, json};
use test_support::deployed::{Deployed, NEW_PASSWORD, code_mailed_to, run_function};
use test_support::logs::assert_no_secret;
use test_support::pwned::{BREACHED_PASSWORD, PwnedStandIn, sha1_hex};

use super::forgot_password_binary;

#[tokio::test]
async fn a_breached_password_is_refused_as_deployed_and_only_a_padded_prefix_leaves() {
    let d = Deployed::setup("pwned-confirm");
    let api = PwnedStandIn::start();
    let (jane, jane_email) = d.email_user.clone();
    let forgot = json!({
        "ClientId": d.client_id, "Username": jane, "SecretHash": d.secret_hash(&jane),
    });
    let issued = run_function(&forgot_password_binary(), &d.env, &[forgot]).await;
    assert!(
        issued.answers[0]["CodeDeliveryDetails"].is_object(),
        "{:?}\n{}",
        issued.answers,
        issued.logs
    );
    let code = code_mailed_to(&jane_email);
    let confirm = |password: &str| -> Value {
        json!({
            "ClientId": d.client_id, "Username": jane, "ConfirmationCode": code,
            "Password": password, "SecretHash": d.secret_hash(&jane),
        })
    };
    let env = d.env_with(&[
        ("PWNED_PASSWORDS", "true"),
        ("PWNED_PASSWORDS_URL", &api.url),
        ("PWNED_PASSWORDS_WHEN_UNREACHABLE", "refuse"),
    ]);
    let run = run_function(
        env!("CARGO_BIN_EXE_confirm-forgot-password"),
        &env,
        &[confirm(BREACHED_PASSWORD), confirm(NEW_PASSWORD)],
    )
    .await;
    let refused = &run.answers[0];
    let kind = refused["errorType"]
        .as_str()
        .or(refused["__type"].as_str())
        .unwrap_or("ok");
    assert!(
        kind.contains("InvalidPassword"),
        "{:?}\n{}",
        run.answers,
        run.logs
    );
    assert!(
        run.answers[1].get("errorType").is_none() && run.answers[1].get("__type").is_none(),
        "the same code then resets: {:?}\n{}",
        run.answers,
        run.logs
    );

    let seen = api.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (request, password) in seen.iter().zip([BREACHED_PASSWORD, NEW_PASSWORD]) {
        assert_eq!(
            request.target,
            format!("/range/{}", &sha1_hex(password)[..5])
        );
        assert_eq!(request.header("add-padding"), Some("true"));
        assert!(!request.whole().contains(&sha1_hex(password)[5..]));
    }
    let mut secrets = d.secrets.clone();
    for password in [BREACHED_PASSWORD, NEW_PASSWORD] {
        let hash = sha1_hex(password);
        // Not the 5-character prefix alone: that short a string may turn up by chance in a log
        // this size (the library suite checks it in a log of its own).
        secrets.extend([password.to_string(), hash.clone(), hash[5..].to_string()]);
    }
    assert_no_secret(&run.logs, &secrets);
}
