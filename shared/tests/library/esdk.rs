//! The Encryption SDK decrypt path against messages the Python ESDK (AWS's reference implementation)
//! wrote: the two suites Cognito's codes come in (0x0378, and 0x0578 with key commitment), framed
//! (one and several frames) and non-framed, with the data key handed over by a fixed keyring; the
//! nine other suites refused unread. Then what must be refused: a flipped bit anywhere, a wrong key,
//! a missing required context pair, a broken signature or commitment, truncation. The KMS keyring
//! itself is checked against aws-smithy-mocks (the moto round trip is in functions/custom-sender).
//!
//! Regenerate the fixture with `scripts/esdk.py vectors shared/tests/fixtures/esdk-vectors.json`.

#![cfg(feature = "kms")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::operation::decrypt::{DecryptError as KmsDecryptError, DecryptOutput};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::error::IncorrectKeyException;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use password_reset::adapters::esdk::{
    CodeDecryptor, DecryptError, EncryptedDataKey, EncryptionContext, Keyring, KmsKeyring, decrypt,
    message::parse_header,
};
use serde_json::Value;
use zeroize::Zeroizing;

struct Vector {
    suite: String,
    frame_length: Option<u64>,
    message: Vec<u8>,
    data_key: Vec<u8>,
    plaintext: String,
}

fn fixture() -> (String, EncryptionContext, Vec<Vector>) {
    let v: Value = serde_json::from_str(include_str!("../fixtures/esdk-vectors.json")).unwrap();
    let context = serde_json::from_value(v["context"].clone()).unwrap();
    let vectors = v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            suite: v["suite"].as_str().unwrap().to_string(),
            frame_length: v["frame_length"].as_u64(),
            message: STANDARD.decode(v["message"].as_str().unwrap()).unwrap(),
            data_key: STANDARD.decode(v["data_key"].as_str().unwrap()).unwrap(),
            plaintext: v["plaintext"].as_str().unwrap().to_string(),
        })
        .collect::<Vec<_>>();
    // Only the suites the custom sender accepts; the others are `refused_suites`.
    let vectors = vectors
        .into_iter()
        .filter(|v| ACCEPTED.contains(&v.suite.as_str()))
        .collect();
    (v["key_arn"].as_str().unwrap().to_string(), context, vectors)
}

/// What Cognito writes (0x0378) and its committing successor (0x0578).
const ACCEPTED: [&str; 2] = ["0x0378", "0x0578"];

/// The fixture's messages in every other suite.
fn refused_suites() -> Vec<Vector> {
    let v: Value = serde_json::from_str(include_str!("../fixtures/esdk-vectors.json")).unwrap();
    v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !ACCEPTED.contains(&v["suite"].as_str().unwrap()))
        .map(|v| Vector {
            suite: v["suite"].as_str().unwrap().to_string(),
            frame_length: v["frame_length"].as_u64(),
            message: STANDARD.decode(v["message"].as_str().unwrap()).unwrap(),
            data_key: STANDARD.decode(v["data_key"].as_str().unwrap()).unwrap(),
            plaintext: v["plaintext"].as_str().unwrap().to_string(),
        })
        .collect()
}

#[tokio::test]
async fn the_suites_cognito_does_not_use_are_refused_before_any_key_is_asked_for() {
    let refused = refused_suites();
    assert_eq!(refused.len(), 27, "9 suites x 3 body forms");
    for v in &refused {
        // A keyring that would hand out the right key: the refusal comes before it is asked.
        let err = open(v, &v.message, &EncryptionContext::new())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            DecryptError::Unsupported(format!("algorithm suite {}", v.suite)),
            "{} frame {:?}",
            v.suite,
            v.frame_length
        );
        assert!(parse_header(&v.message).is_err());
    }
}

/// Hands out one data key, whatever is asked (and remembers what it was given).
struct Fixed(Vec<u8>);

#[async_trait]
impl Keyring for Fixed {
    async fn unwrap_key(
        &self,
        keys: &[EncryptedDataKey],
        _context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        assert!(!keys.is_empty());
        Ok(Zeroizing::new(self.0.clone()))
    }
}

async fn open(
    v: &Vector,
    message: &[u8],
    required: &EncryptionContext,
) -> Result<String, DecryptError> {
    decrypt(message, &Fixed(v.data_key.clone()), required)
        .await
        .map(|p| String::from_utf8(p.to_vec()).unwrap())
}

