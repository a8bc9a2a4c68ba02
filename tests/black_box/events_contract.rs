//! Contract: every file in events/ goes through its function's handler, and the answer is one
//! Cognito accepts (CustomMessage: code parameter in both messages, limits held, the event
//! otherwise unchanged; UserMigration: status, action and a verified channel for the medium;
//! forgot-password / confirm-forgot-password: Cognito's response in the event's form; custom-sender:
//! the code decrypted under events/local-env.json's local key, and delivered once to the user's
//! address or number); and each again under the settings `sam local invoke --env-vars
//! events/local-env.json` gives the function, offline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lambda_runtime::{Context, LambdaEvent};
use password_reset::adapters::migration_source::memory::MemorySourceUsers;
use password_reset::config::Settings;
use password_reset::domain::message::CustomMessage;
use password_reset::domain::message_catalog::MessageCatalog;
use password_reset::domain::time::UnixTime;
use password_reset::entry::protocol::Operation;
use password_reset::ports::CodeStore;
use serde_json::{Value, json};
use test_support::Inbox;

fn events() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        // The env files beside the events (local-env.json, moto-env.json) are settings.
        .filter(|p| {
            !p.file_stem()
                .is_some_and(|s| s.to_string_lossy().ends_with("-env"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 27, "events/ holds {} files", files.len());
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect()
}

fn demo() -> Settings {
    let mut s = Settings::from_json(include_str!("../../config/demo-pool.json")).unwrap();
    s.outbox.path = None;
    s
}

fn invoke(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, Context::default())
}

fn check_custom_message(name: &str, event: &Value, answer: &Value) {
    let code = event["request"]["codeParameter"].as_str().unwrap();
    let r = &answer["response"];
    let text = |k: &str| {
        r[k].as_str()
            .unwrap_or_else(|| panic!("{name}: response.{k} is {}", r[k]))
            .to_string()
    };
    let message = CustomMessage {
        email_subject: text("emailSubject"),
        email_message: text("emailMessage"),
        sms_message: text("smsMessage"),
    };
    message
        .check(code)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Some(u) = event["request"]["usernameParameter"].as_str() {
        assert!(
            message.email_message.contains(u) && message.sms_message.contains(u),
            "{name}"
        );
    }
    // Everything but `response` comes back as it was sent.
    let (mut sent, mut got) = (event.clone(), answer.clone());
    sent.as_object_mut().unwrap().remove("response");
    got.as_object_mut().unwrap().remove("response");
    assert_eq!(sent, got, "{name}: the event came back altered");
}

fn check_migration(name: &str, answer: &Value) {
    let r = &answer["response"];
    assert_eq!(r["messageAction"], "SUPPRESS", "{name}");
    let expected = if name.ends_with("ForgotPassword") {
        "RESET_REQUIRED"
    } else {
        "CONFIRMED"
    };
    assert_eq!(r["finalUserStatus"], expected, "{name}");
    let attrs = r["userAttributes"].as_object().unwrap();
    assert!(
        !attrs.contains_key("sub") && !attrs.contains_key("username"),
        "{name}"
    );
    let mediums = r["desiredDeliveryMediums"].as_array().unwrap();
    assert!(!mediums.is_empty(), "{name}: no delivery medium");
    for medium in mediums {
        let (attr, flag) = match medium.as_str().unwrap() {
            "EMAIL" => ("email", "email_verified"),
            "SMS" => ("phone_number", "phone_number_verified"),
            other => panic!("{name}: medium {other}"),
        };
        assert!(
            attrs[attr].as_str().is_some_and(|v| !v.is_empty()),
            "{name}: {attr}"
        );
        assert_eq!(attrs[flag], "true", "{name}: {flag}");
    }
}

/// A service on the demo pool where jane@example.com holds the code 123456 (what the confirm
/// events carry).
async fn reset_service() -> password_reset::ResetService {
    let settings = demo();
    let embedded =
        password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false);
    let service = embedded.service;
    let now = UnixTime::now();
    let (key_id, digest) = service.code_keys.digest("jane", "123456");
    let live = password_reset::domain::code::LiveCode {
        digest,
        key_id,
        issued_at: now,
        expires_at: now.plus(3600),
        attempts: 0,
        medium: None,
    };
    embedded
        .codes
        .issue("jane", live, &service.pool.codes)
        .await
        .unwrap();
    service
}

