//! Delivery readiness: what SES and SMS would do with a code right now, for the configured region
//! and endpoint, as a short table. A row that BLOCKs means codes cannot be delivered on that channel.
//! With the user pool as the directory, its triggers too: invoked, in-process, or refused at start.

use std::fmt;

use password_reset::aws_sdk::SdkConfig;

use password_reset::adapters::delivery::ses::{self, IdentityStatus};
use password_reset::adapters::delivery::sms;
use password_reset::adapters::directory::cognito::CognitoPool;
use password_reset::assembly::Wiring;
use password_reset::config::ConfigError;
use password_reset::config::delivery::{SesSettings, SmsSettings};
use password_reset::config::env;
use password_reset::domain::mask;
use password_reset::domain::pool::Disposition;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Block,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Block => "BLOCK",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub check: &'static str,
    pub level: Level,
    pub detail: String,
    /// What to do about a warning or a block.
    pub fix: Option<String>,
}

fn row(check: &'static str, level: Level, detail: impl Into<String>) -> Row {
    Row {
        check,
        level,
        detail: detail.into(),
        fix: None,
    }
}

impl Row {
    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub region: String,
    pub endpoint: String,
    pub rows: Vec<Row>,
}

impl Report {
    pub fn blocked(&self) -> bool {
        self.rows.iter().any(|r| r.level == Level::Block)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Delivery readiness: region {}, endpoint {}",
            self.region, self.endpoint
        )?;
        let width = self
            .rows
            .iter()
            .map(|r| r.check.len())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(f, "{:width$}  {:6} DETAIL", "CHECK", "STATUS")?;
        for r in &self.rows {
            writeln!(f, "{:width$}  {:6} {}", r.check, r.level.as_str(), r.detail)?;
        }
        let fixes = |level: Level| {
            self.rows
                .iter()
                .filter(move |r| r.level == level)
                .map(|r| format!("  - {}: {}", r.check, r.fix.as_deref().unwrap_or(&r.detail)))
                .collect::<Vec<_>>()
        };
        let blocks = fixes(Level::Block);
        if blocks.is_empty() {
            writeln!(f, "\nNothing blocks delivery.")?;
        } else {
            writeln!(f, "\n{} problem(s) block delivery:", blocks.len())?;
            for line in blocks {
                writeln!(f, "{line}")?;
            }
        }
        let warnings = fixes(Level::Warn);
        if !warnings.is_empty() {
            writeln!(f, "Worth a look:")?;
            for line in warnings {
                writeln!(f, "{line}")?;
            }
        }
        Ok(())
    }
}

/// Settings and SDK configuration from the environment, as the function and the runner read them.
pub async fn check_from_env() -> Report {
    let sdk = match password_reset::aws_sdk::load_sdk_config().await {
        Ok(sdk) => sdk,
        Err(refused) => {
            return Report {
                region: "(unknown)".into(),
                endpoint: "(unknown)".into(),
                rows: vec![
                    row("AWS configuration", Level::Block, refused.to_string())
                        .fix("set the variable it names"),
                ],
            };
        }
    };
    let endpoint = [
        env::AWS_ENDPOINT_URL_SESV2,
        env::AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2,
    ]
    .iter()
    .filter_map(|name| env::process(name).map(|v| format!("{name}={v}")))
    .chain(env::process(env::AWS_ENDPOINT_URL))
    .collect::<Vec<_>>();
    let endpoint = if endpoint.is_empty() {
        "AWS (default)".to_string()
    } else {
        endpoint.join(", ")
    };
    let (mut report, triggers) = tokio::join!(
        check(
            &sdk,
            endpoint,
            SesSettings::from_env(&env::process),
            SmsSettings::from_env(&env::process),
        ),
        trigger_rows(&sdk)
    );
    report.rows.extend(triggers);
    report
}

