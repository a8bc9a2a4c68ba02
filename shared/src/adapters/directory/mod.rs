//! Who exists and which password signs in (`UserDirectory`), and the pool's app clients
//! (`AppClients`): in memory, on the DynamoDB users table, or the Cognito user pool itself.

#[cfg(feature = "cognito")]
pub mod cognito;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod fixed_app_clients;
pub mod memory;
pub mod password_hashing;
