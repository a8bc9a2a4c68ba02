//! UserMigration_ForgotPassword through the pool's own function: Cognito's event for a login the
//! pool does not know, and its answer checked as Cognito checks it before the user is created.

use serde_json::{Value, json};

use super::{PoolTriggers, SDK_VERSION, UNRECOGNIZABLE};
use crate::domain::error::CognitoError;
use crate::domain::migration::{self, Migration, SourceUser};
use crate::domain::recovery::AccountRecovery;
use crate::domain::request::ClientMetadata;
use crate::domain::user::{Attributes, UserStatus};
use crate::usecases::errors::MigrationError;

/// What a UserMigration_ForgotPassword event carries.
pub(in crate::usecases) struct UserMigrationCall<'a> {
    pub user_pool_id: &'a str,
    pub client_id: &'a str,
    /// The login the pool did not find, as Cognito hands it over (`userName`).
    pub user_name: &'a str,
    pub client_metadata: Option<&'a ClientMetadata>,
}

const USER_MIGRATION: &str = "UserMigration";

impl PoolTriggers {
    /// UserMigration_ForgotPassword through the pool's function, when it has one to invoke: the
    /// user to create under `call.user_name`. A thrown error is `MigrationError::Threw` (an
    /// unknown user, as the function says it), an answer without attributes `UnknownUser`, one
    /// Cognito could not use `Unusable`. `None`: no function to invoke, migrate in-process.
    pub(in crate::usecases) async fn user_migration(
        &self,
        call: &UserMigrationCall<'_>,
        recovery: &AccountRecovery,
    ) -> Option<Result<Migration, MigrationError>> {
        let function = self.user_migration.as_deref()?;
        let event = user_migration_event(call);
        Some(match self.invoke(USER_MIGRATION, function, &event).await {
            Ok(answer) => migration_answer(&answer, call.user_name, recovery),
            Err(e @ CognitoError::UserLambdaValidation { .. }) => Err(MigrationError::Threw(e)),
            Err(e) => Err(MigrationError::Unusable(e)),
        })
    }
}

/// Cognito's UserMigration_ForgotPassword event: no password, the response all null.
fn user_migration_event(call: &UserMigrationCall<'_>) -> Value {
    let region = call.user_pool_id.split('_').next().unwrap_or_default();
    json!({
        "version": "1",
        "triggerSource": "UserMigration_ForgotPassword",
        "region": region,
        "userPoolId": call.user_pool_id,
        "userName": call.user_name,
        "callerContext": {"awsSdkVersion": SDK_VERSION, "clientId": call.client_id},
        "request": {
            "validationData": null,
            "clientMetadata": call.client_metadata.cloned().unwrap_or_default(),
        },
        "response": {
            "userAttributes": null,
            "forceAliasCreation": null,
            "enableSMSMFA": null,
            "finalUserStatus": null,
            "messageAction": null,
            "desiredDeliveryMediums": null,
        },
    })
}

