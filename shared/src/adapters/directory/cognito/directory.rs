//! The pool as the user directory: lookup, migration into the pool, and the password change.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::{
    AdminGetUserError, AdminGetUserOutput,
};
use aws_sdk_cognitoidentityprovider::operation::admin_set_user_password::AdminSetUserPasswordError;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, DeliveryMediumType, MessageActionType, MfaOptionType, UserType,
};
use rand::{CryptoRng, RngExt};

use crate::domain::login::{LoginForm, looks_like_sub};
use crate::domain::user::{Attributes, MfaChannel, User, UserStatus};
use crate::ports::{Created, PasswordChangeError, StoreError, UserDirectory};

use super::CognitoPool;
use crate::adapters::aws_errors::COGNITO;

/// The prefix of Cognito's InvalidPasswordException message; the use case adds it back.
const POLICY_PREFIX: &str = "Password does not conform to policy: ";

/// PasswordHistoryPolicyViolationException's message when the pool gives none.
const RECENTLY_USED: &str = "The password has been used recently; choose another one.";

/// Attributes Cognito assigns or computes: never sent on AdminCreateUser.
const READ_ONLY: [&str; 2] = ["sub", "cognito:user_status"];

#[async_trait]
impl UserDirectory for CognitoPool {
    /// The calls depend on the login's form only, never on whether it exists: a login that can
    /// only be a username costs one AdminGetUser; one that may be a sub or an alias of this pool
    /// costs one ListUsers and then one AdminGetUser, by the username ListUsers found or else by
    /// the login itself (a username of that form, or an alias the service resolves). The second
    /// call also reads the MFA settings ListUsers lacks (the MFA channel cannot be the recovery one).
    async fn find(&self, login: &str) -> Result<Option<User>, StoreError> {
        let login = self.description.normalize(login);
        let Some(attribute) = self.fallback_attribute(&login) else {
            return self.get_user(&login).await;
        };
        match self.list_one(attribute, &login).await? {
            Some(username) => self.get_user(&username).await,
            None => self.get_user(&login).await,
        }
    }

