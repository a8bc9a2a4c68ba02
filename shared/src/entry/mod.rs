//! The edges a request comes in by: Cognito's JSON wire form (`protocol`), the reset page and the
//! CORS rules of the HTTP answers, and the Lambda functions' runtime glue (`lambda`). They decode,
//! call a use case and encode; no rule lives here.

/// The CORS settings of the runner and the HTTP API.
pub mod cors;
/// The HTTP API behind CloudFront and AWS WAF: the origin header checked, the viewer the caller.
pub mod edge;
#[cfg(feature = "lambda-log")]
pub mod lambda;
pub mod protocol;
pub mod reset_page;
