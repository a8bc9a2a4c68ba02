//! ForgotPassword: resolve the user and the channel, issue a code, deliver it.

use rand::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::domain::caller::{Caller, CallerOperation};
use crate::domain::code::{CodeDigest, ConfirmationCode, KeyId, LiveCode};
use crate::domain::delivery::{CodeDeliveryDetails, DeliveryMedium};
use crate::domain::error::CognitoError;
use crate::domain::mask;
use crate::domain::message::CustomMessage;
use crate::domain::message_catalog::MessageSource;
use crate::domain::pool::PreventUserExistenceErrors;
use crate::domain::recovery::{self, AccountRecovery};
use crate::domain::request::ForgotPasswordRequest;
use crate::domain::time::UnixTime;
use crate::domain::user::{User, UserStatus};
use crate::ports::Issued;

use super::ResetService;
use super::custom_message::{CustomMessageRequest, custom_message};
use super::outcome::{CANNOT_RESET, DISABLED, delivery_error, store_error};

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
    pub async fn forgot_password<R: CryptoRng + Send>(
        &self,
        request: &ForgotPasswordRequest,
        caller: &Caller,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        request.validate()?;
        self.authorize_client(
            &request.client_id,
            &request.username,
            request.secret_hash.as_deref(),
        )
        .await?;
        if self.pool.recovery == AccountRecovery::AdminOnly {
            return Err(CognitoError::NotAuthorized(recovery::ADMIN_ONLY.into()));
        }
        self.admit_caller(
            caller,
            request.user_context_data.as_ref(),
            CallerOperation::ForgotPassword,
            now,
        )
        .await?;
        let code = ConfirmationCode::generate(rng, self.pool.codes.length);
        let login = request.username.as_str();
        let user = self.users.find(login).await.map_err(store_error)?;
        let user = match user {
            None => self.migrate_for_reset(login, rng).await?,
            found => found,
        };
        let plan = self.plan(user)?;

        match plan {
            Plan::Deliver { user, channel } => {
                // Rendered before the code is issued: a message that cannot be sent leaves no code.
                let message = self.render(&user, code.expose())?;
                let (key_id, digest) = self.key.digest(&user.username, code.expose());
                self.issue(&user.username, key_id, digest, Some(channel.medium), now)
                    .await?;
                tracing::info!(user = %mask::login(&user.username), medium = channel.medium.as_str(),
                    destination = %channel.masked(), "code issued");
                let sent = match channel.medium {
                    DeliveryMedium::Email => {
                        let message = message.email(code.expose());
                        self.email.send_email(&channel.destination, &message).await
                    }
                    DeliveryMedium::Sms => {
                        let message = message.sms(code.expose());
                        self.sms.send_sms(&channel.destination, &message).await
                    }
                };
                if let Err(e) = sent {
                    // No live code may outlive a failed delivery, and the request must not count.
                    if let Err(revoke) = self.codes.revoke(&user.username, &digest).await {
                        tracing::error!(error = %revoke, "revoking an undelivered code failed");
                    }
                    return Err(delivery_error(e));
                }
                Ok(ForgotPasswordResponse {
                    code_delivery_details: channel.details(),
                })
            }
            Plan::Simulate => {
                let key = self.decoy_key(login);
                let (key_id, digest) = self.key.digest(&key, code.expose());
                self.issue(&key, key_id, digest, None, now).await?;
                tracing::info!(user = %mask::login(login), "simulated delivery (PreventUserExistenceErrors)");
                Ok(ForgotPasswordResponse {
                    code_delivery_details: self.simulated_details(login),
                })
            }
        }
    }

    /// CustomMessage_ForgotPassword, in-process: the same templates and checks as the trigger.
    fn render(&self, user: &User, code: &str) -> Result<CustomMessage, CognitoError> {
        Ok(custom_message(
            &self.pool.messages,
            &CustomMessageRequest {
                source: MessageSource::ForgotPassword,
                code_parameter: code,
                username_parameter: None,
                user_name: &user.username,
                link_parameter: None,
                user_attributes: &user.attributes,
            },
        )?)
    }

    fn plan(&self, user: Option<User>) -> Result<Plan, CognitoError> {
        let legacy = self.pool.prevent_user_existence_errors == PreventUserExistenceErrors::Legacy;
        let Some(user) = user else {
            return if legacy {
                Err(CognitoError::UserNotFound)
            } else {
                Ok(Plan::Simulate)
            };
        };
        if user.status == UserStatus::ForceChangePassword {
            return Err(CognitoError::NotAuthorized(CANNOT_RESET.into()));
        }
        if !user.enabled {
            return if legacy {
                Err(CognitoError::NotAuthorized(DISABLED.into()))
            } else {
                Ok(Plan::Simulate)
            };
        }
        // An unconfirmed sign-up has not proven any channel: treated as having no verified one.
        let channel = if user.status == UserStatus::Unconfirmed {
            Err(CognitoError::InvalidParameter(
                recovery::NO_VERIFIED_CHANNEL.into(),
            ))
        } else {
            recovery::resolve_channel(&self.pool.recovery, &user)
        };
        match channel {
            Ok(channel) => Ok(Plan::Deliver { user, channel }),
            Err(e) if legacy => Err(e),
            Err(_) => Ok(Plan::Simulate),
        }
    }

    async fn issue(
        &self,
        key: &str,
        key_id: KeyId,
        digest: CodeDigest,
        medium: Option<DeliveryMedium>,
        now: UnixTime,
    ) -> Result<(), CognitoError> {
        let live = LiveCode {
            digest,
            key_id,
            issued_at: now,
            expires_at: now.plus(self.pool.codes.ttl_seconds),
            attempts: 0,
            medium,
        };
        match self
            .codes
            .issue(key, live, &self.pool.codes)
            .await
            .map_err(store_error)?
        {
            Issued::Admitted => Ok(()),
            Issued::LimitReached => {
                tracing::warn!("per-user request limit reached");
                Err(CognitoError::LimitExceeded)
            }
        }
    }

    /// A stable, plausible CodeDeliveryDetails for a login with no deliverable user behind it: the
    /// medium follows the login's form; a plain username gets a destination derived with the key.
    fn simulated_details(&self, login: &str) -> CodeDeliveryDetails {
        let looks_like_phone = login.starts_with('+')
            && login.len() > 5
            && login[1..].bytes().all(|b| b.is_ascii_digit());
        if looks_like_phone {
            return CodeDeliveryDetails {
                destination: mask::phone(login),
                delivery_medium: DeliveryMedium::Sms,
                attribute_name: "phone_number".into(),
            };
        }
        let destination = if login.contains('@') {
            mask::email(login)
        } else {
            let d = self
                .key
                .derive("simulated-destination", &login.to_lowercase());
            let letter = |b: u8| char::from(b'a' + b % 26);
            let tld = ["com", "net", "org", "io"][usize::from(d[2] % 4)];
            format!("{}***@{}***.{tld}", letter(d[0]), letter(d[1]))
        };
        CodeDeliveryDetails {
            destination,
            delivery_medium: DeliveryMedium::Email,
            attribute_name: "email".into(),
        }
    }
}