    async fn create(&self, user: &User) -> Result<Created, StoreError> {
        let pool = &self.description.user_pool_id;
        let username = self.creation_username(user);
        let attributes = user
            .attributes
            .0
            .iter()
            .filter(|(name, value)| !READ_ONLY.contains(&name.as_str()) && !value.is_empty())
            .map(|(name, value)| AttributeType::builder().name(name).value(value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Unavailable(format!("AdminCreateUser attributes: {e}")))?;
        let created = self
            .client
            .admin_create_user()
            .user_pool_id(pool)
            .username(&username)
            .message_action(MessageActionType::Suppress)
            .set_user_attributes(Some(attributes))
            .send()
            .await;
        let created = match created {
            Ok(out) => out,
            Err(e) => {
                if matches!(
                    e.as_service_error(),
                    Some(AdminCreateUserError::UsernameExistsException(_))
                ) {
                    return Ok(Created::Exists);
                }
                // Another user has this email or phone as a verified alias: that user is the
                // directory's, and this import must not take the alias from them.
                if e.code() == Some("AliasExistsException") {
                    tracing::warn!("migration refused: the alias belongs to another user");
                    return Ok(Created::Exists);
                }
                return Err(COGNITO.store_error("AdminCreateUser", pool, e));
            }
        };
        // AdminCreateUser leaves the user in FORCE_CHANGE_PASSWORD, which ConfirmForgotPassword
        // refuses ("User password cannot be reset in the current state."). A permanent password
        // that nobody knows makes them CONFIRMED, able to reset and unable to sign in until the
        // reset sets theirs, as Cognito's own UserMigration_ForgotPassword leaves them.
        let assigned = created
            .user()
            .and_then(UserType::username)
            .unwrap_or(&username)
            .to_string();
        let unknowable = unguessable_password(&mut crate::request_rng());
        if let Err(e) = UserDirectory::set_password(self, &assigned, &unknowable).await {
            // Left in FORCE_CHANGE_PASSWORD the user could never reset: undo, so a later
            // request migrates them again.
            let undone = self
                .client
                .admin_delete_user()
                .user_pool_id(pool)
                .username(&assigned)
                .send()
                .await;
            if let Err(undo) = undone {
                tracing::error!(error = %COGNITO.store_error("AdminDeleteUser", pool, undo),
                    "a migrated user is left in FORCE_CHANGE_PASSWORD");
            }
            return Err(match e {
                PasswordChangeError::NotApplied(e) => e,
                other => StoreError::Unavailable(format!(
                    "setting a migrated user's generated password: {other}"
                )),
            });
        }
        Ok(Created::Created)
    }

    /// AdminSetUserPassword with Permanent=true: the user is CONFIRMED with `password`. One
    /// attempt, never retried by the SDK: every answer is the answer to the one request, so a
    /// refusal means nothing changed. A 5xx, a timeout or a connection lost after sending leave
    /// the outcome unknown.
    async fn set_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(), PasswordChangeError> {
        let pool = &self.description.user_pool_id;
        let sent = self
            .client
            .admin_set_user_password()
            .user_pool_id(pool)
            .username(username)
            .password(password)
            .permanent(true)
            .customize()
            .config_override(one_attempt(self.options.password_change_timeout))
            .send()
            .await;
        let Err(e) = sent else {
            return Ok(());
        };
        let answered = match &e {
            // A 4xx answers the request before it applies; Cognito's InternalErrorException (a
            // 5xx on the wire) may come after.
            SdkError::ServiceError(service) => {
                service.raw().status().as_u16() < 500
                    && !matches!(
                        service.err(),
                        AdminSetUserPasswordError::InternalErrorException(_)
                    )
            }
            // Nothing was sent.
            SdkError::ConstructionFailure(_) => true,
            _ => false,
        };
        if !answered {
            let detail = COGNITO.store_error("AdminSetUserPassword", pool, e);
            tracing::error!(error = %detail, "the password change may have applied");
            return Err(PasswordChangeError::Unknown(detail.to_string()));
        }
        match e.as_service_error() {
            Some(AdminSetUserPasswordError::InvalidPasswordException(x)) => Err(
                PasswordChangeError::Refused(rule(x.message().or(e.message()))),
            ),
            Some(AdminSetUserPasswordError::PasswordHistoryPolicyViolationException(x)) => {
                Err(PasswordChangeError::RecentlyUsed(
                    x.message()
                        .or(e.message())
                        .filter(|m| !m.trim().is_empty())
                        .unwrap_or(RECENTLY_USED)
                        .to_string(),
                ))
            }
            _ => Err(COGNITO.store_error("AdminSetUserPassword", pool, e).into()),
        }
    }

    /// AdminUpdateUserAttributes `email_verified=true` (Cognito sends no message for it).
    async fn mark_email_verified(&self, username: &str) -> Result<(), StoreError> {
        let pool = &self.description.user_pool_id;
        let verified = AttributeType::builder()
            .name("email_verified")
            .value("true")
            .build()
            .map_err(|e| StoreError::Unavailable(format!("email_verified attribute: {e}")))?;
        self.client
            .admin_update_user_attributes()
            .user_pool_id(pool)
            .username(username)
            .user_attributes(verified)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| COGNITO.store_error("AdminUpdateUserAttributes", pool, e))
    }

    /// AdminUserGlobalSignOut (when `sign_out_on_reset`) until it succeeds or `sign_out_deadline`
    /// passes. Ending sessions is
    /// idempotent, so every failure is retried; the loop is ours, not the SDK's, so the deadline
    /// holds whatever the SDK's retry quota has left.
    async fn end_sessions(&self, username: &str) -> Result<(), StoreError> {
        use tokio::time::{Instant, sleep};
        if !self.options.sign_out_on_reset {
            return Ok(());
        }
        let pool = &self.description.user_pool_id;
        let deadline = Instant::now() + self.options.sign_out_deadline;
        let mut pause = Duration::from_millis(50);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let attempt = self.options.sign_out_attempt_timeout.min(left);
            let sent = self
                .client
                .admin_user_global_sign_out()
                .user_pool_id(pool)
                .username(username)
                .customize()
                .config_override(one_attempt(attempt))
                .send()
                .await;
            let failure = match sent {
                Ok(_) => return Ok(()),
                // Deleted since: a user who no longer exists has no session left to end.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_user_not_found_exception()) =>
                {
                    tracing::info!("the user is gone: no session left to end");
                    return Ok(());
                }
                Err(e) => COGNITO.store_error("AdminUserGlobalSignOut", pool, e),
            };
            if Instant::now() + pause >= deadline {
                tracing::error!(error = %failure, "sessions could not be ended after a password change");
                return Err(failure);
            }
            tracing::warn!(error = %failure, "AdminUserGlobalSignOut failed; retrying");
            sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(400));
        }
    }
}

