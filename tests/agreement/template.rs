//! The SAM template and the code agree: every function crate is deployed and every deployed function
//! is a crate; each function is given every environment variable its start-up code asks for, and
//! asks for every variable the template gives it; the tables are the ones the DynamoDB adapter
//! creates. The environment is evaluated as CloudFormation would (parameters, conditions, `!If`,
//! `!Sub`, `!Ref`), then handed to the library's own readers, which record every name they ask for.
//! Every name set or read is in `config::env::ALL`, and one read but not set has a default there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::create_table::{CreateTableInput, CreateTableOutput};
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::operation::update_time_to_live::{
    UpdateTimeToLiveInput, UpdateTimeToLiveOutput,
};
use aws_sdk_dynamodb::types::{TableDescription, TableStatus};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use password_reset::adapters::dynamodb_tables::schema::{self, Tables};
use password_reset::adapters::migration_source::dynamodb::SourceTable;
use password_reset::config::{ConfigError, env};
use password_reset::domain::code::CodePolicy;
use serde_yaml_ng::Value;

/// Alarms and dashboard against the metrics the code emits.
mod alarms;
/// The edge (EdgeWaf): CloudFront and AWS WAF in front of the API, held to the functions' check.
mod edge;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

// ------------------------------------------------------------------ evaluating the template

/// The template under one set of parameter values, evaluated the way CloudFormation would.
struct Deployment<'a> {
    template: &'a Value,
    parameters: BTreeMap<String, String>,
}

