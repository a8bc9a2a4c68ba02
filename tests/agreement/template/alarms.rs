//! The alarms and the dashboard watch what the code emits: every metric of our namespace an alarm
//! or a widget names is one `password_reset::metrics` writes, with dimension values it writes.

use std::collections::BTreeSet;

use password_reset::metrics::{self, Operation, Outcome};
use serde_yaml_ng::Value;

use super::template;

/// Every mapping under `v` (through `!If` and lists) that names a metric: `Namespace` + `MetricName`.
fn metric_specs<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Mapping(m) => {
            if m.contains_key("Namespace") && m.contains_key("MetricName") {
                out.push(v);
            }
            m.values().for_each(|v| metric_specs(v, out));
        }
        Value::Sequence(s) => s.iter().for_each(|v| metric_specs(v, out)),
        Value::Tagged(t) => metric_specs(&t.value, out),
        _ => {}
    }
}

fn emitted_dimension(name: &str, value: &str) -> bool {
    match name {
        metrics::OPERATION => Operation::ALL.iter().any(|o| o.as_str() == value),
        metrics::OUTCOME => Outcome::ALL.iter().any(|o| o.as_str() == value),
        metrics::MEDIUM => ["EMAIL", "SMS"].contains(&value),
        _ => false,
    }
}

fn alarms(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(k, r)| (k.as_str().unwrap().to_string(), &r["Properties"]))
        .collect()
}

#[test]
fn every_alarm_names_a_metric_the_code_emits() {
    let template = template();
    let alarms = alarms(&template);
    let names: BTreeSet<&str> = alarms.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "DeliveryFailuresAlarm",
        "DeliveryRefusedAlarm",
        "InternalErrorsAlarm",
        "CallerLimitAlarm",
        "SmsPumpingAlarm",
        "FunctionErrorsAlarm",
        "FunctionThrottlesAlarm",
        "RecoveryQuotaAlarm",
        "SignOutRetriesStuckAlarm",
    ] {
        assert!(names.contains(wanted), "no {wanted} in the template");
    }
    for (name, properties) in &alarms {
        let mut specs = Vec::new();
        metric_specs(properties, &mut specs);
        let queries = properties["Metrics"]
            .as_sequence()
            .map(|m| m.iter().filter_map(|q| q["Expression"].as_str()).count())
            .unwrap_or(0);
        assert!(!specs.is_empty() || queries > 0, "{name} watches nothing");
        for spec in specs {
            let namespace = spec["Namespace"].as_str().unwrap();
            let metric = spec["MetricName"].as_str().unwrap();
            match namespace {
                metrics::NAMESPACE => {
                    assert!(
                        metrics::ALL.contains(&metric),
                        "{name} watches {metric}, which the code never emits"
                    );
                    for dimension in spec["Dimensions"].as_sequence().into_iter().flatten() {
                        let (d, v) = (
                            dimension["Name"].as_str().unwrap(),
                            dimension["Value"].as_str().unwrap(),
                        );
                        assert!(
                            emitted_dimension(d, v),
                            "{name}: {metric} has no {d}={v} in what the code emits"
                        );
                    }
                }
                "AWS/Lambda" => assert!(
                    ["Errors", "Throttles"].contains(&metric),
                    "{name}: {metric}"
                ),
                // The sign-out retry queues' backlog, which SQS itself publishes.
                "AWS/SQS" => assert!(
                    [
                        "ApproximateAgeOfOldestMessage",
                        "ApproximateNumberOfMessagesVisible"
                    ]
                    .contains(&metric),
                    "{name}: {metric}"
                ),
                other => panic!("{name} watches the namespace {other}"),
            }
        }
        let actions = &properties["AlarmActions"];
        assert!(
            actions.as_sequence().is_some_and(|a| a.len() == 2),
            "{name} notifies the e-mail topic and the given topic: {actions:?}"
        );
    }
}

#[test]
fn the_dashboard_shows_only_what_the_code_emits() {
    let template = template();
    let dashboard = &template["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"];
    let Value::Tagged(sub) = dashboard else {
        panic!("the dashboard body is a !Sub");
    };
    let body = sub.value.as_str().unwrap();
    let ours = regex::Regex::new(r#"CognitoPasswordReset"\s*,\s*"(\w+)""#).unwrap();
    let searched = regex::Regex::new(r#"MetricName=\\"(\w+)\\""#).unwrap();
    let mut named: Vec<String> = ours.captures_iter(body).map(|c| c[1].to_string()).collect();
    named.extend(
        searched
            .captures_iter(body)
            .map(|c| c[1].to_string())
            .filter(|m| m != "CallCount"),
    );
    assert!(
        named.len() >= 5,
        "the dashboard shows our metrics: {named:?}"
    );
    for metric in named {
        assert!(
            metrics::ALL.contains(&metric.as_str()),
            "the dashboard shows {metric}, which the code never emits"
        );
    }
    let outcome = regex::Regex::new(r#"Outcome=\\"(\w+)\\""#).unwrap();
    for value in outcome.captures_iter(body) {
        assert!(
            emitted_dimension(metrics::OUTCOME, &value[1]),
            "{}",
            &value[1]
        );
    }
}