impl CognitoPool {
    /// AdminGetUser; `None` for UserNotFoundException.
    async fn get_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let sent = self
            .client
            .admin_get_user()
            .user_pool_id(&self.description.user_pool_id)
            .username(username)
            .send()
            .await;
        match sent {
            Ok(out) => self.user_from(out).map(Some),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(AdminGetUserError::UserNotFoundException(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(COGNITO.store_error("AdminGetUser", &self.description.user_pool_id, e)),
        }
    }

    /// The attribute a login could be besides a username, in this pool: the sub, or an alias of
    /// the login's form. An email or phone number that is not an alias is not a login in Cognito
    /// (ForgotPassword refuses it too), so it is not searched.
    fn fallback_attribute(&self, login: &str) -> Option<&'static str> {
        if looks_like_sub(login) {
            return Some("sub");
        }
        let attribute = LoginForm::of(login)
            .attribute()
            .unwrap_or("preferred_username");
        self.description.is_alias(attribute).then_some(attribute)
    }

    /// ListUsers with `attribute = "value"`: the username of the one user the login names. An
    /// email or phone alias counts only when verified, as Cognito accepts only verified aliases.
    async fn list_one(&self, attribute: &str, value: &str) -> Result<Option<String>, StoreError> {
        let pool = &self.description.user_pool_id;
        let out = self
            .client
            .list_users()
            .user_pool_id(pool)
            .filter(format!("{attribute} = \"{}\"", escape_filter(value)))
            .limit(10)
            .send()
            .await
            .map_err(|e| COGNITO.store_error("ListUsers", pool, e))?;
        let flag = match attribute {
            "email" => Some("email_verified"),
            "phone_number" => Some("phone_number_verified"),
            _ => None,
        };
        let mut matching = out.users().iter().filter(|u| {
            flag.is_none_or(|flag| {
                attribute_value(u.attributes(), flag)
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            })
        });
        let (first, second) = (matching.next(), matching.next());
        if second.is_some() {
            // Cognito keeps aliases and subs unique; two matches mean no login to trust.
            tracing::warn!(attribute, "several users match one login; none is used");
            return Ok(None);
        }
        Ok(first.and_then(UserType::username).map(str::to_string))
    }

    fn user_from(&self, out: AdminGetUserOutput) -> Result<User, StoreError> {
        let mut attributes = Attributes::default();
        for a in out.user_attributes() {
            if let Some(value) = a.value() {
                attributes.set(a.name(), value);
            }
        }
        let sub = attributes.get("sub").map(str::to_string).ok_or_else(|| {
            COGNITO.malformed(&self.description.user_pool_id, out.username(), "sub")
        })?;
        Ok(User {
            username: out.username().to_string(),
            sub,
            status: status(out.user_status().map(|s| s.as_str())),
            enabled: out.enabled(),
            attributes,
            password_hash: None,
            mfa: mfa(
                out.preferred_mfa_setting(),
                out.user_mfa_setting_list(),
                out.mfa_options(),
            ),
        })
    }

    /// The Username AdminCreateUser accepts for this user. A pool with username attributes
    /// wants the email or phone itself (and assigns a UUID username); an alias pool refuses an
    /// email- or phone-shaped username, so the new sub-like id stands in, as Cognito does.
    fn creation_username(&self, user: &User) -> String {
        let d = &self.description;
        let name = user.username.as_str();
        let shape = LoginForm::of(name).attribute();
        if !d.username_attributes.is_empty() {
            if shape.is_some_and(|a| d.is_username_attribute(a)) {
                return name.to_string();
            }
            let by_attribute = ["email", "phone_number"]
                .into_iter()
                .filter(|a| d.is_username_attribute(a))
                .find_map(|a| user.attributes.get(a));
            return by_attribute.unwrap_or(name).to_string();
        }
        if shape.is_some_and(|a| d.is_alias(a)) && !user.sub.is_empty() {
            return user.sub.clone();
        }
        d.normalize(name)
    }
}

/// A call's config with no SDK retry and one timeout for its single attempt.
pub(super) fn one_attempt(timeout: Duration) -> aws_sdk_cognitoidentityprovider::config::Builder {
    aws_sdk_cognitoidentityprovider::config::Builder::default()
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(timeout)
                .operation_timeout(timeout)
                .build(),
        )
}

/// The rule text of Cognito's refusal, without the prefix the use case adds back.
fn rule(message: Option<&str>) -> String {
    let message = message.unwrap_or("").trim();
    let rule = message
        .strip_prefix(POLICY_PREFIX)
        .unwrap_or(message)
        .trim();
    if rule.is_empty() {
        "Password does not meet the pool's requirements".to_string()
    } else {
        rule.to_string()
    }
}

fn attribute_value<'a>(attributes: &'a [AttributeType], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|a| a.name() == name)
        .and_then(AttributeType::value)
}