impl<'a> Deployment<'a> {
    /// Parameter defaults, with `overrides` applied.
    fn new(template: &'a Value, overrides: &[(&str, &str)]) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, spec) in template["Parameters"].as_mapping().unwrap() {
            let name = name.as_str().unwrap().to_string();
            let default = spec.get("Default").map(scalar).unwrap_or_default();
            parameters.insert(name, default);
        }
        for (name, value) in overrides {
            assert!(parameters.contains_key(*name), "no parameter {name}");
            parameters.insert(name.to_string(), value.to_string());
        }
        Self {
            template,
            parameters,
        }
    }

    /// The same parameters, the stack deployed in `region` (us-east-1 otherwise).
    fn in_region(mut self, region: &str) -> Self {
        self.parameters
            .insert("AWS::Region".into(), region.to_string());
        self
    }

    fn resources(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + '_ {
        self.template["Resources"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap(), v))
            .filter(|(_, r)| {
                r.get("Condition")
                    .is_none_or(|c| self.condition(c.as_str().unwrap()))
            })
    }

    fn resource(&self, name: &str) -> &'a Value {
        self.template["Resources"]
            .get(name)
            .unwrap_or_else(|| panic!("no resource {name}"))
    }

    fn condition(&self, name: &str) -> bool {
        let spec = self.template["Conditions"]
            .get(name)
            .unwrap_or_else(|| panic!("no condition {name}"));
        self.truth(spec)
    }

    fn truth(&self, v: &Value) -> bool {
        let (tag, args) = tagged(v).unwrap_or_else(|| panic!("not a condition: {v:?}"));
        let args = args.as_sequence();
        match tag {
            "Equals" => {
                let a = args.unwrap();
                self.eval(&a[0]) == self.eval(&a[1])
            }
            "Not" => !self.truth(&args.unwrap()[0]),
            "And" => args.unwrap().iter().all(|c| self.truth(c)),
            "Or" => args.unwrap().iter().any(|c| self.truth(c)),
            "Condition" => self.condition(tagged(v).unwrap().1.as_str().unwrap()),
            other => panic!("condition function {other} is not understood"),
        }
    }

    /// A resource's reference or attribute, as a recognisable stand-in for the deployed value.
    fn reference(&self, name: &str) -> Option<String> {
        match name {
            "AWS::NoValue" => None,
            "AWS::Region" => Some(
                self.parameters
                    .get("AWS::Region")
                    .cloned()
                    .unwrap_or_else(|| "us-east-1".into()),
            ),
            "AWS::AccountId" => Some("123456789012".into()),
            "AWS::Partition" => Some("aws".into()),
            "AWS::StackName" => Some("stack".into()),
            "AWS::URLSuffix" => Some("amazonaws.com".into()),
            _ => Some(match self.parameters.get(name) {
                Some(value) => value.clone(),
                None => {
                    let (resource, attribute) = name.split_once('.').unwrap_or((name, ""));
                    // A KMS key's ARN in its real shape: the sender's settings check it.
                    if attribute == "Arn"
                        && self.resource(resource)["Type"].as_str() == Some("AWS::KMS::Key")
                    {
                        return Some(format!(
                            "arn:aws:kms:us-east-1:123456789012:key/stack-{resource}"
                        ));
                    }
                    format!("stack-{}", name.replace('.', "-"))
                }
            }),
        }
    }

    /// The value of a property, `None` where CloudFormation would leave it out (`AWS::NoValue`).
    fn eval(&self, v: &Value) -> Option<String> {
        let Some((tag, arg)) = tagged(v) else {
            return Some(scalar(v));
        };
        match tag {
            "Ref" => self.reference(arg.as_str().unwrap()),
            "GetAtt" => self.reference(&scalar(arg)),
            "If" => {
                let a = arg.as_sequence().unwrap();
                let chosen = if self.condition(a[0].as_str().unwrap()) {
                    &a[1]
                } else {
                    &a[2]
                };
                self.eval(chosen)
            }
            "Sub" => {
                let mut text = arg.as_str().unwrap().to_string();
                while let Some(start) = text.find("${") {
                    let end = start + text[start..].find('}').unwrap();
                    let value = self.reference(&text[start + 2..end]).unwrap();
                    text.replace_range(start..=end, &value);
                }
                Some(resolve_dynamic_references(&text, self))
            }
            other => panic!("intrinsic {other} is not understood here: {v:?}"),
        }
    }

    /// A property with its `!If`s resolved to the branch chosen (any shape of value).
    fn chosen(&self, v: &'a Value) -> &'a Value {
        match tagged(v) {
            Some(("If", arg)) => {
                let a = arg.as_sequence().unwrap();
                if self.condition(a[0].as_str().unwrap()) {
                    self.chosen(&a[1])
                } else {
                    self.chosen(&a[2])
                }
            }
            _ => v,
        }
    }

    /// The deployed functions: binary name -> (logical id, resource).
    fn functions(&self) -> BTreeMap<String, (&'a str, &'a Value)> {
        self.resources()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
            .map(|(id, r)| {
                let binary = r["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{id}: Metadata.BuildProperties.Binary"));
                (binary.to_string(), (id, r))
            })
            .collect()
    }

    /// The names a function's template lists (whatever their value under these parameters).
    fn listed_variables(function: &Value) -> BTreeSet<String> {
        function["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .map(|m| m.keys().map(|k| k.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    /// The environment a function gets under these parameters.
    fn environment(&self, function: &Value) -> BTreeMap<String, String> {
        function["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str().unwrap().to_string(), self.eval(v)?)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The short-form intrinsics this template uses.
const INTRINSICS: &[&str] = &[
    "Ref",
    "GetAtt",
    "Sub",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Condition",
    "Contains",
    "Split",
];

/// `!Tag value` as (tag, value); `Fn::X`/`Ref` long forms are not used in this template.
fn tagged(v: &Value) -> Option<(&'static str, &Value)> {
    match v {
        Value::Tagged(t) => {
            let name = INTRINSICS
                .iter()
                .find(|name| t.tag == **name)
                .unwrap_or_else(|| panic!("intrinsic {} is not understood here", t.tag));
            Some((name, &t.value))
        }
        _ => None,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// No dynamic reference anywhere a value is evaluated: `{{resolve:...}}` in a function's
/// environment puts the resolved secret in its configuration, readable by anyone with
/// `lambda:GetFunctionConfiguration`. A function gets a secret's ARN and reads it itself.
fn resolve_dynamic_references(text: &str, _: &Deployment) -> String {
    assert!(
        !text.contains("{{resolve:"),
        "a dynamic reference resolves a secret into the configuration: {text}"
    );
    text.to_string()
}

/// What Secrets Manager generates for `GenerateSecretString`: `SecretStringTemplate` with
/// `GenerateStringKey` set to a string of `PasswordLength` from the character set.
fn generated_secret(generate: &Value) -> String {
    let length: usize = scalar(&generate["PasswordLength"]).parse().unwrap();
    assert_eq!(generate["ExcludePunctuation"], Value::Bool(true));
    assert_eq!(generate["IncludeSpace"], Value::Bool(false));
    // Every character of the alphabet, so a decoder refusing any of them is caught.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let random: String = alphabet.chars().cycle().skip(7).take(length).collect();
    let mut secret: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(generate["SecretStringTemplate"].as_str().unwrap()).unwrap();
    let key = scalar(&generate["GenerateStringKey"]);
    assert!(secret.insert(key, random.into()).is_none());
    serde_json::Value::Object(secret).to_string()
}

// ------------------------------------------------------------------ what the code reads

/// An environment that remembers every name it was asked for.
struct Recorder {
    vars: BTreeMap<String, String>,
    asked: RefCell<BTreeSet<String>>,
}

impl Recorder {
    fn new(vars: BTreeMap<String, String>) -> Self {
        Self {
            vars,
            asked: RefCell::new(BTreeSet::new()),
        }
    }

    fn env(&self) -> impl Fn(&str) -> Option<String> + Copy + '_ {
        move |name: &str| {
            self.asked.borrow_mut().insert(name.to_string());
            self.vars.get(name).cloned()
        }
    }
}

/// The readers each function's start-up runs (its `main`, and `assembly::service_from_env` through
/// `lambda::run` for the API functions, in the same order and on the same conditions): every
/// setting a function reads goes through one of these with the environment as a closure.
async fn read_settings(binary: &str, recorder: &Recorder) -> Result<(), ConfigError> {
    let env = recorder.env();
    match binary {
        "forgot-password" | "confirm-forgot-password" => {
            // Exactly what `assembly::service_from_env` reads before it builds any client.
            password_reset::config::Settings::from_env(env)?;
            password_reset::assembly::Wiring::from_env(&env)?;
        }
        "custom-message" => {
            password_reset::config::messages_from_env(&env)?;
        }
        "custom-sender" => {
            custom_sender::settings_from_env(&env)?;
        }
        "user-migration" => {
            // What `Migrator::from_env` reads: the source `migration_source::from_env` builds.
            password_reset::config::recovery_from_env(&env)?;
            let kind = password_reset::config::MigrationSourceKind::from_env(&env)?;
            if kind == password_reset::config::MigrationSourceKind::Memory {
                password_reset::config::source_users_from_env(&env)?
                    .ok_or_else(|| ConfigError::new(env::SOURCE_USERS_FILE, "not set"))?;
            } else {
                SourceTable::from_env(&env)?;
            }
        }
        other => panic!("the test does not know what {other} reads: add it to read_settings"),
    }
    Ok(())
}

/// Names read in the entry points themselves (`vars.choice(env::MIGRATION_SOURCE, ...)`, or a
/// literal `env("STORE")`): the non-test part of the function crate's sources and, when it runs
/// it, of `shared/src/assembly.rs` and the wiring it reads (`shared/src/config/wiring.rs`).
fn literal_reads(binary: &str) -> BTreeSet<String> {
    let src = root().join("functions").join(binary).join("src");
    let mut sources: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    if sources.iter().any(|s| {
        s.contains("password_reset::assembly::")
            || s.contains("password_reset::entry::lambda::api::run")
    }) {
        for file in ["shared/src/assembly.rs", "shared/src/config/wiring.rs"] {
            sources.push(std::fs::read_to_string(root().join(file)).unwrap());
        }
    }
    let read = regex::Regex::new(
        r#"\b(?:env|var|var_os|process|raw|text|required|flag|number|choice|choices|json|json_file)\(\s*(?:"|(?:\w+::)*)([A-Z][A-Z0-9_]*)"?\s*[,)]"#,
    )
    .unwrap();
    sources
        .iter()
        .map(|s| s.split("#[cfg(test)]").next().unwrap_or_default())
        .flat_map(|s| {
            read.captures_iter(s)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What the template deliberately leaves unset, with the reason: local-only settings and optional
/// ones with a good default.
fn deliberately_unset(binary: &str) -> BTreeSet<&'static str> {
    let mut names = BTreeSet::new();
    if matches!(binary, "forgot-password" | "confirm-forgot-password") {
        // The local runner's seed users and outbox; Lambda uses DynamoDB and SES/SMS.
        names.extend(["SEED_USERS_FILE", "OUTBOX_PATH", "SOURCE_USERS_FILE"]);
        // Templates come inline (MESSAGE_TEMPLATES): the package holds only the bootstrap.
        names.insert("MESSAGE_TEMPLATES_FILE");
        // With Directory=cognito the pool's own UsernameConfiguration applies.
        names.insert("USERNAME_CASE_SENSITIVE");
    }
    if matches!(binary, "forgot-password" | "confirm-forgot-password") {
        // A literal key, for the runner and local use: deployed, the keys come from the secret
        // named by CODE_HASH_KEY_SECRET_ARN (the two are exclusive).
        names.insert("CODE_HASH_KEY");
    }
    if binary == "confirm-forgot-password" {
        // Have I Been Pwned's own API: another base is for tests (a local stand-in).
        names.insert("PWNED_PASSWORDS_URL");
        // It migrates nobody (UserMigration runs on ForgotPassword), so it reads no source table.
        names.insert("SOURCE_TABLE");
        // Its caller limit is MAX_CONFIRMS_PER_CALLER_PER_HOUR; the ForgotPassword one is unused.
        names.insert("MAX_REQUESTS_PER_CALLER_PER_HOUR");
        // No trigger of Cognito's runs on ConfirmForgotPassword: it invokes none, encrypts for none.
        names.extend([
            "POOL_TRIGGER_FUNCTIONS",
            "STACK_TRIGGER_FUNCTIONS",
            "POOL_SENDER_KEY_ARN",
        ]);
    }
    if binary == "forgot-password" {
        // It confirms nothing: the ConfirmForgotPassword caller limit is unused there, and no
        // sign-out is ever owed by it.
        names.insert("MAX_CONFIRMS_PER_CALLER_PER_HOUR");
        names.insert("SIGN_OUT_RETRY_QUEUE_URL");
        // It sets no password: the blocklist is confirm's, Have I Been Pwned's lookup too.
        names.extend([
            "PASSWORD_BLOCKLIST",
            "APP_NAME",
            "PWNED_PASSWORDS",
            "PWNED_PASSWORDS_URL",
            "PWNED_PASSWORDS_TIMEOUT_MS",
            "PWNED_PASSWORDS_WHEN_UNREACHABLE",
        ]);
    }
    if matches!(binary, "forgot-password" | "confirm-forgot-password") {
        // Optional: no Reply-To; SMS validity defaults to the code's hour.
        names.extend(["SES_REPLY_TO", "SMS_TTL_SECONDS"]);
    }
    if binary == "forgot-password" {
        names.insert("SOURCE_ATTRIBUTES");
    }
    if binary == "custom-message" {
        names.insert("MESSAGE_TEMPLATES_FILE");
    }
    if binary == "custom-sender" {
        // Templates inline, as for the others; optional delivery settings as for forgot-password.
        // The encryption context Cognito writes is not documented: no pair is required by default,
        // and the key policy already limits who may encrypt (Cognito, for this account's pools).
        names.extend([
            "MESSAGE_TEMPLATES_FILE",
            "SES_REPLY_TO",
            "SMS_TTL_SECONDS",
            "KMS_ENCRYPTION_CONTEXT",
        ]);
    }
    if binary == "user-migration" {
        // The standard attributes map to themselves unless the source table names them otherwise.
        names.insert("SOURCE_ATTRIBUTES");
    }
    names
}

/// Settings only local runs give (`sam local --env-vars events/local-env.json`): the template
/// declares them empty, so SAM lets an env file set them, and a deployment never does.
const LOCAL_ONLY: &[&str] = &["SEED_USERS_FILE", "SOURCE_USERS_FILE", "SENDER_LOCAL_KEY"];

/// Parameter sets the checks run under: the defaults and the other branch of every condition.
const PARAMETER_SETS: &[&[(&str, &str)]] = &[
    &[],
    &[("PoolTriggerFunctionArns", TEAM_TRIGGERS)],
    &[("ResetFlow", "native"), ("SourceUsers", "create")],
    &[
        ("RecoveryMechanisms", "verified_email,verified_phone_number"),
        ("SmsOriginationIdentityArn", SMS_IDENTITY),
        ("SelfSignUp", "true"),
    ],
    &[
        ("ResetFlow", "native"),
        ("SourceUsers", "none"),
        ("SesConfigurationSet", "mail-events"),
        (
            "SmsOriginationIdentityArn",
            "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef",
        ),
        ("SmsConfigurationSet", "sms-events"),
        ("SmsDryRun", "true"),
        ("RecoveryMechanisms", "admin_only"),
        ("PreventUserExistenceErrors", "LEGACY"),
        (
            "MessageTemplates",
            r#"{"ForgotPassword":{"EmailSubject":"Reset","EmailMessage":"Code {####}","SmsMessage":"Code {####}"}}"#,
        ),
    ],
    &[
        ("SourceUsers", "existing"),
        ("ExistingSourceTableName", "old-users"),
        ("SourceEmailIndex", ""),
        ("SourceAssumeVerified", "true"),
        ("ExistingUserPoolId", "us-east-1_AbCdEf123"),
        ("SignOutOnReset", "false"),
        ("NotifyPasswordChanged", "false"),
    ],
    &[("Directory", "dynamodb"), ("PoolForgotPassword", "open")],
    &[
        ("PwnedPasswords", "true"),
        ("PwnedPasswordsWhenUnreachable", "refuse"),
    ],
    &[("EdgeWaf", "true")],
];

/// The two values of ResetFlow: Cognito's flow through our API (the default), or Cognito's own.
const FLOWS: &[&[(&str, &str)]] = &[
    &[("ResetFlow", "api"), ("SourceUsers", "create")],
    &[("ResetFlow", "native")],
];

// ------------------------------------------------------------------ the checks

fn function_crates() -> BTreeSet<String> {
    let mut crates = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        crates.insert(package_name(&manifest));
    }
    crates
}

/// The `[package] name` of a manifest (its first `name = ` line).
fn package_name(manifest: &std::path::Path) -> String {
    let text =
        std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    text.lines()
        .find_map(|l| l.trim().strip_prefix("name = "))
        .unwrap_or_else(|| panic!("{}: no package name", manifest.display()))
        .trim_matches('"')
        .to_string()
}

#[test]
fn every_function_crate_is_deployed_and_every_deployed_function_is_a_crate() {
    let template = template();
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let crates = function_crates();
    // Across the two flows every function is deployed (under the defaults, user-migration is
    // conditional on source users; custom-sender is ResetFlow=native's).
    let deployed: BTreeSet<String> = FLOWS
        .iter()
        .flat_map(|flow| Deployment::new(&template, flow).functions().into_keys())
        .collect();
    assert_eq!(deployed, crates, "template functions vs functions/*");
    let api = Deployment::new(&template, &[]).functions();
    assert!(
        !api.contains_key("custom-sender"),
        "ResetFlow=api deploys no sender trigger"
    );
    for name in &crates {
        assert!(
            workspace.contains(&format!("\"functions/{name}\"")),
            "functions/{name} is not a workspace member"
        );
    }
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Handler"].as_str(), Some("bootstrap"));
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    // SAM hands cargo-lambda only `--bin <Binary>`, run in CodeUri: that directory must be the
    // package that builds the binary (the workspace root's default package is the runner).
    assert_eq!(
        globals["CodeUri"],
        Value::Null,
        "CodeUri belongs to each function"
    );
    let every: BTreeMap<_, _> = FLOWS
        .iter()
        .flat_map(|flow| Deployment::new(&template, flow).functions())
        .collect();
    for (binary, (id, function)) in every {
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id}"
        );
        assert_eq!(
            function["Metadata"]["BuildProperties"]["Binary"].as_str(),
            Some(binary.as_str()),
            "{id}"
        );
        let code_uri = function["Properties"]["CodeUri"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no CodeUri"));
        let package = root().join(code_uri);
        assert_eq!(
            package_name(&package.join("Cargo.toml")),
            binary,
            "{id}: CodeUri {code_uri} is not the package of binary {binary}"
        );
        assert!(
            package.join("src/main.rs").exists(),
            "{id}: {code_uri} has no src/main.rs, so it builds no binary {binary}"
        );
        let logging = &function["Properties"]["LoggingConfig"];
        assert_eq!(logging["LogFormat"].as_str(), Some("JSON"), "{id}");
        let (_, group) = tagged(&logging["LogGroup"]).unwrap();
        let group = template["Resources"][group.as_str().unwrap()].clone();
        assert!(
            group["Properties"]["RetentionInDays"] != Value::Null,
            "{id}"
        );
        if ["custom-message", "user-migration", "custom-sender"].contains(&binary.as_str()) {
            let timeout = scalar(&function["Properties"]["Timeout"]);
            assert!(
                timeout.parse::<u32>().unwrap() <= 5,
                "{id}: Cognito waits 5 s"
            );
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_function_is_given_exactly_the_settings_it_reads() {
    let template = template();
    for overrides in PARAMETER_SETS {
        let deployment = Deployment::new(&template, overrides);
        for (binary, (id, function)) in deployment.functions() {
            let context = format!("{id} ({binary}) with {overrides:?}");
            let environment = deployment.environment(function);
            let listed = Deployment::listed_variables(function);
            let recorder = Recorder::new(environment.clone());
            if let Err(e) = read_settings(&binary, &recorder).await {
                panic!("{context}: the template's environment is refused: {e}");
            }
            let mut asked = recorder.asked.into_inner();
            asked.extend(literal_reads(&binary));
            let unset = deliberately_unset(&binary);
            let missing: Vec<_> = asked
                .iter()
                .filter(|n| !listed.contains(*n) && !unset.contains(n.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "{context}: reads {missing:?}, which the template does not set"
            );
            let unread: Vec<_> = environment
                .keys()
                .filter(|n| !asked.contains(*n) && !LOCAL_ONLY.contains(&n.as_str()))
                .collect();
            assert!(
                unread.is_empty(),
                "{context}: the template sets {unread:?}, which the function never reads"
            );
            let unlisted: Vec<_> = listed
                .iter()
                .chain(&asked)
                .filter(|n| env::variable(n).is_none())
                .collect();
            assert!(
                unlisted.is_empty(),
                "{context}: {unlisted:?} not in config::env's list"
            );
            let undefaulted: Vec<_> = asked
                .iter()
                .filter(|n| !listed.contains(*n))
                .filter(|n| env::variable(n).is_some_and(|v| v.unset == env::Unset::Required))
                .collect();
            assert!(
                undefaulted.is_empty(),
                "{context}: reads {undefaulted:?}, required but not set by the template"
            );
        }
    }
}

#[test]
fn the_api_functions_reset_in_the_pool_keep_codes_in_dynamodb_and_deliver_for_real() {
    let template = template();
    let delivery = password_reset::config::env::DELIVERY;
    for (overrides, pool_id) in [
        (&[][..], "stack-UserPool"),
        (
            &[("ExistingUserPoolId", "us-east-1_AbCdEf123")][..],
            "us-east-1_AbCdEf123",
        ),
    ] {
        let deployment = Deployment::new(&template, overrides);
        let functions = deployment.functions();
        for binary in ["forgot-password", "confirm-forgot-password"] {
            let env = deployment.environment(functions[binary].1);
            let get = |name: &str| env.get(name).map(String::as_str);
            assert_eq!(get("DIRECTORY"), Some("cognito"), "{binary}");
            assert_eq!(get("USER_POOL_ID"), Some(pool_id), "{binary}");
            assert_eq!(get("STORE"), Some("dynamodb"), "{binary}");
            assert_eq!(get("CODES_TABLE"), Some("stack-CodesTable"), "{binary}");
            // The pool's own clients and users: no list (declared empty, for a local env file), no
            // users table.
            assert_eq!(get("APP_CLIENTS"), Some(""), "{binary}");
            assert_eq!(get("USERS_TABLE"), None, "{binary}");
            // Codes, and the PasswordChanged notice, go out through SES and SMS.
            assert_eq!(get(delivery), Some("aws"), "{binary}");
        }
        let tables: Vec<_> = deployment
            .resources()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::DynamoDB::Table"))
            .map(|(id, _)| id)
            .collect();
        assert!(!tables.contains(&"UsersTable"), "{overrides:?}: {tables:?}");
        let pools = deployment
            .resources()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Cognito::UserPool"))
            .count();
        assert_eq!(pools, usize::from(overrides.is_empty()), "{overrides:?}");
    }

    // Without a pool of its own directory, the users table and the stack's client.
    let deployment = Deployment::new(&template, &[("Directory", "dynamodb")]);
    let functions = deployment.functions();
    for binary in ["forgot-password", "confirm-forgot-password"] {
        let env = deployment.environment(functions[binary].1);
        let get = |name: &str| env.get(name).map(String::as_str);
        assert_eq!(get("DIRECTORY"), Some("dynamodb"), "{binary}");
        assert_eq!(get("USERS_TABLE"), Some("stack-UsersTable"), "{binary}");
        let clients: serde_json::Value =
            serde_json::from_str(get("APP_CLIENTS").unwrap_or_default()).unwrap();
        assert_eq!(clients[0]["ClientId"], "stack-UserPoolClient", "{binary}");
    }
}

#[test]
fn the_pools_own_forgot_password_is_closed_unless_opened() {
    let template = template();
    let mechanisms = |overrides: &[(&str, &str)]| {
        let deployment = Deployment::new(&template, overrides);
        let pool = deployment.resource("UserPool");
        let chosen =
            deployment.chosen(&pool["Properties"]["AccountRecoverySetting"]["RecoveryMechanisms"]);
        chosen
            .as_sequence()
            .unwrap()
            .iter()
            .map(|m| scalar(&m["Name"]))
            .collect::<Vec<_>>()
    };
    let both = [
        ("RecoveryMechanisms", "verified_email,verified_phone_number"),
        ("SmsOriginationIdentityArn", SMS_IDENTITY),
    ];
    assert_eq!(mechanisms(&[]), ["admin_only"]);
    assert_eq!(mechanisms(&both), ["admin_only"]);
    assert_eq!(
        mechanisms(&[("PoolForgotPassword", "open")]),
        ["verified_email"]
    );
    assert_eq!(
        mechanisms(&[both[0], both[1], ("PoolForgotPassword", "open")]),
        ["verified_email", "verified_phone_number"]
    );
    // Cognito's own ForgotPassword is the native flow: it stays open.
    assert_eq!(
        mechanisms(&[both[0], both[1], ("ResetFlow", "native")]),
        ["verified_email", "verified_phone_number"]
    );
    // The functions keep the parameter's mechanisms either way.
    let deployment = Deployment::new(&template, &both);
    let functions = deployment.functions();
    let env = deployment.environment(functions["forgot-password"].1);
    assert_eq!(
        env.get("RECOVERY_MECHANISMS").map(String::as_str),
        Some("verified_email,verified_phone_number")
    );
}

/// `schema::create_tables` run against a mock that keeps what it was asked to create.
async fn tables_the_adapter_creates() -> (Vec<CreateTableInput>, Vec<UpdateTimeToLiveInput>) {
    let created = Arc::new(Mutex::new(Vec::new()));
    let ttl = Arc::new(Mutex::new(Vec::new()));
    let keep_created = created.clone();
    let create = mock!(Client::create_table).then_compute_output(move |input| {
        keep_created.lock().unwrap().push(input.clone());
        CreateTableOutput::builder().build()
    });
    let describe = mock!(Client::describe_table).then_output(|| {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_status(TableStatus::Active)
                    .build(),
            )
            .build()
    });
    let keep_ttl = ttl.clone();
    let update_ttl = mock!(Client::update_time_to_live).then_compute_output(move |input| {
        keep_ttl.lock().unwrap().push(input.clone());
        UpdateTimeToLiveOutput::builder().build()
    });
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        [&create, &describe, &update_ttl]
    );
    let tables = Tables {
        users: "users".into(),
        codes: "codes".into(),
    };
    schema::create_tables(&client, &tables).await.unwrap();
    let created = created.lock().unwrap().clone();
    let ttl = ttl.lock().unwrap().clone();
    (created, ttl)
}

/// A table as (key schema, attribute definitions, index -> (key schema, projection)).
type Shape = (
    Vec<(String, String)>,
    BTreeSet<(String, String)>,
    BTreeMap<String, (Vec<(String, String)>, String)>,
);

fn shape_of_input(input: &CreateTableInput) -> Shape {
    let keys = |k: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        k.iter()
            .map(|e| {
                (
                    e.attribute_name().to_string(),
                    e.key_type().as_str().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    (
        keys(input.key_schema()),
        input
            .attribute_definitions()
            .iter()
            .map(|a| {
                (
                    a.attribute_name().to_string(),
                    a.attribute_type().as_str().to_string(),
                )
            })
            .collect(),
        input
            .global_secondary_indexes()
            .iter()
            .map(|i| {
                let projection = i
                    .projection()
                    .and_then(|p| p.projection_type())
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                (
                    i.index_name().to_string(),
                    (keys(i.key_schema()), projection),
                )
            })
            .collect(),
    )
}

fn shape_of_resource(deployment: &Deployment, properties: &Value) -> Shape {
    let pairs = |v: &Value, a: &str, b: &str| {
        v.as_sequence()
            .map(|s| {
                s.iter()
                    .map(|e| {
                        (
                            deployment.eval(&e[a]).unwrap(),
                            deployment.eval(&e[b]).unwrap(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    (
        pairs(&properties["KeySchema"], "AttributeName", "KeyType"),
        pairs(
            &properties["AttributeDefinitions"],
            "AttributeName",
            "AttributeType",
        )
        .into_iter()
        .collect(),
        properties["GlobalSecondaryIndexes"]
            .as_sequence()
            .map(|s| {
                s.iter()
                    .map(|i| {
                        (
                            scalar(&i["IndexName"]),
                            (
                                pairs(&i["KeySchema"], "AttributeName", "KeyType"),
                                scalar(&i["Projection"]["ProjectionType"]),
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn the_tables_are_the_ones_the_adapter_creates() {
    let template = template();
    // The users table exists only when it is the directory.
    let deployment = Deployment::new(&template, &[("Directory", "dynamodb")]);
    let (created, ttl) = tables_the_adapter_creates().await;
    for (logical_id, name) in [("UsersTable", "users"), ("CodesTable", "codes")] {
        let input = created
            .iter()
            .find(|c| c.table_name() == Some(name))
            .unwrap_or_else(|| panic!("create_tables did not create {name}"));
        let properties = &deployment.resource(logical_id)["Properties"];
        assert_eq!(
            shape_of_resource(&deployment, properties),
            shape_of_input(input),
            "{logical_id}: key schema, attributes and indexes"
        );
        assert_eq!(
            properties["BillingMode"].as_str(),
            input.billing_mode().map(|b| b.as_str())
        );
        assert_eq!(
            properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            Value::Bool(true),
            "{logical_id}"
        );
        let ttl_here = ttl
            .iter()
            .find(|t| t.table_name() == Some(name))
            .and_then(|t| t.time_to_live_specification())
            .map(|s| s.attribute_name().to_string());
        let ttl_there = properties["TimeToLiveSpecification"]
            .get("AttributeName")
            .map(scalar);
        assert_eq!(ttl_there, ttl_here, "{logical_id}: TTL attribute");
    }
    assert_eq!(created.len(), 2, "the adapter creates two tables");
}

#[test]
fn the_created_source_table_is_read_with_its_own_key_and_index() {
    let template = template();
    let deployment = Deployment::new(&template, &[("SourceUsers", "create")]);
    let (_, (_, function)) = deployment
        .functions()
        .into_iter()
        .find(|(b, _)| b == "user-migration")
        .unwrap();
    let recorder = Recorder::new(deployment.environment(function));
    let source = SourceTable::from_env(&recorder.env()).unwrap();
    let (keys, attributes, indexes) = shape_of_resource(
        &deployment,
        &deployment.resource("SourceUsersTable")["Properties"],
    );
    assert_eq!(keys, vec![(source.key.clone(), "HASH".to_string())]);
    assert!(attributes.contains(&(source.key.clone(), "S".into())));
    let index = source.email_index.expect("an email index is configured");
    let (index_keys, _) = &indexes[&index];
    assert_eq!(index_keys[0].0, source.attributes["email"]);
}

/// Every statement a role grants under these parameters: its inline policies and the managed
/// policies of the stack it attaches, with `!If`s resolved and `AWS::NoValue` dropped.
fn statements<'a>(deployment: &Deployment<'a>, role: &'a Value) -> Vec<&'a Value> {
    let mut documents: Vec<&Value> = role["Properties"]["Policies"]
        .as_sequence()
        .map(|p| p.iter().map(|p| &p["PolicyDocument"]).collect())
        .unwrap_or_default();
    for arn in role["Properties"]["ManagedPolicyArns"]
        .as_sequence()
        .map(|s| s.as_slice())
        .unwrap_or_default()
    {
        // `!Ref Policy`, or an `!If` choosing it or `AWS::NoValue`.
        let Some(arn) = chosen(deployment, arn) else {
            continue;
        };
        let (_, name) = tagged(arn).unwrap();
        let policy = deployment.resource(name.as_str().unwrap());
        if let Some(condition) = policy["Condition"].as_str() {
            assert!(
                deployment.condition(condition),
                "{name:?} is attached where its condition {condition} is false"
            );
        }
        documents.push(&policy["Properties"]["PolicyDocument"]);
    }
    documents
        .into_iter()
        .flat_map(|d| d["Statement"].as_sequence().unwrap())
        .map(|s| deployment.chosen(s))
        .filter(|s| !matches!(tagged(s), Some(("Ref", v)) if v.as_str() == Some("AWS::NoValue")))
        .collect()
}

/// Parameter sets that each change a role: every parameter a role's policy depends on, alone and
/// against its default.
const ROLE_PARAMETER_SETS: &[&[(&str, &str)]] = &[
    &[],
    &[("PoolTriggerFunctionArns", TEAM_TRIGGERS)],
    &[
        ("PoolTriggerFunctionArns", TEAM_TRIGGERS),
        ("PoolSenderKeyArn", TEAM_SENDER_KEY),
    ],
    &[
        ("PoolTriggerFunctionArns", TEAM_TRIGGERS),
        ("PoolSenderKeyArn", TEAM_SENDER_KEY),
        ("ExistingUserPoolId", "us-east-1_AbCdEf123"),
    ],
    // A key without a trigger to invoke: nothing to encrypt for.
    &[("PoolSenderKeyArn", TEAM_SENDER_KEY)],
    &[
        ("PoolTriggerFunctionArns", TEAM_TRIGGERS),
        ("Directory", "dynamodb"),
    ],
    &[("Directory", "dynamodb")],
    &[("SourceUsers", "create")],
    &[("SourceUsers", "create"), ("Directory", "dynamodb")],
    &[
        ("SourceUsers", "existing"),
        ("ExistingSourceTableName", "old-users"),
    ],
    &[("ExistingUserPoolId", "us-east-1_AbCdEf123")],
    &[("SignOutOnReset", "false")],
    &[("ResetUnverifiedEmail", "true")],
    &[("ResetUnverifiedEmail", "true"), ("Directory", "dynamodb")],
    &[("NotifyPasswordChanged", "false")],
    &[("RecoveryMechanisms", "admin_only")],
    &[
        ("RecoveryMechanisms", "admin_only"),
        ("NotifyPasswordChanged", "false"),
    ],
    &[
        ("RecoveryMechanisms", "verified_phone_number"),
        ("SmsOriginationIdentityArn", SMS_IDENTITY),
    ],
    &[
        ("RecoveryMechanisms", "verified_phone_number,verified_email"),
        ("SmsOriginationIdentityArn", SMS_IDENTITY),
        ("NotifyPasswordChanged", "false"),
    ],
    &[
        ("RecoveryMechanisms", "verified_email,verified_phone_number"),
        ("SmsOriginationIdentityArn", SMS_IDENTITY),
        ("SmsConfigurationSet", "sms-events"),
        ("SesConfigurationSet", "mail-events"),
    ],
    // An identity the recovery order never uses: no SMS for the API functions.
    &[("SmsOriginationIdentityArn", SMS_IDENTITY)],
    &[("ResetFlow", "native")],
    &[
        ("ResetFlow", "native"),
        ("SmsOriginationIdentityArn", SMS_IDENTITY),
    ],
    &[("ResetFlow", "native"), ("SourceUsers", "create")],
    &[("EdgeWaf", "true")],
    &[("EdgeWaf", "true"), ("Directory", "dynamodb")],
];

/// A team's pool's KMSKeyID, for PoolSenderKeyArn (its custom senders' codes).
const TEAM_SENDER_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/team-sender-key";

/// A team's own trigger functions on its pool, for PoolTriggerFunctionArns.
const TEAM_TRIGGERS: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-message,arn:aws:lambda:us-east-1:123456789012:function:team-migration:live";

const SMS_IDENTITY: &str =
    "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef";

const SEND_EMAIL: &[&str] = &["ses:SendEmail", "ses:GetAccount", "ses:GetEmailIdentity"];
const SEND_SMS: &[&str] = &[
    "sms-voice:SendTextMessage",
    "sms-voice:DescribeAccountAttributes",
    "sms-voice:DescribeSpendLimits",
    "sms-voice:DescribeVerifiedDestinationNumbers",
];
const FIND_IN_POOL: &[&str] = &[
    "cognito-idp:AdminGetUser",
    "cognito-idp:ListUsers",
    "cognito-idp:DescribeUserPool",
    "cognito-idp:DescribeUserPoolClient",
];

/// What a function's code can reach, as its own start-up reads its environment: the directory,
/// the migration source, the media of its recovery order and of the notice, the sign-out.
struct Reach {
    pool: bool,
    users_table: bool,
    migrates: bool,
    email_codes: bool,
    sms_codes: bool,
    sms_identity: bool,
    notify: bool,
    sign_out: bool,
    /// Records failed sign-outs on the retry queue, and takes them back.
    retries_sign_outs: bool,
    marks_email_verified: bool,
    /// The pool's trigger functions it invokes.
    invokes: Vec<String>,
    /// The key it encrypts the pool's own custom senders' codes under.
    sender_key: Option<String>,
}

fn reach(environment: BTreeMap<String, String>) -> Reach {
    use password_reset::assembly::{DirectoryKind, Wiring};
    use password_reset::domain::delivery::DeliveryMedium;
    let env = |name: &str| environment.get(name).cloned();
    let settings = password_reset::config::Settings::from_env(env).unwrap();
    let wiring = Wiring::from_env(&env).unwrap();
    let order = settings.pool.recovery.order();
    Reach {
        pool: wiring.directory == DirectoryKind::Cognito,
        users_table: wiring.directory == DirectoryKind::Dynamodb,
        migrates: wiring.source_table.is_some(),
        email_codes: order.contains(&DeliveryMedium::Email),
        sms_codes: order.contains(&DeliveryMedium::Sms),
        sms_identity: wiring
            .aws_delivery
            .as_ref()
            .is_some_and(|d| d.sms.origination_identity.is_some()),
        notify: settings.pool.notify_password_changed,
        sign_out: wiring.sign_out_on_reset,
        retries_sign_outs: wiring.sign_out_retry_queue_url.is_some(),
        marks_email_verified: settings.pool.stuck_users.unverified_email,
        invokes: wiring.pool_trigger_functions,
        sender_key: wiring.pool_sender_key_arn,
    }
}

/// Exactly the actions each function's code reaches under these parameters.
fn expected_actions(deployment: &Deployment, binary: &str, function: &Value) -> BTreeSet<String> {
    let mut expected: BTreeSet<&str> = ["logs:CreateLogStream", "logs:PutLogEvents"].into();
    let mut add = |actions: &[&'static str], when: bool| {
        if when {
            expected.extend(actions);
        }
    };
    match binary {
        "forgot-password" | "confirm-forgot-password" => {
            let r = reach(deployment.environment(function));
            let forgot = binary == "forgot-password";
            add(
                &["secretsmanager:GetSecretValue", "dynamodb:UpdateItem"],
                true,
            );
            add(FIND_IN_POOL, r.pool);
            // The pool's description other containers shared in the codes table.
            add(&["dynamodb:GetItem"], r.pool);
            add(&["dynamodb:GetItem", "dynamodb:Query"], r.users_table);
            // A code goes by the order's media (an SMS needs an identity: the rule refuses
            // phone recovery without one); the notice by email first, by SMS where a reset
            // by phone was reachable.
            let (email, sms) = if forgot {
                (r.email_codes, r.sms_codes && r.sms_identity)
            } else {
                (r.notify, r.notify && r.sms_codes && r.sms_identity)
            };
            add(SEND_EMAIL, email);
            add(SEND_SMS, sms);
            if forgot {
                // A source user migrates on their first ForgotPassword: read, then created; so
                // does a user the pool's own UserMigration answers for (a listed function may be
                // one: the template cannot tell which trigger an ARN serves).
                add(&["dynamodb:GetItem", "dynamodb:Query"], r.migrates);
                add(
                    &[
                        "cognito-idp:AdminCreateUser",
                        "cognito-idp:AdminSetUserPassword",
                        "cognito-idp:AdminDeleteUser",
                    ],
                    r.pool && (r.migrates || !r.invokes.is_empty()),
                );
                add(&["dynamodb:PutItem"], r.users_table && r.migrates);
                add(&["lambda:InvokeFunction"], !r.invokes.is_empty());
                add(
                    password_reset::adapters::esdk::kms::ENCRYPT_IAM_ACTIONS,
                    r.sender_key.is_some(),
                );
            } else {
                add(&["cognito-idp:AdminSetUserPassword"], r.pool);
                add(
                    &["cognito-idp:AdminUserGlobalSignOut"],
                    r.pool && r.sign_out,
                );
                add(
                    &["cognito-idp:AdminUpdateUserAttributes"],
                    r.pool && r.marks_email_verified,
                );
                // Sent by the reset, received and deleted by the queue's event source mapping.
                add(
                    &[
                        "sqs:SendMessage",
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                    ],
                    r.retries_sign_outs,
                );
                add(&["dynamodb:UpdateItem"], r.users_table);
            }
        }
        "custom-sender" => {
            // Email for every trigger; SMS where the pool wires CustomSMSSender to it. KMS through
            // the key policy, which names its role.
            let config = &deployment.resource("UserPool")["Properties"]["LambdaConfig"];
            add(SEND_EMAIL, true);
            add(
                SEND_SMS,
                chosen(deployment, &config["CustomSMSSender"]).is_some(),
            );
        }
        "user-migration" => add(&["dynamodb:GetItem", "dynamodb:Query"], true),
        "custom-message" => {}
        other => panic!("the test does not know what {other} reaches: add it to expected_actions"),
    }
    expected.into_iter().map(String::from).collect()
}

#[test]
fn each_role_holds_exactly_what_its_function_reaches_under_every_parameter_set() {
    let template = template();
    // Actions that take no resource-level permission, all read-only (the sandbox checks).
    let account_wide = [
        "ses:GetAccount",
        "sms-voice:DescribeAccountAttributes",
        "sms-voice:DescribeSpendLimits",
        "sms-voice:DescribeVerifiedDestinationNumbers",
    ];
    for overrides in ROLE_PARAMETER_SETS {
        let deployment = Deployment::new(&template, overrides);
        assert_eq!(refused_by_rules(&deployment), None, "{overrides:?}");
        let pool_arn = deployment.eval(&deployment.template["Outputs"]["UserPoolId"]["Value"]);
        for (binary, (id, function)) in deployment.functions() {
            let context = format!("{id} with {overrides:?}");
            let (_, role) = tagged(&function["Properties"]["Role"]).unwrap();
            let role_id = scalar(role).trim_end_matches(".Arn").to_string();
            let role = deployment.resource(&role_id);
            let mut actions = BTreeSet::new();
            let told = deployment.environment(function);
            let mut secrets_read = BTreeSet::new();
            for statement in statements(&deployment, role) {
                let these: Vec<String> = match &statement["Action"] {
                    Value::Sequence(s) => s
                        .iter()
                        .filter_map(|a| chosen(&deployment, a))
                        .map(scalar)
                        .collect(),
                    v => vec![scalar(v)],
                };
                assert!(
                    these.iter().all(|a| !a.contains('*')),
                    "{context}: wildcard action in {these:?}"
                );
                if statement["Resource"].as_str() == Some("*") {
                    for action in &these {
                        assert!(
                            account_wide.contains(&action.as_str()),
                            "{context}: {action} on every resource"
                        );
                    }
                }
                if these.iter().any(|a| a.starts_with("secretsmanager:")) {
                    // The secrets the function is told of, read: nothing else of Secrets Manager.
                    assert_eq!(these, ["secretsmanager:GetSecretValue"], "{context}");
                    secrets_read.insert(deployment.eval(&statement["Resource"]).unwrap());
                }
                if these.iter().any(|a| a.starts_with("cognito-idp:")) {
                    // On the one pool: its ARN ends with its id.
                    let resource = deployment.eval(&statement["Resource"]).unwrap();
                    let pool_id = pool_arn.clone().unwrap();
                    assert!(
                        resource == "stack-UserPool-Arn"
                            || resource.ends_with(&format!(":userpool/{pool_id}")),
                        "{context}: cognito-idp on {resource}"
                    );
                }
                if these.iter().any(|a| a == "lambda:InvokeFunction") {
                    // Exactly the functions the parameter names, which the function is told.
                    let Some(("Split", args)) = tagged(&statement["Resource"]) else {
                        panic!("{context}: lambda:InvokeFunction not on the parameter's list");
                    };
                    let args = args.as_sequence().unwrap();
                    let listed = deployment.eval(&args[1]).unwrap();
                    let told = deployment.environment(function);
                    assert_eq!(listed, TEAM_TRIGGERS, "{context}");
                    assert_eq!(
                        told.get("POOL_TRIGGER_FUNCTIONS"),
                        Some(&listed),
                        "{context}"
                    );
                }
                if these.iter().any(|a| a.starts_with("sqs:")) {
                    // The stack's one sign-out retry queue, the one the function is told.
                    assert_eq!(
                        deployment.eval(&statement["Resource"]).as_deref(),
                        Some("stack-SignOutRetryQueue-Arn"),
                        "{context}"
                    );
                    assert!(
                        deployment
                            .environment(function)
                            .contains_key("SIGN_OUT_RETRY_QUEUE_URL"),
                        "{context}"
                    );
                }
                if these.iter().any(|a| a == "kms:GenerateDataKey") {
                    // The pool's own key, the one the function is told, for that pool alone.
                    let told = deployment.environment(function);
                    assert_eq!(
                        deployment.eval(&statement["Resource"]).as_deref(),
                        Some(TEAM_SENDER_KEY),
                        "{context}"
                    );
                    assert_eq!(
                        told.get("POOL_SENDER_KEY_ARN").map(String::as_str),
                        Some(TEAM_SENDER_KEY),
                        "{context}"
                    );
                    let pool = deployment.eval(
                        &statement["Condition"]["StringEquals"]["kms:EncryptionContext:userpool-id"],
                    );
                    assert_eq!(pool, told.get("USER_POOL_ID").cloned(), "{context}");
                }
                if these.iter().any(|a| a == "sms-voice:SendTextMessage") {
                    // The one origination identity (and configuration set) given.
                    let resources = statement["Resource"].as_sequence().unwrap();
                    assert_eq!(
                        resources
                            .first()
                            .and_then(|r| deployment.eval(r))
                            .as_deref(),
                        Some(SMS_IDENTITY),
                        "{context}"
                    );
                }
                actions.extend(these);
            }
            assert_eq!(
                actions,
                expected_actions(&deployment, &binary, function),
                "{context}: the role holds exactly what the code reaches"
            );
            // The code keys' secret and, behind CloudFront, the origin secret: each named to the
            // function, and only those.
            let told_secrets: BTreeSet<String> =
                ["CODE_HASH_KEY_SECRET_ARN", env::ORIGIN_VERIFY_SECRET_ARN]
                    .iter()
                    .filter_map(|name| told.get(*name).cloned())
                    .collect();
            assert_eq!(
                secrets_read, told_secrets,
                "{context}: GetSecretValue on exactly the secrets the function is told of"
            );
        }
    }
}

/// The assertion description of the first rule that refuses these parameters, if one does
/// (`Contains`, `Equals`, `Not`, `Ref` on parameters: what this template's rules use).
fn refused_by_rules(deployment: &Deployment) -> Option<String> {
    fn truth(deployment: &Deployment, v: &Value) -> bool {
        match tagged(v) {
            Some(("Equals", a)) => {
                let a = a.as_sequence().unwrap();
                deployment.eval(&a[0]) == deployment.eval(&a[1])
            }
            Some(("Not", a)) => !truth(deployment, &a.as_sequence().unwrap()[0]),
            Some(("And", a)) => a
                .as_sequence()
                .unwrap()
                .iter()
                .all(|c| truth(deployment, c)),
            Some(("Contains", a)) => {
                let a = a.as_sequence().unwrap();
                let value = deployment.eval(&a[1]);
                a[0].as_sequence()
                    .unwrap()
                    .iter()
                    .any(|v| Some(scalar(v)) == value)
            }
            other => panic!("a rule function the test does not evaluate: {other:?}"),
        }
    }
    let rules = deployment.template["Rules"].as_mapping()?;
    for (_, rule) in rules {
        if let Some(condition) = rule.get("RuleCondition")
            && !truth(deployment, condition)
        {
            continue;
        }
        for assertion in rule["Assertions"].as_sequence().unwrap() {
            if !truth(deployment, &assertion["Assert"]) {
                return Some(scalar(&assertion["AssertDescription"]));
            }
        }
    }
    None
}

#[test]
fn a_configuration_that_needs_sms_and_cannot_send_it_is_refused_at_deploy_time() {
    let template = template();
    for order in [
        "verified_email,verified_phone_number",
        "verified_phone_number,verified_email",
        "verified_phone_number",
    ] {
        for flow in ["api", "native"] {
            let refused = Deployment::new(
                &template,
                &[("RecoveryMechanisms", order), ("ResetFlow", flow)],
            );
            let message = refused_by_rules(&refused).unwrap_or_else(|| {
                panic!("{order} ({flow}) without an SMS origination identity deploys")
            });
            assert!(
                message.contains("SmsOriginationIdentityArn"),
                "the message names the parameter: {message}"
            );
            let given = Deployment::new(
                &template,
                &[
                    ("RecoveryMechanisms", order),
                    ("ResetFlow", flow),
                    ("SmsOriginationIdentityArn", SMS_IDENTITY),
                ],
            );
            assert_eq!(refused_by_rules(&given), None);
        }
    }
    // The defaults deploy, and send no SMS: email recovery, no CustomSMSSender.
    for flow in ["api", "native"] {
        let defaults = Deployment::new(&template, &[("ResetFlow", flow)]);
        assert_eq!(refused_by_rules(&defaults), None, "{flow}");
        let config = &defaults.resource("UserPool")["Properties"]["LambdaConfig"];
        assert!(chosen(&defaults, &config["CustomSMSSender"]).is_none());
        assert!(!defaults.condition("SendsSms"), "{flow}");
    }
    // Native with an identity: both senders wired.
    let native = Deployment::new(
        &template,
        &[
            ("ResetFlow", "native"),
            ("SmsOriginationIdentityArn", SMS_IDENTITY),
        ],
    );
    let config = &native.resource("UserPool")["Properties"]["LambdaConfig"];
    assert!(chosen(&native, &config["CustomSMSSender"]).is_some());
}

#[test]
fn the_created_pool_allows_sign_up_only_when_asked() {
    let template = template();
    for (value, admin_only) in [
        (None, "true"),
        (Some("false"), "true"),
        (Some("true"), "false"),
    ] {
        let overrides: Vec<(&str, &str)> = value.map(|v| ("SelfSignUp", v)).into_iter().collect();
        let deployment = Deployment::new(&template, &overrides);
        let config = &deployment.resource("UserPool")["Properties"]["AdminCreateUserConfig"];
        assert_eq!(
            chosen(&deployment, &config["AllowAdminCreateUserOnly"]).map(scalar),
            Some(admin_only.to_string()),
            "SelfSignUp={value:?}"
        );
    }
}

#[test]
fn the_triggers_are_wired_to_the_pool_and_only_it_may_invoke_them() {
    let template = template();
    let deployment = Deployment::new(&template, &[("SourceUsers", "create")]);
    let pool = deployment.resource("UserPool");
    let config = &pool["Properties"]["LambdaConfig"];
    let functions = deployment.functions();
    for (trigger, binary) in [
        ("CustomMessage", "custom-message"),
        ("UserMigration", "user-migration"),
    ] {
        let logical_id = functions[binary].0;
        assert_eq!(
            deployment.eval(&config[trigger]),
            Some(format!("stack-{logical_id}-Arn")),
            "{trigger}"
        );
        let permission = deployment
            .resources()
            .find(|(_, r)| {
                r["Type"].as_str() == Some("AWS::Lambda::Permission")
                    && deployment.eval(&r["Properties"]["FunctionName"])
                        == Some(format!("stack-{logical_id}-Arn"))
            })
            .unwrap_or_else(|| panic!("no permission for {logical_id}"))
            .1;
        let p = &permission["Properties"];
        assert_eq!(p["Principal"].as_str(), Some("cognito-idp.amazonaws.com"));
        assert_eq!(
            deployment.eval(&p["SourceArn"]).as_deref(),
            Some("stack-UserPool-Arn")
        );
        assert_eq!(
            deployment.eval(&p["SourceAccount"]).as_deref(),
            Some("123456789012")
        );
    }
    let none = Deployment::new(&template, &[("SourceUsers", "none")]);
    assert_eq!(none.eval(&config["UserMigration"]), None);
    assert!(!none.functions().contains_key("user-migration"));
}

/// The branch an `!If` takes (`None` for `AWS::NoValue`), without reading it as a scalar.
fn chosen<'a>(deployment: &Deployment<'a>, v: &'a Value) -> Option<&'a Value> {
    match tagged(v) {
        Some(("If", a)) => {
            let a = a.as_sequence().unwrap();
            let branch = if deployment.condition(a[0].as_str().unwrap()) {
                &a[1]
            } else {
                &a[2]
            };
            chosen(deployment, branch)
        }
        Some(("Ref", r)) if r.as_str() == Some("AWS::NoValue") => None,
        _ => Some(v),
    }
}

fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::Sequence(s) => s.iter().map(scalar).collect(),
        v => vec![scalar(v)],
    }
}

/// Whether an IAM action pattern (`kms:Create*`) covers `action`.
fn covers(pattern: &str, action: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => action.starts_with(prefix),
        None => pattern == action,
    }
}

#[test]
fn native_flow_wires_the_sender_triggers_and_only_the_sender_decrypts() {
    let template = template();
    let api = Deployment::new(&template, &[]);
    let config = &api.resource("UserPool")["Properties"]["LambdaConfig"];
    for key in ["CustomEmailSender", "CustomSMSSender", "KMSKeyID"] {
        assert!(
            chosen(&api, &config[key]).is_none(),
            "ResetFlow=api sets {key}"
        );
    }
    assert!(api.resources().all(|(id, _)| id != "SenderKey"));

    let native = Deployment::new(
        &template,
        &[
            ("ResetFlow", "native"),
            ("SmsOriginationIdentityArn", SMS_IDENTITY),
        ],
    );
    let functions = native.functions();
    let (sender_id, sender) = functions["custom-sender"];
    let sender_arn = format!("stack-{sender_id}-Arn");
    for trigger in ["CustomEmailSender", "CustomSMSSender"] {
        let wired = chosen(&native, &config[trigger]).unwrap_or_else(|| panic!("no {trigger}"));
        assert_eq!(
            native.eval(&wired["LambdaArn"]),
            Some(sender_arn.clone()),
            "{trigger}"
        );
        assert_eq!(scalar(&wired["LambdaVersion"]), "V1_0", "{trigger}");
    }
    let key_arn = Some("arn:aws:kms:us-east-1:123456789012:key/stack-SenderKey".to_string());
    assert_eq!(native.eval(&config["KMSKeyID"]), key_arn);
    // The function decrypts with the key the pool encrypts with.
    assert_eq!(
        native.environment(sender).get("KMS_KEY_ARN").cloned(),
        key_arn
    );

    // Only the pool may invoke it.
    let (_, permission) = native
        .resources()
        .find(|(_, r)| {
            r["Type"].as_str() == Some("AWS::Lambda::Permission")
                && native.eval(&r["Properties"]["FunctionName"]) == Some(sender_arn.clone())
        })
        .expect("an invoke permission for the sender");
    let p = &permission["Properties"];
    assert_eq!(p["Principal"].as_str(), Some("cognito-idp.amazonaws.com"));
    assert_eq!(
        native.eval(&p["SourceArn"]).as_deref(),
        Some("stack-UserPool-Arn")
    );
    assert_eq!(
        native.eval(&p["SourceAccount"]).as_deref(),
        Some("123456789012")
    );

    // The key: Cognito (for this account's pools) encrypts, the sender's role alone decrypts, and
    // the account administers it without any cryptographic use (nor a grant that would give one).
    let (_, role) = tagged(&sender["Properties"]["Role"]).unwrap();
    let role_arn = format!("stack-{}", scalar(role).replace('.', "-"));
    let crypto = [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:CreateGrant",
    ];
    let statements = native.resource("SenderKey")["Properties"]["KeyPolicy"]["Statement"]
        .as_sequence()
        .unwrap();
    let mut decrypters = Vec::new();
    for statement in statements {
        assert_eq!(statement["Effect"].as_str(), Some("Allow"));
        let granted = actions(statement);
        let principal = &statement["Principal"];
        if let Some(service) = principal.get("Service") {
            assert_eq!(scalar(service), "cognito-idp.amazonaws.com");
            assert_eq!(granted, ["kms:Encrypt", "kms:GenerateDataKey"]);
            let condition = &statement["Condition"];
            assert_eq!(
                native
                    .eval(&condition["StringEquals"]["aws:SourceAccount"])
                    .as_deref(),
                Some("123456789012")
            );
            let source = native.eval(&condition["ArnLike"]["aws:SourceArn"]).unwrap();
            assert!(source.starts_with("arn:aws:cognito-idp:us-east-1:123456789012:userpool/"));
            // With your pool, that pool alone (a created pool cannot be named: a cycle).
            let yours = Deployment::new(
                &template,
                &[
                    ("ResetFlow", "native"),
                    ("ExistingUserPoolId", "us-east-1_AbCdEf123"),
                ],
            );
            assert_eq!(
                yours
                    .eval(&condition["ArnLike"]["aws:SourceArn"])
                    .as_deref(),
                Some("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123")
            );
        } else if native.eval(&principal["AWS"]) == Some(role_arn.clone()) {
            assert_eq!(granted, ["kms:Decrypt"]);
            decrypters.push(role_arn.clone());
        } else {
            for pattern in &granted {
                for action in crypto {
                    assert!(
                        !covers(pattern, action),
                        "{pattern} gives {action} to {principal:?}"
                    );
                }
            }
        }
    }
    assert_eq!(decrypters, [role_arn]);
}

#[test]
fn no_secret_is_written_in_the_template() {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let template = template();
    // One dynamic reference, the origin secret CloudFront must send (EdgeWaf, `edge.rs`); anywhere
    // else it would put a resolved value in a configuration, a function's above all.
    assert_eq!(
        text.matches("{{resolve:").count(),
        1,
        "a dynamic reference besides CloudFront's origin header"
    );
    assert!(
        text.contains(r#"HeaderValue: !Sub "{{resolve:secretsmanager:${OriginVerifySecret}}}""#)
    );
    for flow in FLOWS {
        let deployment = Deployment::new(&template, flow);
        for (binary, (id, function)) in deployment.functions() {
            let env = deployment.environment(function);
            // The value never reaches the environment: no literal key, only the secret's ARN.
            assert!(
                !env.contains_key("CODE_HASH_KEY"),
                "{id}: a key in the environment"
            );
            let arn = env.get("CODE_HASH_KEY_SECRET_ARN").map(String::as_str);
            if matches!(
                binary.as_str(),
                "forgot-password" | "confirm-forgot-password"
            ) {
                // `!Ref` of an AWS::SecretsManager::Secret is its ARN.
                assert_eq!(arn, Some("stack-CodeHashKeySecret"), "{id}");
            } else {
                assert_eq!(arn, None, "{id}: needs no code key");
            }
        }
    }
    let deployment = Deployment::new(&template, &[]);
    for (id, resource) in deployment.resources() {
        if resource["Type"].as_str() == Some("AWS::SecretsManager::Secret") {
            let properties = &resource["Properties"];
            assert!(
                properties.get("SecretString").is_none(),
                "{id}: a literal secret"
            );
            assert!(properties.get("GenerateSecretString").is_some(), "{id}");
        }
    }
    // What Secrets Manager generates at creation is a keyring the functions accept.
    let secret = generated_secret(
        &deployment.resource("CodeHashKeySecret")["Properties"]["GenerateSecretString"],
    );
    let keys = password_reset::config::parse_code_keys("CODE_HASH_KEY_SECRET_ARN", &secret)
        .unwrap_or_else(|e| panic!("the generated secret is refused: {e}"));
    assert_eq!(keys.ids().count(), 1);
    assert_eq!(keys.current(), keys.decoy());
    assert!(
        !text.to_lowercase().contains("code_hash_key: \""),
        "a literal key"
    );
}

#[test]
fn the_code_policy_defaults_fit_the_parameter_ranges() {
    let template = template();
    let defaults = CodePolicy::default();
    let p = &template["Parameters"];
    let range = |name: &str| {
        (
            scalar(&p[name]["MinValue"]).parse::<u64>().unwrap(),
            scalar(&p[name]["MaxValue"]).parse::<u64>().unwrap(),
        )
    };
    let (lo, hi) = range("MaxRequestsPerHour");
    assert!(lo >= 1 && hi <= u64::from(schema::MAX_REQUEST_SLOTS));
    assert!((lo..=hi).contains(&u64::from(defaults.max_requests)));
    for (name, default) in [
        (
            "MaxRequestsPerCallerPerHour",
            defaults.max_requests_per_caller,
        ),
        (
            "MaxConfirmsPerCallerPerHour",
            defaults.max_confirms_per_caller,
        ),
    ] {
        let (lo, hi) = range(name);
        assert!(hi <= u64::from(password_reset::domain::caller::MAX_CALLER_REQUESTS));
        assert!((lo..=hi).contains(&u64::from(default)), "{name}");
        assert_eq!(
            scalar(&p[name]["Default"]).parse::<u64>().unwrap(),
            u64::from(default),
            "{name}: the template's default is the code's"
        );
    }
    let (lo, hi) = range("CodeLength");
    assert!((lo..=hi).contains(&u64::from(defaults.length)));
}

/// Browsers meet the same CORS on the deployed HTTP API as on the runner (`password_reset::entry::cors`,
/// which `src/server.rs` applies): methods, request and exposed headers, max-age, no credentials,
/// and origins from `CorsAllowedOrigins`, whose default is the runner's (any origin). The reset page
/// is routed (`GET /` to ForgotPassword) and switched by `ResetPage` in both API functions.
#[test]
fn the_http_apis_cors_is_the_runners_and_the_reset_page_is_routed() {
    use password_reset::entry::cors::{self, AllowedOrigins};
    let template = template();
    let deployment = Deployment::new(&template, &[]);
    let api = deployment.resource("ResetApi");
    assert_eq!(api["Type"].as_str(), Some("AWS::Serverless::HttpApi"));
    let config = &api["Properties"]["CorsConfiguration"];
    let names = |key: &str| -> Vec<String> {
        config[key]
            .as_sequence()
            .unwrap_or_else(|| panic!("CorsConfiguration.{key} is a list"))
            .iter()
            .map(|v| scalar(v).to_ascii_lowercase())
            .collect()
    };
    let expected = |list: &[&str]| {
        list.iter()
            .map(|s| s.to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("AllowMethods"), expected(&cors::ALLOW_METHODS));
    assert_eq!(names("AllowHeaders"), expected(&cors::ALLOW_HEADERS));
    assert_eq!(names("ExposeHeaders"), expected(&cors::EXPOSE_HEADERS));
    assert_eq!(
        config["MaxAge"].as_u64(),
        Some(u64::from(cors::MAX_AGE_SECONDS))
    );
    assert_eq!(config["AllowCredentials"].as_bool(), Some(false));

    // The origins: the parameter itself, a list CloudFormation hands over whole.
    let (tag, origins) = tagged(&config["AllowOrigins"]).expect("AllowOrigins is a !Ref");
    assert_eq!((tag, origins.as_str()), ("Ref", Some("CorsAllowedOrigins")));
    let parameter = &template["Parameters"]["CorsAllowedOrigins"];
    assert_eq!(parameter["Type"].as_str(), Some("CommaDelimitedList"));
    let default = scalar(&parameter["Default"]);
    let default: Vec<&str> = default.split(',').collect();
    assert_eq!(
        AllowedOrigins::parse("CorsAllowedOrigins", &default),
        Ok(AllowedOrigins::Any),
        "the template's default is the runner's"
    );
    let runner_default: [&str; 0] = [];
    assert_eq!(
        AllowedOrigins::parse(env::RESET_CORS_ORIGINS, &runner_default),
        Ok(AllowedOrigins::Any)
    );
    assert!(
        matches!(
            env::variable(env::RESET_CORS_ORIGINS).map(|v| v.unset),
            Some(env::Unset::Default(d)) if d.starts_with('*')
        ),
        "the runner's environment twin is listed with that default"
    );

    // GET / reaches ForgotPassword on this API; RESET_PAGE follows ResetPage in both API functions.
    let forgot = deployment.resource("ForgotPasswordFunction");
    let routes: Vec<(String, String)> = forgot["Properties"]["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|e| e["Type"].as_str() == Some("HttpApi"))
        .map(|e| {
            let p = &e["Properties"];
            assert_eq!(
                tagged(&p["ApiId"]).map(|(_, v)| scalar(v)),
                Some("ResetApi".into())
            );
            (scalar(&p["Method"]), scalar(&p["Path"]))
        })
        .collect();
    assert!(routes.contains(&("GET".into(), "/".into())), "{routes:?}");
    for value in ["true", "false"] {
        let deployment = Deployment::new(&template, &[("ResetPage", value)]);
        for function in ["ForgotPasswordFunction", "ConfirmForgotPasswordFunction"] {
            let env = deployment.environment(deployment.resource(function));
            assert_eq!(
                env.get(env::RESET_PAGE).map(String::as_str),
                Some(value),
                "{function}"
            );
        }
    }
    assert_eq!(
        scalar(&template["Parameters"]["ResetPage"]["Default"]),
        "true"
    );
}

/// The local-only settings are declared empty, whatever the parameters: a deployment never runs on
/// the embedded users or a local custom-sender key (the template's text names no value for them).
#[test]
fn the_template_never_sets_a_local_only_setting() {
    let template = template();
    for overrides in PARAMETER_SETS.iter().chain(FLOWS) {
        let deployment = Deployment::new(&template, overrides);
        for (id, function) in deployment.resources() {
            if function["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let environment = deployment.environment(function);
            for name in LOCAL_ONLY {
                if let Some(value) = environment.get(*name) {
                    assert_eq!(value, "", "{id} sets {name} with {overrides:?}");
                }
            }
        }
    }
    let sender = &template["Resources"]["CustomSenderFunction"]["Properties"]["Environment"]["Variables"]
        ["SENDER_LOCAL_KEY"];
    assert_eq!(
        sender.as_str(),
        Some(""),
        "the local key is a literal empty string, never a parameter or a reference"
    );
}

/// Every AWS endpoint a function's SDK clients read is declared for every function, empty (AWS's
/// own: `aws_sdk`'s loader takes blank as unset), so `sam local --env-vars` can point them at an
/// emulator; nothing else is set for all functions.
#[test]
fn every_function_declares_the_endpoint_variables_empty() {
    let template = template();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap();
    let declared: BTreeMap<String, String> = globals
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), scalar(v)))
        .collect();
    let endpoints: BTreeMap<String, String> = env::ALL
        .iter()
        .filter(|v| v.name.starts_with("AWS_ENDPOINT_URL"))
        .map(|v| (v.name.to_string(), String::new()))
        .collect();
    assert!(endpoints.len() >= 7, "{endpoints:?}");
    assert_eq!(declared, endpoints);
    // A function's own environment never overrides one.
    for (id, function) in template["Resources"].as_mapping().unwrap() {
        for name in Deployment::listed_variables(function) {
            assert!(!endpoints.contains_key(&name), "{id:?} sets {name}");
        }
    }
}

/// The documented env files (`events/local-env.json`: everything offline; `events/moto-env.json`:
/// every function pointed at an emulator) give each function only variables the template declares
/// for it (SAM ignores the others, silently), and each function's readers accept what SAM then
/// hands it: the template's values under the default parameters, overridden by the file.
#[tokio::test(flavor = "current_thread")]
async fn the_env_files_settings_are_declared_and_accepted() {
    let template = template();
    let deployment = Deployment::new(&template, &[]);
    let globals: BTreeMap<String, String> =
        template["Globals"]["Function"]["Environment"]["Variables"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), scalar(v)))
            .collect();
    for file in ["events/local-env.json", "events/moto-env.json"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let given: BTreeMap<String, BTreeMap<String, String>> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let common = given.get("Parameters").cloned().unwrap_or_default();
        let mut functions = 0;
        for (id, function) in template["Resources"].as_mapping().unwrap() {
            if function["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let id = id.as_str().unwrap();
            let binary = function["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap();
            // SAM runs a function whatever its Condition; every declared name is overridable.
            let mut environment = globals.clone();
            environment.extend(deployment.environment(function));
            let declared: BTreeSet<String> = globals
                .keys()
                .cloned()
                .chain(Deployment::listed_variables(function))
                .collect();
            let own = given.get(id).cloned().unwrap_or_default();
            for name in own.keys() {
                assert!(
                    declared.contains(name),
                    "{file}: {id}.{name} is not declared by the template, so SAM ignores it"
                );
            }
            for (name, value) in common.iter().chain(&own) {
                if declared.contains(name) {
                    environment.insert(name.clone(), value.clone());
                }
            }
            let recorder = Recorder::new(environment);
            if let Err(e) = read_settings(binary, &recorder).await {
                panic!("{file}: {id} ({binary}) refuses its settings: {e}");
            }
            functions += 1;
        }
        assert_eq!(functions, 5, "{file}");
        assert!(
            given
                .keys()
                .all(|k| k == "Parameters" || template["Resources"].get(k).is_some())
        );
    }
}

/// Every trigger the stack's own pool names is one of the functions forgot-password is told are
/// the stack's own (`STACK_TRIGGER_FUNCTIONS`), so the default stacks start: judged by the
/// function's own rule (`TriggerFunctions::dispositions`).
#[test]
fn the_stacks_own_pool_triggers_are_the_functions_forgot_password_knows_as_its_own() {
    use password_reset::domain::pool::{Disposition, TriggerFunctions};
    let template = template();
    for flow in ["api", "native"] {
        for source in ["none", "create"] {
            let deployment = Deployment::new(
                &template,
                &[
                    ("ResetFlow", flow),
                    ("SourceUsers", source),
                    ("SmsOriginationIdentityArn", SMS_IDENTITY),
                ],
            );
            let context = format!("ResetFlow={flow} SourceUsers={source}");
            let config = &deployment.resource("UserPool")["Properties"]["LambdaConfig"];
            // The evaluator's `stack-<Id>-Arn` in a Lambda ARN's shape.
            let arn = |v: Option<&Value>| {
                v.and_then(|v| deployment.eval(v)).map(|a| {
                    let id = a.trim_start_matches("stack-").trim_end_matches("-Arn");
                    format!("arn:aws:lambda:us-east-1:123456789012:function:stack-{id}")
                })
            };
            let sender = |key: &str| chosen(&deployment, &config[key]).map(|s| &s["LambdaArn"]);
            let pool = TriggerFunctions {
                custom_message: arn(chosen(&deployment, &config["CustomMessage"])),
                user_migration: arn(chosen(&deployment, &config["UserMigration"])),
                custom_email_sender: arn(sender("CustomEmailSender")),
                custom_sms_sender: arn(sender("CustomSMSSender")),
                kms_key_id: None,
            };
            let (_, forgot) = deployment.functions()["forgot-password"];
            let told = deployment.environment(forgot);
            let own: Vec<String> = told["STACK_TRIGGER_FUNCTIONS"]
                .split(',')
                .map(str::to_string)
                .collect();
            let wired: Vec<_> = pool.dispositions(&[], &own).collect();
            assert!(!wired.is_empty(), "{context}");
            for (trigger, function, disposition) in wired {
                assert_eq!(
                    disposition,
                    Disposition::InProcess,
                    "{context}: {trigger} {function} not among {own:?}"
                );
            }
            assert_eq!(
                own.len(),
                1 + usize::from(source == "create") + usize::from(flow == "native"),
                "{context}: exactly the stack's trigger functions: {own:?}"
            );
        }
    }
}

/// SAM's `--cached` keys each function's build on its own folder (CodeUri), so a change in `shared/`
/// would deploy the previous binary: the committed defaults never turn it on.
#[test]
fn sam_build_defaults_never_reuse_a_build_that_misses_shared_changes() {
    let text = std::fs::read_to_string(root().join("samconfig.toml")).unwrap();
    let turned_on: Vec<&str> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| {
            let mut kv = l.splitn(2, '=').map(str::trim);
            kv.next() == Some("cached") && kv.next().is_some_and(|v| v.trim_matches('"') == "true")
        })
        .collect();
    assert!(turned_on.is_empty(), "samconfig.toml: {turned_on:?}");
    assert!(
        text.contains("cached = false"),
        "the default said, not left to SAM"
    );
}
