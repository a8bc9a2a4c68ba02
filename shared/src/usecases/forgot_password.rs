//! ForgotPassword: resolve the user and the channel, issue a code, deliver it.

use std::time::Instant;

use rand::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::domain::caller::Caller;
use crate::domain::code::{CodeDigest, ConfirmationCode, KeyId, LiveCode};
use crate::domain::delivery::{Channel, CodeDeliveryDetails, DeliveryMedium};
use crate::domain::error::CognitoError;
use crate::domain::login::LoginForm;
use crate::domain::mask;
use crate::domain::message::{CODE_PLACEHOLDER, CustomMessage};
use crate::domain::message_catalog::MessageSource;
use crate::domain::operation::Operation;
use crate::domain::recovery::{self, AccountRecovery};
use crate::domain::request::ForgotPasswordRequest;
use crate::domain::reset::{ResetTarget, reset_target};
use crate::domain::time::UnixTime;
use crate::domain::user::User;
use crate::metrics::{self, Outcome};
use crate::ports::Admission;

use super::ResetService;
use super::admission::{Admitted, admit, decoy_key};
use super::custom_message::{CustomMessageRequest, custom_message};
use super::errors::{delivery_error, store_error};
use super::migrate_user::migrate_for_reset;
use super::pool_triggers::{CustomMessageCall, CustomSenderCall, PoolSender};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForgotPasswordResponse {
    pub code_delivery_details: CodeDeliveryDetails,
}

/// What the request turns into once the user is known.
enum Plan {
    Deliver {
        user: User,
        channel: crate::domain::delivery::Channel,
    },
    /// PreventUserExistenceErrors: the same store work as a real request, nothing sent.
    Simulate,
}

impl ResetService {
    /// ForgotPassword: a code issued and sent to the user's recovery channel.
    pub async fn forgot_password<R: CryptoRng + Send>(
        &self,
        request: &ForgotPasswordRequest,
        caller: &Caller,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        let answer = forgot_password(self, request, caller, now, rng);
        metrics::measure(metrics::Operation::Api(Operation::ForgotPassword), answer).await
    }
}

async fn forgot_password<R: CryptoRng + Send>(
    service: &ResetService,
    request: &ForgotPasswordRequest,
    caller: &Caller,
    now: UnixTime,
    rng: &mut R,
) -> Result<ForgotPasswordResponse, CognitoError> {
    request.validate()?;
    let recovery_allowed = |_: &_| match service.pool.recovery {
        AccountRecovery::AdminOnly => Err(CognitoError::NotAuthorized(recovery::ADMIN_ONLY.into())),
        _ => Ok(()),
    };
    let Admitted { login, user } = admit(
        service,
        request.envelope(),
        recovery_allowed,
        Operation::ForgotPassword,
        caller,
        now,
    )
    .await?;
    let code = ConfirmationCode::generate(rng, service.pool.codes.length);
    let login = login.as_str();
    let user = match user {
        None => migrate_for_reset(service, request, login, rng).await?,
        found => found,
    };
    let plan = plan(service, user)?;

    match plan {
        Plan::Deliver { user, channel } => {
            if let Some(sender) = service
                .triggers
                .as_ref()
                .and_then(|t| t.sender(channel.medium))
            {
                return by_pool_sender(service, &sender, &user, &channel, &code, request, now)
                    .await;
            }
            // Rendered before the code is issued: a message that cannot be sent leaves no code.
            let rendering = Instant::now();
            let message = render(service, &user, code.expose(), request).await?;
            // A pool's own CustomMessage function takes real time, which a simulated request
            // waits out with the delivery's.
            let render_took = rendering.elapsed();
            let (key_id, digest) = service.code_keys.digest(&user.username, code.expose());
            let started = Instant::now();
            let issued = issue_timed(service, &user.username, key_id, digest, channel.medium, now);
            // Together: the code write ∥ the delivery's pre-checks (the sandbox: account, recipient).
            let ((issued, issue_took), checked) = tokio::join!(
                issued,
                service.ports.check(channel.medium, &channel.destination)
            );
            issued?;
            tracing::info!(user = %mask::login(&user.username), medium = channel.medium.as_str(),
                destination = %channel.masked(), "code issued");
            let sent = match checked {
                Ok(()) => {
                    service
                        .ports
                        .send(
                            channel.medium,
                            &channel.destination,
                            &message.for_medium(channel.medium, code.expose()),
                        )
                        .await
                }
                Err(refused) => Err(refused),
            };
            if let Err(e) = sent {
                // No live code may outlive a failed delivery, and the request must not count.
                if let Err(revoke) = service.ports.codes.revoke(&user.username, &digest).await {
                    tracing::error!(error = %revoke, "revoking an undelivered code failed");
                }
                return Err(delivery_error(
                    e,
                    service.pool.prevent_user_existence_errors,
                ));
            }
            // What the delivery added to the code write, which a simulated request waits out.
            let took = started.elapsed().saturating_sub(issue_took);
            service.timing.record(channel.medium, took + render_took);
            metrics::code_sent(channel.medium, took);
            Ok(ForgotPasswordResponse {
                code_delivery_details: channel.details(),
            })
        }
        Plan::Simulate => {
            let record = decoy_key(&service.code_keys, login);
            let (key_id, digest) = service.code_keys.digest(&record, code.expose());
            let details = simulated_details(service, login);
            // The decoy's code lives as long as a real one sent by the medium it names.
            let pretended = details.delivery_medium;
            issue(service, &record, key_id, digest, pretended, None, now).await?;
            metrics::note(Outcome::Simulated);
            // As long as a real delivery on that medium takes (see `timing`).
            let wait = service.timing.draw(details.delivery_medium, rng);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            tracing::info!(user = %mask::login(login), "simulated delivery (PreventUserExistenceErrors)");
            Ok(ForgotPasswordResponse {
                code_delivery_details: details,
            })
        }
    }
}