#[tokio::test]
async fn every_suite_and_body_form_the_reference_sdk_writes_decrypts() {
    let (key_arn, context, vectors) = fixture();
    assert_eq!(vectors.len(), 6, "2 suites x 3 body forms");
    for v in &vectors {
        let name = format!("{} frame {:?}", v.suite, v.frame_length);
        assert_eq!(
            open(v, &v.message, &context).await.unwrap(),
            v.plaintext,
            "{name}"
        );
        // Also with no context required: the context is authenticated either way.
        assert_eq!(
            open(v, &v.message, &EncryptionContext::new())
                .await
                .unwrap(),
            v.plaintext
        );
        let header = parse_header(&v.message).unwrap();
        assert_eq!(format!("0x{:04X}", header.suite.id), v.suite);
        assert_eq!(
            header.version,
            if header.suite.is_committing() { 2 } else { 1 }
        );
        assert_eq!(header.encrypted_data_keys.len(), 1, "{name}");
        assert_eq!(header.encrypted_data_keys[0].provider_id, "aws-kms");
        assert_eq!(
            header.encrypted_data_keys[0].provider_info,
            key_arn.as_bytes()
        );
        assert_eq!(
            header
                .encryption_context
                .contains_key("aws-crypto-public-key"),
            header.suite.is_signing(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_flipped_bit_anywhere_is_refused() {
    let (_, context, vectors) = fixture();
    for v in &vectors {
        // Every byte of short messages; a stride through the long ones keeps the test quick.
        let stride = if v.message.len() > 600 { 7 } else { 1 };
        for i in (0..v.message.len()).step_by(stride) {
            let mut bad = v.message.clone();
            bad[i] ^= 0x01;
            let result = open(v, &bad, &context).await;
            assert!(
                result.is_err(),
                "{} frame {:?}: byte {i} flipped still decrypts",
                v.suite,
                v.frame_length
            );
        }
    }
}

#[tokio::test]
async fn truncation_extra_bytes_and_garbage_are_refused() {
    let (_, context, vectors) = fixture();
    for v in &vectors {
        for cut in [0, 1, 5, v.message.len() / 2, v.message.len() - 1] {
            assert!(
                open(v, &v.message[..cut], &context).await.is_err(),
                "{} cut {cut}",
                v.suite
            );
        }
        let mut longer = v.message.clone();
        longer.push(0);
        assert!(
            open(v, &longer, &context).await.is_err(),
            "{} + 1 byte",
            v.suite
        );
    }
    let v = &vectors[0];
    for garbage in [&b""[..], b"\x01", b"\x03\x80", b"plain text, not a message"] {
        assert!(open(v, garbage, &context).await.is_err());
    }
}

#[tokio::test]
async fn a_wrong_data_key_and_a_wrong_commitment_are_refused() {
    let (_, context, vectors) = fixture();
    for v in &vectors {
        let mut wrong = v.data_key.clone();
        wrong[0] ^= 0x80;
        let err = decrypt(&v.message, &Fixed(wrong), &context)
            .await
            .unwrap_err();
        let header = parse_header(&v.message).unwrap();
        let expected = if header.suite.is_committing() {
            DecryptError::Authentication("the key commitment does not match")
        } else {
            DecryptError::Authentication("the header authentication tag does not verify")
        };
        assert_eq!(err, expected, "{}", v.suite);
        // A key of the wrong length for the suite.
        let short = decrypt(&v.message, &Fixed(vec![0; 7]), &context)
            .await
            .unwrap_err();
        assert!(
            matches!(short, DecryptError::Malformed(_)),
            "{}: {short}",
            v.suite
        );
    }
}

#[tokio::test]
async fn a_required_context_pair_must_be_in_the_message() {
    let (_, _, vectors) = fixture();
    let v = &vectors[0];
    let mut required = EncryptionContext::new();
    required.insert("userpool-id".into(), "us-east-1_OTHER".into());
    let err = open(v, &v.message, &required).await.unwrap_err();
    assert_eq!(err, DecryptError::ContextMismatch("userpool-id".into()));
    assert!(err.to_string().contains("userpool-id"));
    required.clear();
    required.insert("tenant".into(), "a".into());
    assert_eq!(
        open(v, &v.message, &required).await.unwrap_err(),
        DecryptError::ContextMismatch("tenant".into())
    );
}

#[tokio::test]
async fn the_code_decryptor_reads_base64_and_text() {
    let (_, context, vectors) = fixture();
    let v = vectors.iter().find(|v| v.suite == "0x0378").unwrap();
    let decryptor = CodeDecryptor {
        keyring: Fixed(v.data_key.clone()),
        required_context: context,
    };
    let code = decryptor
        .decrypt_code(&STANDARD.encode(&v.message))
        .await
        .unwrap();
    assert_eq!(code.as_str(), v.plaintext);
    assert_eq!(
        decryptor.decrypt_code("not base64!").await.unwrap_err(),
        DecryptError::NotBase64
    );
    let huge = "A".repeat(200_000);
    assert!(matches!(
        decryptor.decrypt_code(&huge).await.unwrap_err(),
        DecryptError::Unsupported(_)
    ));
}

// ---------------------------------------------------------------- the KMS keyring

fn kms_answering(key_id: &'static str, plaintext: Vec<u8>) -> Client {
    let rule = mock!(Client::decrypt).then_output(move || {
        DecryptOutput::builder()
            .key_id(key_id)
            .plaintext(Blob::new(plaintext.clone()))
            .build()
    });
    mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&rule])
}

#[tokio::test]
async fn the_kms_keyring_sends_only_our_key_and_checks_who_answered() {
    let (key_arn, context, vectors) = fixture();
    let v = vectors.iter().find(|v| v.suite == "0x0578").unwrap();
    let arn: &'static str = Box::leak(key_arn.clone().into_boxed_str());

    // KMS answers for our key: the message decrypts.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = seen.clone();
    let data_key = v.data_key.clone();
    let rule = mock!(Client::decrypt).then_compute_output(move |input| {
        keep.lock().unwrap().push(input.clone());
        DecryptOutput::builder()
            .key_id(arn)
            .plaintext(Blob::new(data_key.clone()))
            .build()
    });
    let client = mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&rule]);
    let plaintext = decrypt(&v.message, &KmsKeyring::new(client, arn), &context)
        .await
        .unwrap();
    assert_eq!(plaintext.as_slice(), v.plaintext.as_bytes());
    let input = seen.lock().unwrap()[0].clone();
    assert_eq!(input.key_id(), Some(arn));
    let sent_context = input.encryption_context().unwrap();
    assert_eq!(sent_context["userpool-id"], "us-east-1_VECTORS");
    assert!(sent_context.contains_key("aws-crypto-public-key"));

    // KMS answers for another key: refused.
    let other = "arn:aws:kms:us-east-1:123456789012:key/other";
    let keyring = KmsKeyring::new(kms_answering(other, v.data_key.clone()), arn);
    let err = decrypt(&v.message, &keyring, &context).await.unwrap_err();
    assert!(
        matches!(&err, DecryptError::Kms(d) if d.contains("another key")),
        "{err}"
    );

    // Configured for another key: KMS is never asked.
    let keyring = KmsKeyring::new(kms_answering(other, v.data_key.clone()), other);
    assert_eq!(
        decrypt(&v.message, &keyring, &context).await.unwrap_err(),
        DecryptError::NoMatchingKey(other.into())
    );

    // KMS refuses: the error says so, without the key material.
    let refuse = mock!(Client::decrypt).then_error(|| {
        KmsDecryptError::IncorrectKeyException(
            IncorrectKeyException::builder()
                .message("The key ID in the request does not identify a CMK that can perform this operation.")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&refuse]);
    let err = decrypt(&v.message, &KmsKeyring::new(client, arn), &context)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DecryptError::Kms(d) if d.contains("IncorrectKeyException")),
        "{err}"
    );
}

