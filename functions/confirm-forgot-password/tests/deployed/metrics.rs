//! Issue 22's scenario: the real forgot-password and confirm-forgot-password binaries, deployed as
//! template.yaml deploys them behind the HTTP API (payload 2.0 events, each caller its own source
//! address), with lower limits a stack may be deployed with (`MaxRequestsPerHour=2`,
//! `MaxRequestsPerCallerPerHour=3`, `MaxFailedAttempts=3`, `MaxConfirmsPerCallerPerHour=4`) and
//! an SMS account still in the sandbox (one destination verified). Codes go by email (SES on moto)
//! and SMS (the fake SMS v2 server); a user past the per-user limit, a sandbox refusal, a burst
//! past the per-caller limit on each operation, wrong codes, a refused password, two resets, a
//! spent code, a code killed by wrong guesses, a malformed body on each.
//!
//! Everything the binaries print is read as CloudWatch Logs would: each EMF document is summed
//! per metric and dimension set, and the totals must be exactly the scenario's (one `Requests` per
//! request, each with the outcome it had). Every metric emitted is one the template's alarms or
//! dashboard refer to with the same dimension set, and each alarm sees what the scenario did. No
//! EMF line holds a login, an address, a phone number, a code, a SecretHash, a client id or
//! secret, or a source address of the scenario.

use std::collections::{BTreeMap, BTreeSet};

use password_reset::domain::operation::Operation as ApiOperation;
use password_reset::metrics as m;
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;
use test_support::deployed::{
    Deployed, MetricKey, NEW_PASSWORD, code_mailed_to, emf_documents, emf_totals, http_api_request,
    run_function,
};

use super::forgot_password_binary;

const JANE_IP: &str = "198.51.100.10";
const PAUL_IP: &str = "198.51.100.11";
const OLGA_IP: &str = "198.51.100.12";
const RITA_IP: &str = "198.51.100.13";
const ATTACKER_IP: &str = "203.0.113.66";
const MALFORMED_IP: &str = "192.0.2.44";
const RITA_PHONE: &str = "+14255550142";
const WRONG_CODE: &str = "731902";
/// Shorter than the pool's 8 characters.
const WEAK_PASSWORD: &str = "Sh0rt!";

/// "ok", or the Cognito error type the HTTP answer carries.
fn kind(answer: &Value) -> String {
    if answer["statusCode"] == 200 {
        return "ok".into();
    }
    answer["headers"]["x-amzn-errortype"]
        .as_str()
        .unwrap_or("no error type")
        .to_string()
}

fn requests(operation: m::Operation, outcome: m::Outcome) -> MetricKey {
    MetricKey::new(
        m::NAMESPACE,
        m::REQUESTS,
        &[
            (m::OPERATION, operation.as_str()),
            (m::OUTCOME, outcome.as_str()),
        ],
    )
}

fn by(metric: &str, dimension: &str, value: &str) -> MetricKey {
    MetricKey::new(m::NAMESPACE, metric, &[(dimension, value)])
}

/// How many values of each metric the documents carry (a counter's value is its count).
fn counts(totals: &BTreeMap<MetricKey, (usize, f64)>) -> BTreeMap<MetricKey, f64> {
    totals
        .iter()
        .map(|(key, (samples, sum))| {
            let count = if key.name == m::DELIVERY_LATENCY {
                *samples as f64
            } else {
                *sum
            };
            (key.clone(), count)
        })
        .collect()
}