/// The code issued, then handed to the pool's own custom sender of the channel's medium, which
/// delivers it as Cognito would have it do: nothing is sent by SES / SMS and no CustomMessage is
/// rendered (the function writes its message). The encryption (a KMS call) overlaps the code
/// write; the function is invoked only once the code is live. What both add to the code write, a
/// simulated request waits out.
async fn by_pool_sender(
    service: &ResetService,
    sender: &PoolSender<'_>,
    user: &User,
    channel: &Channel,
    code: &ConfirmationCode,
    request: &ForgotPasswordRequest,
    now: UnixTime,
) -> Result<ForgotPasswordResponse, CognitoError> {
    let (key_id, digest) = service.code_keys.digest(&user.username, code.expose());
    let call = CustomSenderCall {
        user_pool_id: &service.pool.user_pool_id,
        client_id: &request.client_id,
        user,
        client_metadata: request.client_metadata.as_ref(),
    };
    let started = Instant::now();
    let issued = issue_timed(service, &user.username, key_id, digest, channel.medium, now);
    let prevent = service.pool.prevent_user_existence_errors;
    let ((issued, issue_took), event) =
        tokio::join!(issued, sender.event(&call, code.expose(), prevent));
    issued?;
    let delivered = match event {
        Ok(event) => sender.hand_over(&event).await,
        Err(e) => Err(e),
    };
    if let Err(e) = delivered {
        // No live code may outlive a failed delivery, and the request must not count.
        if let Err(revoke) = service.ports.codes.revoke(&user.username, &digest).await {
            tracing::error!(error = %revoke, "revoking an undelivered code failed");
        }
        return Err(e);
    }
    let took = started.elapsed().saturating_sub(issue_took);
    service.timing.record(channel.medium, took);
    metrics::code_sent(channel.medium, took);
    tracing::info!(user = %mask::login(&user.username), medium = channel.medium.as_str(),
        destination = %channel.masked(), "code handed to the pool's custom sender");
    Ok(ForgotPasswordResponse {
        code_delivery_details: channel.details(),
    })
}

/// CustomMessage_ForgotPassword: the pool's own function where it has one this service invokes
/// (`PoolTriggers`), else in-process with the same templates and checks as our trigger.
async fn render(
    service: &ResetService,
    user: &User,
    code: &str,
    request: &ForgotPasswordRequest,
) -> Result<CustomMessage, CognitoError> {
    let in_process = |code_parameter: &str| {
        custom_message(
            &service.pool.messages,
            &CustomMessageRequest {
                source: MessageSource::ForgotPassword,
                code_parameter,
                username_parameter: None,
                user_name: &user.username,
                link_parameter: None,
                user_attributes: &user.attributes,
                client_metadata: request.client_metadata.as_ref(),
            },
        )
    };
    if let Some(triggers) = &service.triggers
        && triggers.custom_message.is_some()
    {
        // What Cognito would send by default fills the fields the function leaves null.
        let defaults = in_process(CODE_PLACEHOLDER)?;
        let call = CustomMessageCall {
            user_pool_id: &service.pool.user_pool_id,
            client_id: &request.client_id,
            user,
            client_metadata: request.client_metadata.as_ref(),
        };
        if let Some(answer) = triggers.custom_message(&call, &defaults, code).await {
            return answer;
        }
    }
    Ok(in_process(code)?)
}