/// The raw AES keyring of the local key (`SENDER_LOCAL_KEY`): the sample events' codes, which the
/// Python ESDK encrypted under events/local-env.json's key (`scripts/esdk.py local-events`),
/// decrypt with it; under any other key, or a message whose data key KMS wrapped, they do not.
#[tokio::test]
async fn the_local_key_decrypts_the_sample_events_and_nothing_else() {
    use password_reset::adapters::esdk::RawAesKeyring;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root.join(path)).unwrap()).unwrap()
    };
    let key: [u8; 32] = STANDARD
        .decode(
            read("events/local-env.json")["CustomSenderFunction"]["SENDER_LOCAL_KEY"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
        .try_into()
        .unwrap();
    let local = |key: [u8; 32]| CodeDecryptor {
        keyring: RawAesKeyring::new(key),
        required_context: EncryptionContext::new(),
    };
    let code = |event: &str| {
        read(&format!("events/{event}.json"))["request"]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (event, plaintext) in [
        ("custom-sender-email-ForgotPassword", "123456"),
        ("custom-sender-sms-AdminCreateUser", "Tmp-Passw0rd!"),
    ] {
        let decrypted = local(key).decrypt_code(&code(event)).await.unwrap();
        assert_eq!(decrypted.as_str(), plaintext, "{event}");
    }
    let mut other = key;
    other[0] ^= 1;
    assert!(matches!(
        local(other)
            .decrypt_code(&code("custom-sender-email-SignUp"))
            .await,
        Err(DecryptError::Authentication(_))
    ));
    let (_, _, vectors) = fixture();
    let under_kms = STANDARD.encode(&vectors[0].message);
    assert!(matches!(
        local(key).decrypt_code(&under_kms).await,
        Err(DecryptError::NoMatchingKey(_))
    ));
}