fn check_reset(name: &str, answer: &Value) {
    let body = if name.ends_with("http") {
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
        assert_eq!(
            answer["headers"]["content-type"],
            "application/x-amz-json-1.1"
        );
        serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
    } else {
        answer.clone()
    };
    if name.starts_with("forgot-password") {
        assert_eq!(
            body,
            json!({"CodeDeliveryDetails": {"Destination": "j***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"}}),
            "{name}"
        );
    } else if name.ends_with("-sign-out-retry") {
        // The sign-out retry queue's batch: every owed sign-out ended, none given back.
        assert_eq!(body, json!({"batchItemFailures": []}), "{name}");
    } else {
        assert_eq!(body, json!({}), "{name}");
    }
}

/// What `sam local invoke <Function> --env-vars events/local-env.json` gives a function: the
/// template's plain values and parameter defaults (SAM's stand-ins for resources and conditions
/// left out, as blank is unset), then the env file's, only for names the template declares (SAM
/// ignores the others). `binary` names the function by its crate.
fn local_env(binary: &str) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("template.yaml")).unwrap();
    let template: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let (id, function) = template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary))
        .unwrap_or_else(|| panic!("no function {binary} in template.yaml"));
    let id = id.as_str().unwrap();
    let scalar = |v: &serde_yaml_ng::Value| match v {
        serde_yaml_ng::Value::String(s) => Some(s.clone()),
        serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
        serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut vars = std::collections::HashMap::new();
    let declared = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .into_iter()
        .chain(function["Properties"]["Environment"]["Variables"].as_mapping())
        .flat_map(|m| m.iter());
    for (name, value) in declared {
        let name = name.as_str().unwrap().to_string();
        let value = match value {
            serde_yaml_ng::Value::Tagged(t) if t.tag == "Ref" => t
                .value
                .as_str()
                .and_then(|p| template["Parameters"].get(p))
                .and_then(|p| p.get("Default"))
                .and_then(scalar),
            other => scalar(other),
        };
        vars.insert(name, value.unwrap_or_default());
    }
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("events/local-env.json")).unwrap())
            .unwrap();
    for (name, value) in file[id].as_object().into_iter().flatten() {
        assert!(
            vars.contains_key(name),
            "events/local-env.json gives {id} {name}, which template.yaml does not declare: SAM ignores it"
        );
        vars.insert(name.clone(), value.as_str().unwrap().to_string());
    }
    let vars = Arc::new(vars);
    move |name: &str| vars.get(name).cloned()
}

/// The custom sender as events/local-env.json configures it (the local key the sample events are
/// encrypted under, `scripts/esdk.py local-events`), with senders that record each delivery.
fn custom_sender(email: Arc<Inbox>, sms: Arc<Inbox>) -> custom_sender::Sender {
    let settings = custom_sender::settings_from_env(&local_env("custom-sender")).unwrap();
    assert!(
        settings.delivery.is_none(),
        "local-env.json delivers to the outbox"
    );
    let mut sender = custom_sender::sender(None, settings).unwrap();
    assert!(matches!(
        sender.decryptor.keyring,
        custom_sender::SenderKeyring::Local(_)
    ));
    sender.email = email as Arc<dyn password_reset::ports::EmailSender>;
    sender.sms = sms as Arc<dyn password_reset::ports::SmsSender>;
    sender
}

fn check_custom_sender(name: &str, event: &Value, email: &Inbox, sms: &Inbox) {
    let source = event["triggerSource"].as_str().unwrap();
    let attributes = &event["request"]["userAttributes"];
    let (delivered, other, to) = if source.starts_with("CustomEmailSender_") {
        (email, sms, attributes["email"].as_str().unwrap())
    } else {
        (sms, email, attributes["phone_number"].as_str().unwrap())
    };
    let sent = delivered.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{name}: {sent:?}");
    assert_eq!(sent[0].0, to, "{name}");
    let code = match source.rsplit('_').next().unwrap() {
        "AccountTakeOverNotification" => "",
        "AdminCreateUser" => "Tmp-Passw0rd!",
        _ => "123456",
    };
    assert_eq!(sent[0].1, code, "{name}: the decrypted code");
    assert!(other.sent.lock().unwrap().is_empty(), "{name}");
}