fn plan(service: &ResetService, user: Option<User>) -> Result<Plan, CognitoError> {
    let target = reset_target(
        user.as_ref(),
        &service.pool.recovery,
        service.pool.prevent_user_existence_errors,
        service.pool.stuck_users,
        Operation::ForgotPassword,
    )?;
    Ok(match (target, user) {
        (ResetTarget::Deliver(channel), Some(user)) => Plan::Deliver { user, channel },
        // `OwnRecord` is Confirm's alone; a channel without a user cannot happen.
        _ => Plan::Simulate,
    })
}

/// `lifetime`: the medium whose lifetime the code gets; `medium`: the one recorded (none for a
/// decoy).
/// `issue` for a real user on `medium`, and how long the write took (a decoy waits it out).
async fn issue_timed(
    service: &ResetService,
    record: &str,
    key_id: KeyId,
    digest: CodeDigest,
    medium: DeliveryMedium,
    now: UnixTime,
) -> (Result<(), CognitoError>, std::time::Duration) {
    let started = Instant::now();
    let answer = issue(service, record, key_id, digest, medium, Some(medium), now).await;
    (answer, started.elapsed())
}

async fn issue(
    service: &ResetService,
    record: &str,
    key_id: KeyId,
    digest: CodeDigest,
    lifetime: DeliveryMedium,
    medium: Option<DeliveryMedium>,
    now: UnixTime,
) -> Result<(), CognitoError> {
    let live = LiveCode {
        digest,
        key_id,
        issued_at: now,
        expires_at: now.plus(service.pool.codes.ttl_for(lifetime)),
        attempts: 0,
        medium,
    };
    match service
        .ports
        .codes
        .issue(record, live, &service.pool.codes)
        .await
        .map_err(store_error)?
    {
        Admission::Admitted => Ok(()),
        Admission::LimitReached { retry_at } => {
            tracing::warn!("per-user request limit reached");
            Err(CognitoError::limit_exceeded(now, retry_at))
        }
    }
}

/// A stable, plausible CodeDeliveryDetails for a login with no deliverable user behind it:
/// what a real user signing in with that login would most often get. A login that is an
/// address is one the user has verified (Cognito signs in with verified aliases only), so it
/// answers on its own medium when the recovery order has that medium; otherwise (a username,
/// or an address on a medium the pool does not recover with) the first medium of the order,
/// to a destination derived from the login with the key.
fn simulated_details(service: &ResetService, login: &str) -> CodeDeliveryDetails {
    let order = match service.pool.recovery.order() {
        [] => &recovery::LEGACY_ORDER[..],
        order => order,
    };
    let form = LoginForm::of(login);
    let own = match form {
        LoginForm::Email => Some(DeliveryMedium::Email),
        LoginForm::Phone => Some(DeliveryMedium::Sms),
        LoginForm::Username => None,
    };
    let medium = own.filter(|m| order.contains(m)).unwrap_or(order[0]);
    let destination = match (medium, form) {
        // Email addresses are compared in any case by every directory: masked as stored,
        // which is lower case far more often than not.
        (DeliveryMedium::Email, LoginForm::Email) => mask::email(&login.to_lowercase()),
        (DeliveryMedium::Sms, LoginForm::Phone) => mask::phone(login),
        (DeliveryMedium::Email, _) => {
            let d = service.code_keys.derive("simulated-destination", login);
            let letter = |b: u8| char::from(b'a' + b % 26);
            let tld = ["com", "net", "org", "io"][usize::from(d[2] % 4)];
            format!("{}***@{}***.{tld}", letter(d[0]), letter(d[1]))
        }
        (DeliveryMedium::Sms, _) => {
            let d = service.code_keys.derive("simulated-phone", login);
            // The commonest E.164 length (+1 and ten digits): seven hidden, four shown.
            let last = u16::from_be_bytes([d[0], d[1]]) % 10_000;
            format!("+*******{last:04}")
        }
    };
    CodeDeliveryDetails {
        destination,
        delivery_medium: medium,
        attribute_name: medium.attribute_name().into(),
    }
}