fn status(status: Option<&str>) -> UserStatus {
    match status {
        Some("UNCONFIRMED") => UserStatus::Unconfirmed,
        Some("CONFIRMED") => UserStatus::Confirmed,
        Some("RESET_REQUIRED") => UserStatus::ResetRequired,
        Some("FORCE_CHANGE_PASSWORD") => UserStatus::ForceChangePassword,
        Some("EXTERNAL_PROVIDER") => UserStatus::ExternalProvider,
        Some("ARCHIVED") => UserStatus::Archived,
        Some("COMPROMISED") => UserStatus::Compromised,
        _ => UserStatus::Unknown,
    }
}

fn mfa_channel(setting: &str) -> Option<MfaChannel> {
    match setting {
        "SMS_MFA" => Some(MfaChannel::Sms),
        "EMAIL_OTP" => Some(MfaChannel::Email),
        "SOFTWARE_TOKEN_MFA" => Some(MfaChannel::SoftwareToken),
        _ => None,
    }
}

/// The user's second factor: the preferred one, else the first enabled, else the legacy
/// `MFAOptions` (SMS only).
fn mfa(
    preferred: Option<&str>,
    enabled: &[String],
    legacy: &[MfaOptionType],
) -> Option<MfaChannel> {
    preferred
        .and_then(mfa_channel)
        .or_else(|| enabled.iter().find_map(|s| mfa_channel(s)))
        .or_else(|| {
            legacy
                .iter()
                .any(|o| o.delivery_medium() == Some(&DeliveryMediumType::Sms))
                .then_some(MfaChannel::Sms)
        })
}

/// A ListUsers filter value: `"` and `\` escaped with a backslash.
fn escape_filter(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// 48 characters, 12 from each class Cognito's policy can require, shuffled: it satisfies any
/// policy (length 6-99, every class) and is never shown, stored or logged.
fn unguessable_password<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    const CLASSES: [&[u8]; 4] = [
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        b"abcdefghijklmnopqrstuvwxyz",
        b"0123456789",
        b"^$*.[]{}()?!@#%&/,><:;|_~=+-",
    ];
    let mut chars: Vec<u8> = CLASSES
        .iter()
        .flat_map(|class| {
            (0..12)
                .map(|_| class[rng.random_range(0..class.len())])
                .collect::<Vec<_>>()
        })
        .collect();
    // Fisher-Yates, so the classes are not in a known order.
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    chars.into_iter().map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::password::PasswordPolicy;
    use rand::SeedableRng;

    #[test]
    fn the_generated_password_meets_the_strictest_policy() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let strict = PasswordPolicy {
            minimum_length: 40,
            ..PasswordPolicy::default()
        };
        let a = unguessable_password(&mut rng);
        let b = unguessable_password(&mut rng);
        assert_eq!(a.len(), 48);
        assert_ne!(a, b);
        strict.check(&a).unwrap();
    }

    #[test]
    fn mfa_prefers_the_preferred_setting() {
        let list = vec!["SOFTWARE_TOKEN_MFA".to_string(), "SMS_MFA".to_string()];
        assert_eq!(mfa(Some("SMS_MFA"), &list, &[]), Some(MfaChannel::Sms));
        assert_eq!(mfa(Some(""), &list, &[]), Some(MfaChannel::SoftwareToken));
        assert_eq!(
            mfa(None, &["EMAIL_OTP".into()], &[]),
            Some(MfaChannel::Email)
        );
        let legacy = MfaOptionType::builder()
            .delivery_medium(DeliveryMediumType::Sms)
            .attribute_name("phone_number")
            .build();
        assert_eq!(mfa(None, &[], &[legacy]), Some(MfaChannel::Sms));
        assert_eq!(mfa(None, &[], &[]), None);
    }

    #[test]
    fn filter_escaping() {
        assert_eq!(escape_filter(r#"a"b\c"#), r#"a\"b\\c"#);
    }

    #[test]
    fn refusal_rule_without_the_prefix() {
        assert_eq!(
            rule(Some(
                "Password does not conform to policy: Password not long enough"
            )),
            "Password not long enough"
        );
        assert_eq!(
            rule(Some("Password has previously been used")),
            "Password has previously been used"
        );
        assert_eq!(rule(None), "Password does not meet the pool's requirements");
    }

    #[test]
    fn statuses() {
        assert_eq!(
            status(Some("FORCE_CHANGE_PASSWORD")),
            UserStatus::ForceChangePassword
        );
        assert_eq!(status(Some("CONFIRMED")), UserStatus::Confirmed);
        assert_eq!(status(Some("SOMETHING_NEW")), UserStatus::Unknown);
        assert_eq!(status(None), UserStatus::Unknown);
    }
}
