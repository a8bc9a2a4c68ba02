//! What is written beside the code holds to it: the template (environment, roles, alarms) and the
//! documentation (settings, links, the tests security.md names).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod docs;
mod template;