/// With the user pool as the directory: each of the pool's triggers on the reset path, and
/// whether forgot-password invokes it, runs it in-process (this stack's own) or refuses to start.
async fn trigger_rows(sdk: &SdkConfig) -> Vec<Row> {
    let wiring = Wiring::from_env(&env::process).and_then(|mut wiring| {
        wiring.read_adapter_settings(&env::process)?;
        Ok(wiring)
    });
    let wiring = match wiring {
        Ok(wiring) if wiring.directory.is_user_pool() => wiring,
        Ok(_) => return Vec::new(),
        Err(e) => return vec![row("pool triggers", Level::Block, e.to_string())],
    };
    let Some(pool_id) = wiring.user_pool_id.as_deref() else {
        return vec![
            row("pool triggers", Level::Block, "USER_POOL_ID is not set")
                .fix("set USER_POOL_ID to the pool's id"),
        ];
    };
    let triggers = match CognitoPool::triggers_of(sdk, pool_id).await {
        Ok(triggers) => triggers,
        Err(e) => {
            return vec![row(
                "pool triggers",
                Level::Block,
                format!("DescribeUserPool: {e}"),
            )];
        }
    };
    let rows: Vec<Row> = triggers
        .dispositions(
            &wiring.pool_trigger_functions,
            &wiring.stack_trigger_functions,
        )
        .map(|(trigger, function, disposition)| {
            let detail = format!("{function}: {}", disposition.as_str());
            let check = trigger_check(trigger);
            match disposition {
                Disposition::Invoked | Disposition::InProcess => row(check, Level::Ok, detail),
                Disposition::Refused => row(check, Level::Block, detail).fix(format!(
                    "forgot-password will not start: add {function} to PoolTriggerFunctionArns \
                     (POOL_TRIGGER_FUNCTIONS) so it is invoked as Cognito would, or detach it from the pool"
                )),
            }
        })
        .collect();
    if rows.is_empty() {
        return vec![row("pool triggers", Level::Ok, "none on the reset path")];
    }
    rows
}

fn trigger_check(trigger: &str) -> &'static str {
    match trigger {
        "CustomMessage" => "trigger CustomMessage",
        "UserMigration" => "trigger UserMigration",
        "CustomEmailSender" => "trigger CustomEmailSender",
        "CustomSMSSender" => "trigger CustomSMSSender",
        _ => "trigger",
    }
}

pub async fn check(
    sdk: &SdkConfig,
    endpoint: String,
    ses_settings: Result<SesSettings, ConfigError>,
    sms_settings: Result<SmsSettings, ConfigError>,
) -> Report {
    let ses_client = aws_sdk_sesv2::Client::new(sdk);
    let sms_client = aws_sdk_pinpointsmsvoicev2::Client::new(sdk);
    let (mut rows, sms_rows) = tokio::join!(
        ses_rows(&ses_client, ses_settings),
        sms_rows(&sms_client, sms_settings)
    );
    rows.extend(sms_rows);
    Report {
        region: sdk
            .region()
            .map(ToString::to_string)
            .unwrap_or_else(|| "(none: set AWS_REGION)".into()),
        endpoint,
        rows,
    }
}

async fn ses_rows(
    client: &aws_sdk_sesv2::Client,
    settings: Result<SesSettings, ConfigError>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    match ses::sandbox::read_account(client).await {
        ses::AccountState::Known(account) => {
            rows.push(if account.production_access {
                row("SES account", Level::Ok, "production access")
            } else {
                row(
                    "SES account",
                    Level::Warn,
                    "sandbox: mail goes only to verified addresses and domains",
                )
                .fix("request production access for SES, or verify each recipient")
            });
            let enforcement = account.enforcement_status.as_deref().unwrap_or("unknown");
            rows.push(
                if !account.sending_enabled || enforcement.eq_ignore_ascii_case("SHUTDOWN") {
                    row(
                        "SES sending",
                        Level::Block,
                        format!("disabled (enforcement {enforcement})"),
                    )
                    .fix("re-enable sending: aws sesv2 put-account-sending-attributes --sending-enabled")
                } else {
                    row(
                        "SES sending",
                        Level::Ok,
                        format!("enabled (enforcement {enforcement})"),
                    )
                },
            );
            if let Some(q) = account.quota {
                let detail = format!(
                    "{} of {} sent in 24 h, at most {}/s",
                    q.sent_last_24_hours, q.max_24_hour_send, q.max_send_rate
                );
                rows.push(
                    if q.max_24_hour_send >= 0.0 && q.sent_last_24_hours >= q.max_24_hour_send {
                        row("SES send quota", Level::Block, detail)
                            .fix("wait for the 24-hour window, or request a higher quota")
                    } else {
                        row("SES send quota", Level::Ok, detail)
                    },
                );
            }
        }
        ses::AccountState::Unknown(detail) => rows.push(
            row(
                "SES account",
                Level::Warn,
                format!("unknown, GetAccount failed: {detail}"),
            )
            .fix("allow ses:GetAccount; without it the sandbox is only seen when SES refuses"),
        ),
    }
    match settings {
        Ok(settings) => rows.push(from_identity(client, &settings).await),
        Err(e) => rows.push(
            row("SES From identity", Level::Block, e.to_string())
                .fix("set SES_FROM_ADDRESS to a verified SES identity"),
        ),
    }
    rows
}