/// The function's `response` checked as Cognito checks it: `userAttributes` (required: none is
/// an unknown user) with string values, `finalUserStatus` CONFIRMED or RESET_REQUIRED (unset:
/// RESET_REQUIRED, the reset sets the password), `messageAction` SUPPRESS or RESEND,
/// `desiredDeliveryMediums` EMAIL or SMS, the two flags booleans. Then the domain's rule for a
/// migrated user's reset: the verified flags beside each address, and a channel the pool's
/// recovery can use (`MigrationError::Refused` otherwise, as for a user without one).
fn migration_answer(
    answer: &Value,
    user_name: &str,
    recovery: &AccountRecovery,
) -> Result<Migration, MigrationError> {
    let unusable = |problem: &str| {
        tracing::error!(%problem, "the pool's UserMigration function answered something unusable");
        MigrationError::Unusable(CognitoError::InvalidLambdaResponse(problem.to_string()))
    };
    let response = answer
        .get("response")
        .and_then(Value::as_object)
        .ok_or_else(|| unusable(UNRECOGNIZABLE))?;
    let attributes = match response.get("userAttributes") {
        None | Some(Value::Null) => return Err(MigrationError::UnknownUser),
        Some(Value::Object(map)) if map.is_empty() => return Err(MigrationError::UnknownUser),
        Some(Value::Object(map)) => {
            serde_json::from_value::<Attributes>(Value::Object(map.clone()))
                .map_err(|_| unusable(UNRECOGNIZABLE))?
        }
        Some(_) => return Err(unusable(UNRECOGNIZABLE)),
    };
    let text = |key: &str| match response.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(unusable(&format!("Invalid {key}"))),
    };
    let status = match text("finalUserStatus")? {
        None | Some("RESET_REQUIRED") => UserStatus::ResetRequired,
        Some("CONFIRMED") => UserStatus::Confirmed,
        Some(_) => return Err(unusable("Invalid finalUserStatus")),
    };
    if !matches!(text("messageAction")?, None | Some("SUPPRESS" | "RESEND")) {
        return Err(unusable("Invalid messageAction"));
    }
    match response.get("desiredDeliveryMediums") {
        None | Some(Value::Null) => {}
        Some(Value::Array(mediums))
            if mediums
                .iter()
                .all(|m| matches!(m.as_str(), Some("EMAIL" | "SMS"))) => {}
        Some(_) => return Err(unusable("Invalid desiredDeliveryMediums")),
    }
    for flag in ["forceAliasCreation", "enableSMSMFA"] {
        if !matches!(
            response.get(flag),
            None | Some(Value::Null | Value::Bool(_))
        ) {
            return Err(unusable(&format!("Invalid {flag}")));
        }
    }
    let user = SourceUser {
        username: user_name.to_string(),
        attributes,
        password_hash: None,
    };
    let mut migrated = migration::for_reset(&user, recovery).map_err(MigrationError::Refused)?;
    migrated.final_user_status = status;
    Ok(migrated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::DeliveryMedium;

    fn answer(response: Value) -> Result<Migration, MigrationError> {
        migration_answer(
            &json!({ "response": response }),
            "lena",
            &AccountRecovery::default(),
        )
    }

    fn invalid(result: Result<Migration, MigrationError>) -> String {
        match result {
            Err(MigrationError::Unusable(CognitoError::InvalidLambdaResponse(m))) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_answer_is_checked_as_cognito_checks_it() {
        let ok = answer(json!({
            "userAttributes": {"email": "lena@example.com", "email_verified": "true", "sub": "x"},
            "messageAction": "SUPPRESS", "desiredDeliveryMediums": ["EMAIL"],
            "forceAliasCreation": false
        }))
        .unwrap();
        assert_eq!(ok.final_user_status, UserStatus::ResetRequired);
        assert_eq!(ok.desired_delivery_mediums, vec![DeliveryMedium::Email]);
        assert!(!ok.user_attributes.contains_key("sub"), "Cognito owns sub");
        let confirmed = answer(json!({"userAttributes": {"email": "l@e.com",
            "email_verified": true}, "finalUserStatus": "CONFIRMED"}))
        .unwrap();
        assert_eq!(confirmed.final_user_status, UserStatus::Confirmed);
        assert_eq!(confirmed.user_attributes["email_verified"], "true");
        for (response, problem) in [
            (
                json!({"userAttributes": {"email": "l@e.com", "email_verified": "true"},
                "finalUserStatus": "FORCE_CHANGE_PASSWORD"}),
                "Invalid finalUserStatus",
            ),
            (
                json!({"userAttributes": {"email": "l@e.com", "email_verified": "true"},
                "messageAction": "SEND"}),
                "Invalid messageAction",
            ),
            (
                json!({"userAttributes": {"email": "l@e.com", "email_verified": "true"},
                "desiredDeliveryMediums": ["VOICE"]}),
                "Invalid desiredDeliveryMediums",
            ),
            (json!({"userAttributes": "lena"}), UNRECOGNIZABLE),
        ] {
            assert_eq!(invalid(answer(response)), problem);
        }
        assert_eq!(
            invalid(migration_answer(
                &json!("ok"),
                "lena",
                &AccountRecovery::default()
            )),
            UNRECOGNIZABLE
        );
        // No attributes: the function found nobody.
        for nobody in [
            json!({}),
            json!({"userAttributes": null}),
            json!({"userAttributes": {}}),
        ] {
            assert!(matches!(answer(nobody), Err(MigrationError::UnknownUser)));
        }
        // A user without a verified channel cannot recover, as for a pool user without one.
        let unverified = answer(json!({"userAttributes": {"email": "l@e.com"}}));
        assert!(matches!(unverified, Err(MigrationError::Refused(_))));
    }

    #[test]
    fn the_event_is_cognitos() {
        let metadata = ClientMetadata::from([("tenant".to_string(), "acme".to_string())]);
        let event = user_migration_event(&UserMigrationCall {
            user_pool_id: "eu-west-3_abc",
            client_id: "client",
            user_name: "lena",
            client_metadata: Some(&metadata),
        });
        assert_eq!(event["triggerSource"], "UserMigration_ForgotPassword");
        assert_eq!(event["region"], "eu-west-3");
        assert_eq!(event["userName"], "lena");
        assert_eq!(event["request"]["clientMetadata"]["tenant"], "acme");
        assert!(event["request"].get("password").is_none());
        assert!(event["response"]["userAttributes"].is_null());
        assert_eq!(event["callerContext"]["clientId"], "client");
    }
}
