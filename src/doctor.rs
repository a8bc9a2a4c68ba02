//! `doctor`: whether SES and SMS can deliver codes for the configured region and endpoint, and what
//! becomes of the user pool's triggers, with the same settings the function reads. Exit status 1
//! when something blocks delivery or the start.

use std::process::ExitCode;

pub async fn run() -> ExitCode {
    let report = crate::readiness::check_from_env().await;
    print!("{report}");
    if report.blocked() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