async fn from_identity(client: &aws_sdk_sesv2::Client, settings: &SesSettings) -> Row {
    let address = settings.from_address().to_string();
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase());
    for identity in std::iter::once(address.clone()).chain(domain) {
        match ses::sandbox::identity_status(client, &identity).await {
            Ok(IdentityStatus::Verified) => {
                return row(
                    "SES From identity",
                    Level::Ok,
                    format!("{address} verified (identity {identity})"),
                );
            }
            Ok(_) => {}
            Err(detail) => {
                return row(
                    "SES From identity",
                    Level::Warn,
                    format!("{address}: could not check: {detail}"),
                )
                .fix("allow ses:GetEmailIdentity");
            }
        }
    }
    row(
        "SES From identity",
        Level::Block,
        format!("{address}: neither the address nor its domain is a verified identity"),
    )
    .fix(format!(
        "verify it: aws sesv2 create-email-identity --email-identity {address}"
    ))
}

async fn sms_rows(
    client: &aws_sdk_pinpointsmsvoicev2::Client,
    settings: Result<SmsSettings, ConfigError>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let account = sms::sandbox::read_account(client).await;
    match &account {
        sms::AccountState::Known(a) => {
            let tier = a.tier.as_deref().unwrap_or("unknown");
            rows.push(match account.in_sandbox() {
                Some(false) => row("SMS account", Level::Ok, format!("{tier} tier")),
                Some(true) => row(
                    "SMS account",
                    Level::Warn,
                    format!("{tier} tier: text messages go only to verified destination numbers"),
                )
                .fix("request production access for SMS, or verify each destination number"),
                None => row("SMS account", Level::Warn, format!("tier {tier}")),
            });
            rows.push(match a.text_spend_limit {
                Some(l) if l.enforced <= 0 => row(
                    "SMS spend limit",
                    Level::Block,
                    format!("${} a month: nothing can be sent", l.enforced),
                )
                .fix("raise it: aws pinpoint-sms-voice-v2 set-text-message-spend-limit-override"),
                Some(l) => row(
                    "SMS spend limit",
                    Level::Ok,
                    format!("${} a month (account maximum ${})", l.enforced, l.max),
                ),
                None => row("SMS spend limit", Level::Warn, "unknown")
                    .fix("allow sms-voice:DescribeSpendLimits"),
            });
        }
        sms::AccountState::Unknown(detail) => rows.push(
            row("SMS account", Level::Warn, format!("unknown: {detail}"))
                .fix("allow sms-voice:DescribeAccountAttributes and sms-voice:DescribeSpendLimits"),
        ),
    }
    if account.in_sandbox() == Some(true) {
        rows.push(match sms::sandbox::verified_destinations(client).await {
            Ok(numbers) if numbers.is_empty() => row(
                "SMS verified numbers",
                Level::Block,
                "none: in the sandbox no text message can be delivered",
            )
            .fix("verify a destination: aws pinpoint-sms-voice-v2 create-verified-destination-number"),
            Ok(numbers) => row(
                "SMS verified numbers",
                Level::Ok,
                numbers
                    .iter()
                    .map(|n| mask::phone(n))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Err(detail) => row(
                "SMS verified numbers",
                Level::Warn,
                format!("could not list: {detail}"),
            )
            .fix("allow sms-voice:DescribeVerifiedDestinationNumbers"),
        });
    }
    match settings {
        Ok(s) => {
            rows.push(match &s.origination_identity {
                Some(id) => row("SMS origination identity", Level::Ok, id.clone()),
                None => row(
                    "SMS origination identity",
                    Level::Warn,
                    "none set: AWS picks one, and the US and many countries require a registered identity",
                )
                .fix("set SMS_ORIGINATION_IDENTITY to a phone number, pool or sender id"),
            });
            if s.dry_run {
                rows.push(
                    row(
                        "SMS dry run",
                        Level::Warn,
                        "on: messages are validated, not sent",
                    )
                    .fix("unset SMS_DRY_RUN to send"),
                );
            }
        }
        Err(e) => rows.push(
            row("SMS settings", Level::Block, e.to_string()).fix("fix the setting named above"),
        ),
    }
    rows
}