#[tokio::test]
async fn every_sample_event_gets_an_answer_cognito_accepts() {
    let catalog = MessageCatalog::default();
    let settings = demo();
    let migrator = user_migration::Migrator {
        source: Arc::new(MemorySourceUsers::new(
            settings.source_users.clone().unwrap(),
        )),
        recovery: settings.pool.recovery.clone(),
    };
    let mut seen = Vec::new();
    for (name, event) in events() {
        let function = [
            "custom-message",
            "user-migration",
            "forgot-password",
            "confirm-forgot-password",
            "custom-sender",
        ]
        .into_iter()
        .find(|f| {
            name.strip_prefix(f)
                .is_some_and(|rest| rest.starts_with('-'))
        })
        .unwrap_or_else(|| panic!("events/{name}.json names no function"));
        match function {
            "custom-message" => {
                let answer = custom_message::handle(&catalog, invoke(event.clone()))
                    .await
                    .unwrap();
                check_custom_message(&name, &event, &answer);
                let source = event["triggerSource"].as_str().unwrap().to_string();
                assert_eq!(
                    name,
                    format!(
                        "custom-message-{}",
                        source.trim_start_matches("CustomMessage_")
                    )
                );
                seen.push(source);
            }
            "custom-sender" => {
                let (email, sms) = (Arc::new(Inbox::default()), Arc::new(Inbox::default()));
                let sender = custom_sender(email.clone(), sms.clone());
                let answer = custom_sender::handle(&sender, invoke(event.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert_eq!(answer, event, "{name}: the event comes back as it was");
                check_custom_sender(&name, &event, &email, &sms);
                seen.push(event["triggerSource"].as_str().unwrap().to_string());
            }
            "user-migration" => {
                let answer = user_migration::handle(&migrator, invoke(event.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
                check_migration(&name, &answer);
                seen.push(event["triggerSource"].as_str().unwrap().to_string());
            }
            f => {
                let op = if f == "forgot-password" {
                    Operation::ForgotPassword
                } else {
                    Operation::ConfirmForgotPassword
                };
                let service = reset_service().await;
                let answer =
                    password_reset::entry::lambda::api::handle(&service, op, invoke(event))
                        .await
                        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
                check_reset(&name, &answer);
                seen.push(name.clone());
            }
        }
    }
    // Each trigger source Cognito documents, and whether CustomMessage, CustomEmailSender and
    // CustomSMSSender receive it.
    for (source, message, email, sms) in [
        ("SignUp", true, true, true),
        ("AdminCreateUser", true, true, true),
        ("ResendCode", true, true, true),
        ("ForgotPassword", true, true, true),
        ("UpdateUserAttribute", true, true, true),
        ("VerifyUserAttribute", true, true, true),
        ("Authentication", true, false, true),
        ("AccountTakeOverNotification", false, true, false),
    ] {
        if message {
            assert!(
                seen.contains(&format!("CustomMessage_{source}")),
                "no event for CustomMessage_{source}"
            );
        }
        if email {
            let email = format!("CustomEmailSender_{source}");
            assert!(seen.contains(&email), "no event for {email}");
        }
        if sms {
            let sms = format!("CustomSMSSender_{source}");
            assert!(seen.contains(&sms), "no event for {sms}");
        }
    }
    for source in [
        "UserMigration_ForgotPassword",
        "UserMigration_Authentication",
    ] {
        assert!(seen.iter().any(|s| s == source), "no event for {source}");
    }
    for form in [
        "forgot-password-direct",
        "forgot-password-http",
        "confirm-forgot-password-direct",
        "confirm-forgot-password-http",
    ] {
        assert!(seen.iter().any(|s| s == form), "no event {form}");
    }
}

/// `sam local invoke <Function> -e events/<file> --env-vars events/local-env.json`, in process: each
/// function built by its own readers from the settings SAM gives it, nothing but loopback reached
/// (no AWS configuration is even loaded). Each answer is one Cognito accepts; ConfirmForgotPassword,
/// whose fresh container holds no code, answers as Cognito does for a code never sent
/// (CodeMismatchException).
#[tokio::test]
async fn every_sample_event_is_answered_offline_under_local_env() {
    use password_reset::config::env;
    let api = |binary: &str| {
        let vars = local_env(binary);
        let settings = Settings::from_env(vars.clone()).unwrap();
        let wiring = password_reset::assembly::Wiring::from_env(&vars).unwrap();
        assert!(!wiring.needs_aws(), "{binary}: local-env.json reaches AWS");
        (settings, wiring)
    };
    let migration = local_env("user-migration");
    let migrator = user_migration::Migrator {
        source: password_reset::adapters::migration_source::from_env(&migration)
            .await
            .unwrap(),
        recovery: password_reset::config::recovery_from_env(&migration).unwrap(),
    };
    assert_eq!(
        migration(env::RECOVERY_MECHANISMS).as_deref(),
        Some("verified_email"),
        "the template's default recovery, which the Authentication sample's phone-only user is outside"
    );
    let catalog = password_reset::config::messages_from_env(&local_env("custom-message")).unwrap();
    let mut answered = 0;
    for (name, event) in events() {
        if name.starts_with("custom-message-") {
            let answer = custom_message::handle(&catalog, invoke(event.clone()))
                .await
                .unwrap();
            check_custom_message(&name, &event, &answer);
        } else if name.starts_with("user-migration-") {
            let answer = user_migration::handle(&migrator, invoke(event.clone()))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            check_migration(&name, &answer);
        } else if name.starts_with("custom-sender-") {
            let (email, sms) = (Arc::new(Inbox::default()), Arc::new(Inbox::default()));
            let sender = custom_sender(email.clone(), sms.clone());
            let answer = custom_sender::handle(&sender, invoke(event.clone()))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(answer, event, "{name}");
            check_custom_sender(&name, &event, &email, &sms);
        } else {
            let (binary, op) = if name.starts_with("forgot-password-") {
                ("forgot-password", Operation::ForgotPassword)
            } else {
                ("confirm-forgot-password", Operation::ConfirmForgotPassword)
            };
            let (settings, wiring) = api(binary);
            let assembled = password_reset::assembly::assemble(
                &settings,
                &wiring,
                &[op],
                &mut password_reset::request_rng(),
            )
            .await
            .unwrap();
            let answer = password_reset::entry::lambda::api::handle(
                &assembled.service,
                op,
                invoke(event.clone()),
            )
            .await;
            match op {
                // The sign-out retry queue's message: the embedded directory has no session to
                // end, so the batch reports no failure.
                Operation::ConfirmForgotPassword if name.ends_with("-sign-out-retry") => {
                    let answer = answer.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                    assert_eq!(answer, json!({"batchItemFailures": []}), "{name}");
                }
                Operation::ForgotPassword => {
                    check_reset(&name, &answer.unwrap_or_else(|e| panic!("{name}: {e:?}")))
                }
                Operation::ConfirmForgotPassword => {
                    // No code was ever sent in this container: Cognito's answer to that.
                    let (status, error_type) = match answer {
                        Err(e) => (None, e.error_type),
                        Ok(http) => (
                            http["statusCode"].as_i64(),
                            http["headers"]["x-amzn-errortype"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                        ),
                    };
                    assert!(
                        error_type.starts_with("CodeMismatchException"),
                        "{name}: {status:?} {error_type}"
                    );
                }
            }
        }
        answered += 1;
    }
    assert_eq!(answered, events().len());
}

/// The HTTP samples arrive the way the deployed HTTP API routes them: the method and path of
/// their function's `HttpApi` event in template.yaml, in `routeKey`, `rawPath` and
/// `requestContext`.
#[test]
fn the_http_events_are_on_the_routes_the_template_deploys() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml"))
        .unwrap();
    let template: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let events = events();
    let mut checked = 0;
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        if binary != "forgot-password" && binary != "confirm-forgot-password" {
            continue;
        }
        let api = &resource["Properties"]["Events"]["Api"];
        let method = api["Properties"]["Method"].as_str().unwrap();
        let path = api["Properties"]["Path"].as_str().unwrap();
        let route = format!("{method} {path}");
        let (name, event) = events
            .iter()
            .find(|(name, _)| *name == format!("{binary}-http"))
            .unwrap_or_else(|| panic!("no events/{binary}-http.json for {route}"));
        assert_eq!(event["routeKey"], route.as_str(), "{name}");
        assert_eq!(event["rawPath"], path, "{name}");
        let context = &event["requestContext"];
        assert_eq!(context["routeKey"], route.as_str(), "{name}");
        assert_eq!(context["http"]["method"], method, "{name}");
        assert_eq!(context["http"]["path"], path, "{name}");
        checked += 1;
    }
    assert_eq!(
        checked, 2,
        "forgot-password and confirm-forgot-password are routed"
    );
}
