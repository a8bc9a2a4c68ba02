//! The custom sender triggers: codes encrypted by the reference Encryption SDK, decrypted and delivered, and the real binary at TRACE.
//! One test binary, each suite a module, so the dependencies are linked once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod round_trip;
mod trace_logs;

/// `code` encrypted as Cognito does it, by AWS's Python Encryption SDK against moto's KMS: suite
/// 0x0378 under `key_arn`, with the pool's id as the encryption context.
fn encrypt_as_cognito(key_arn: &str, code: &str, pool_id: &str) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/esdk.py");
    let context = serde_json::json!({ "userpool-id": pool_id }).to_string();
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(["encrypt", "--key-arn", key_arn, "--plaintext", code])
        .args(["--context", &context, "--suite", "0x0378"])
        .env("MOTO_ENDPOINT", test_support::moto::endpoint())
        .output()
        .expect("python3 (with the pinned aws-encryption-sdk) runs");
    assert!(
        out.status.success(),
        "scripts/esdk.py encrypt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