#[tokio::test]
async fn the_scenario_yields_exactly_its_counts_in_emf_and_no_pii() {
    const FORGOT: m::Operation = m::Operation::Api(ApiOperation::ForgotPassword);
    const CONFIRM: m::Operation = m::Operation::Api(ApiOperation::ConfirmForgotPassword);
    use m::Outcome::*;

    let d = Deployed::setup("emf");
    d.add_user(
        "rita",
        &[
            ("phone_number", RITA_PHONE),
            ("phone_number_verified", "true"),
        ],
    );
    let (jane, jane_email) = d.email_user.clone();
    let (paul, paul_phone) = d.phone_user.clone();
    let (olga, olga_email) = d.source_user.clone();
    // A new account's SMS sandbox: only the number the team verified receives messages.
    {
        let mut account = d.sms.account.lock().unwrap();
        account.tier = "SANDBOX".into();
        account
            .verified
            .insert(paul_phone.clone(), "VERIFIED".into());
    }
    let env = d.env_with(&[
        ("MAX_REQUESTS_PER_HOUR", "2"),
        ("MAX_REQUESTS_PER_CALLER_PER_HOUR", "3"),
        ("MAX_FAILED_ATTEMPTS", "3"),
        ("MAX_CONFIRMS_PER_CALLER_PER_HOUR", "4"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ("RUST_LOG", "info"),
    ]);
    let ghosts: Vec<String> = (0..6).map(|i| format!("ghost-{i}@example.org")).collect();

    let forgot = |ip: &str, user: &str| {
        let body = json!({
            "ClientId": d.client_id, "Username": user, "SecretHash": d.secret_hash(user),
        });
        http_api_request("ForgotPassword", ip, &body.to_string())
    };
    let mut forgot_events = vec![
        forgot(JANE_IP, &jane),
        forgot(JANE_IP, &jane),
        forgot(JANE_IP, &jane),
        forgot(PAUL_IP, &paul),
        forgot(OLGA_IP, &olga_email),
        forgot(RITA_IP, "rita"),
    ];
    forgot_events.extend(ghosts[..5].iter().map(|g| forgot(ATTACKER_IP, g)));
    forgot_events.push(http_api_request(
        "ForgotPassword",
        MALFORMED_IP,
        "{\"ClientId\":",
    ));
    let issued = run_function(&forgot_password_binary(), &env, &forgot_events).await;
    let answers: Vec<String> = issued.answers.iter().map(kind).collect();
    assert_eq!(
        answers,
        [
            "ok",
            "ok",
            "LimitExceededException",
            "ok",
            "ok",
            "CodeDeliveryFailureException",
            "ok",
            "ok",
            "ok",
            "LimitExceededException",
            "LimitExceededException",
            "SerializationException",
        ],
        "{}",
        issued.logs
    );
    let jane_code = code_mailed_to(&jane_email);
    let olga_code = code_mailed_to(&olga_email);
    let sms = d.sms.sent();
    assert_eq!(sms.len(), 1, "only Paul's number is verified: {sms:?}");
    let paul_code = test_support::delivery::code_in(&sms[0].body);

    let confirm = |ip: &str, user: &str, code: &str, password: &str| {
        let body = json!({
            "ClientId": d.client_id, "Username": user, "ConfirmationCode": code,
            "Password": password, "SecretHash": d.secret_hash(user),
        });
        http_api_request("ConfirmForgotPassword", ip, &body.to_string())
    };
    let mut confirm_events = vec![
        confirm(JANE_IP, &jane, WRONG_CODE, NEW_PASSWORD),
        confirm(JANE_IP, &jane, &jane_code, WEAK_PASSWORD),
        confirm(JANE_IP, &jane, &jane_code, NEW_PASSWORD),
        confirm(JANE_IP, &jane, &jane_code, NEW_PASSWORD),
        confirm(PAUL_IP, &paul, WRONG_CODE, NEW_PASSWORD),
        confirm(PAUL_IP, &paul, "731903", NEW_PASSWORD),
        confirm(PAUL_IP, &paul, "731904", NEW_PASSWORD),
        confirm(PAUL_IP, &paul, &paul_code, NEW_PASSWORD),
        confirm(OLGA_IP, &olga_email, &olga_code, NEW_PASSWORD),
    ];
    confirm_events.extend(
        ghosts
            .iter()
            .map(|g| confirm(ATTACKER_IP, g, WRONG_CODE, NEW_PASSWORD)),
    );
    confirm_events.push(http_api_request(
        "ConfirmForgotPassword",
        MALFORMED_IP,
        "{\"ClientId\":",
    ));
    // A ForgotPassword sent to the confirm endpoint.
    let mut misrouted = confirm(MALFORMED_IP, &jane, WRONG_CODE, NEW_PASSWORD);
    misrouted["headers"]["x-amz-target"] =
        json!("AWSCognitoIdentityProviderService.ForgotPassword");
    confirm_events.push(misrouted);
    let confirmed = run_function(
        env!("CARGO_BIN_EXE_confirm-forgot-password"),
        &env,
        &confirm_events,
    )
    .await;
    let answers: Vec<String> = confirmed.answers.iter().map(kind).collect();
    let mut wanted = vec![
        "CodeMismatchException",
        "InvalidPasswordException",
        "ok",
        "ExpiredCodeException",
        "CodeMismatchException",
        "CodeMismatchException",
        "CodeMismatchException",
        "TooManyFailedAttemptsException",
        "ok",
    ];
    wanted.extend(["CodeMismatchException"; 4]);
    wanted.extend(["LimitExceededException"; 2]);
    wanted.extend(["SerializationException", "UnknownOperationException"]);
    assert_eq!(answers, wanted, "{}", confirmed.logs);

    let forgot_docs = emf_documents(&issued.logs);
    let confirm_docs = emf_documents(&confirmed.logs);
    let docs: Vec<Value> = forgot_docs.iter().chain(&confirm_docs).cloned().collect();
    let totals = emf_totals(&docs);
    let expected: BTreeMap<MetricKey, f64> = [
        (by(m::COLD_STARTS, m::FUNCTION, "forgot-password"), 1.0),
        (
            by(m::COLD_STARTS, m::FUNCTION, "confirm-forgot-password"),
            1.0,
        ),
        // Jane twice, Paul by SMS, Olga migrated from the source table.
        (requests(FORGOT, Issued), 4.0),
        (requests(FORGOT, UserLimit), 1.0),
        (requests(FORGOT, DeliveryRefused), 1.0),
        (requests(FORGOT, Simulated), 3.0),
        (requests(FORGOT, CallerLimit), 2.0),
        (requests(FORGOT, Rejected), 1.0),
        (by(m::CODES_SENT, m::MEDIUM, "EMAIL"), 3.0),
        (by(m::CODES_SENT, m::MEDIUM, "SMS"), 1.0),
        // One latency sample per code sent.
        (by(m::DELIVERY_LATENCY, m::MEDIUM, "EMAIL"), 3.0),
        (by(m::DELIVERY_LATENCY, m::MEDIUM, "SMS"), 1.0),
        // Jane's wrong code, Paul's three, the attacker's four admitted guesses.
        (requests(CONFIRM, Mismatch), 8.0),
        (requests(CONFIRM, PasswordRefused), 1.0),
        (requests(CONFIRM, Confirmed), 2.0),
        (requests(CONFIRM, Expired), 1.0),
        (requests(CONFIRM, TooManyAttempts), 1.0),
        (requests(CONFIRM, CallerLimit), 2.0),
        // The malformed body and the misrouted request.
        (requests(CONFIRM, Rejected), 2.0),
        (by(m::NOTICES, m::OUTCOME, "sent"), 2.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        counts(&totals),
        expected,
        "EMF documents:\n{}",
        docs.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // One outcome per request, each in the container that served it.
    for (docs, events, operation) in [
        (&forgot_docs, forgot_events.len(), FORGOT),
        (&confirm_docs, confirm_events.len(), CONFIRM),
    ] {
        let counted: f64 = counts(&emf_totals(docs))
            .iter()
            .filter(|(k, _)| {
                k.name == m::REQUESTS && k.dimensions[m::OPERATION] == operation.as_str()
            })
            .map(|(_, n)| n)
            .sum();
        assert_eq!(counted, events as f64, "{operation:?}");
    }
    for (key, (_, sum)) in &totals {
        if key.name == m::DELIVERY_LATENCY {
            assert!(*sum > 0.0, "{key:?} took no time");
        }
    }

    the_template_watches(&totals);

    let mut pii: Vec<String> = d.secrets.clone();
    pii.extend(
        [
            &jane,
            &paul,
            &olga,
            "rita",
            RITA_PHONE,
            RITA_PHONE.trim_start_matches('+'),
            &jane_code,
            &paul_code,
            &olga_code,
            WRONG_CODE,
            "731903",
            "731904",
            WEAK_PASSWORD,
            &d.client_id,
            &d.pool_id,
            JANE_IP,
            PAUL_IP,
            OLGA_IP,
            RITA_IP,
            ATTACKER_IP,
            MALFORMED_IP,
            // A masked address as the log shows it.
            "203.0.113.",
        ]
        .map(str::to_string),
    );
    pii.extend(ghosts.iter().cloned());
    pii.extend(
        forgot_events
            .iter()
            .chain(&confirm_events)
            .filter_map(|e| serde_json::from_str::<Value>(e["body"].as_str()?).ok())
            .filter_map(|b| b["SecretHash"].as_str().map(str::to_string)),
    );
    for line in issued.logs.lines().chain(confirmed.logs.lines()) {
        if !line.contains("CloudWatchMetrics") {
            continue;
        }
        for value in &pii {
            assert!(
                !line.contains(value.as_str()),
                "an EMF line holds {value:?}: {line}"
            );
        }
    }
}

/// A metric's name and the names of its dimensions: what a widget or an alarm shows.
type Shape = (String, BTreeSet<String>);

/// Every metric the template watches in our namespace, with its dimension set (and the values an
/// alarm fixes), by the alarm or widget that names it.
fn watched() -> (Vec<(String, MetricKey)>, BTreeSet<Shape>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml");
    let template: Yaml = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut alarms = Vec::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        let mut specs = Vec::new();
        metric_specs(&resource["Properties"], &mut specs);
        for spec in specs {
            if spec["Namespace"].as_str() != Some(m::NAMESPACE) {
                continue;
            }
            let dimensions: Vec<(&str, &str)> = spec["Dimensions"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|d| (d["Name"].as_str().unwrap(), d["Value"].as_str().unwrap()))
                .collect();
            let key = MetricKey::new(
                m::NAMESPACE,
                spec["MetricName"].as_str().unwrap(),
                &dimensions,
            );
            alarms.push((name.as_str().unwrap().to_string(), key));
        }
    }
    let mut shapes: BTreeSet<Shape> = alarms
        .iter()
        .map(|(_, k)| (k.name.clone(), k.dimensions.keys().cloned().collect()))
        .collect();
    let Yaml::Tagged(body) =
        &template["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]
    else {
        panic!("the dashboard body is a !Sub");
    };
    let body = body.value.as_str().unwrap();
    // `[ "CognitoPasswordReset", "CodesSent", "Medium", "EMAIL", ... ]`
    let listed =
        regex::Regex::new(r#""CognitoPasswordReset"\s*,\s*"(\w+)"((?:\s*,\s*"\w+"\s*,\s*"\w+")*)"#)
            .unwrap();
    let pair = regex::Regex::new(r#""(\w+)"\s*,\s*"\w+""#).unwrap();
    for c in listed.captures_iter(body) {
        let dimensions = pair
            .captures_iter(&c[2])
            .map(|p| p[1].to_string())
            .collect();
        shapes.insert((c[1].to_string(), dimensions));
    }
    // `SEARCH('{CognitoPasswordReset,Operation,Outcome} MetricName=\"Requests\" ...')`
    let searched =
        regex::Regex::new(r#"\{CognitoPasswordReset((?:,\w+)*)\}\s+MetricName=\\"(\w+)\\""#)
            .unwrap();
    for c in searched.captures_iter(body) {
        let dimensions = c[1]
            .split(',')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect();
        shapes.insert((c[2].to_string(), dimensions));
    }
    (alarms, shapes)
}

fn metric_specs<'a>(v: &'a Yaml, out: &mut Vec<&'a Yaml>) {
    match v {
        Yaml::Mapping(map) => {
            if map.contains_key("Namespace") && map.contains_key("MetricName") {
                out.push(v);
            }
            map.values().for_each(|v| metric_specs(v, out));
        }
        Yaml::Sequence(s) => s.iter().for_each(|v| metric_specs(v, out)),
        Yaml::Tagged(t) => metric_specs(&t.value, out),
        _ => {}
    }
}

/// Each metric the scenario emitted is one an alarm or a dashboard widget names with the same
/// dimension set (CloudWatch keys a metric by its whole dimension set: another set is another
/// metric, which no alarm would see); and each alarm sees exactly what the scenario did.
fn the_template_watches(totals: &BTreeMap<MetricKey, (usize, f64)>) {
    let (alarms, shapes) = watched();
    for key in totals.keys() {
        assert_eq!(key.namespace, m::NAMESPACE);
        assert!(m::ALL.contains(&key.name.as_str()), "{key:?}");
        let shape = (key.name.clone(), key.dimensions.keys().cloned().collect());
        assert!(
            shapes.contains(&shape),
            "nothing in the template shows {} by {:?}: {shapes:?}",
            key.name,
            shape.1
        );
    }
    let mut seen: BTreeMap<&str, f64> = BTreeMap::new();
    for (alarm, key) in &alarms {
        *seen.entry(alarm.as_str()).or_default() += counts(totals).get(key).copied().unwrap_or(0.0);
    }
    let expected: BTreeMap<&str, f64> = [
        ("DeliveryFailuresAlarm", 0.0),
        // Rita's number, refused by the SMS sandbox.
        ("DeliveryRefusedAlarm", 1.0),
        ("InternalErrorsAlarm", 0.0),
        // Two refused ForgotPassword and two refused ConfirmForgotPassword requests.
        ("CallerLimitAlarm", 4.0),
        ("SmsPumpingAlarm", 1.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(seen, expected);
}
