"""Encrypts codes as Cognito does for its custom sender triggers: an AWS Encryption SDK message
(the Python ESDK, AWS's reference implementation) under a KMS key, base64. KMS is whatever
AWS_ENDPOINT_URL (or MOTO_ENDPOINT) points at: moto_server in the tests.

  esdk.py encrypt --key-arn ARN --plaintext 123456 [--context JSON] [--suite 0x0378] [--frame-length N]
      prints the base64 message (a new key with --key-arn new; the ARN then goes to stderr)
  esdk.py decrypt --key-arn ARN --message B64 [--context JSON]
      prints the plaintext of a message (a custom sender event's request.code) under the strict
      KMS provider of that key; with --context, each pair must be in the message's context
  esdk.py vectors OUT.json
      one message per algorithm suite (framed, multi-frame and non-framed), each with its plaintext
      data key (asked back from KMS), for the decrypt unit tests that run without KMS
  esdk.py local-events EVENTS_DIR ENV.json
      the custom-sender sample events in events/, under the local key (SENDER_LOCAL_KEY) that
      ENV.json (events/local-env.json) gives the function: the Encryption SDK's raw AES keyring, so
      they decrypt with no KMS (sam local, tests)
"""

import base64
import io
import json
import os
import sys

import boto3
import aws_encryption_sdk
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.identifiers import Algorithm
from aws_encryption_sdk.internal.formatting.deserialize import deserialize_header

if "AWS_ENDPOINT_URL" not in os.environ and "MOTO_ENDPOINT" in os.environ:
    os.environ["AWS_ENDPOINT_URL"] = os.environ["MOTO_ENDPOINT"]
os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))

# Codes seen in Cognito's events start with "AYADe": message format 1, suite 0x0378.
COGNITO_SUITE = 0x0378
EVENTS_CONTEXT = {"userpool-id": "us-east-1_EXAMPLE"}


def kms():
    return boto3.client("kms")


def new_key():
    return kms().create_key(Description="custom-sender test key")["KeyMetadata"]["Arn"]


def encrypt(key_arn, plaintext, context=None, suite=None, frame_length=None):
    algorithm = Algorithm.get_by_id(suite) if suite is not None else None
    committing = algorithm is None or algorithm.is_committing()
    policy = (
        CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
        if committing
        else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn])
    kwargs = {}
    if algorithm is not None:
        kwargs["algorithm"] = algorithm
    if frame_length is not None:
        kwargs["frame_length"] = frame_length
    message, _ = client.encrypt(
        source=plaintext, key_provider=provider, encryption_context=context or {}, **kwargs
    )
    return message


def data_key(key_arn, message):
    """The message's plaintext data key, asked back from KMS (test material only)."""
    header, _ = deserialize_header(io.BytesIO(message))
    (edk,) = list(header.encrypted_data_keys)
    out = kms().decrypt(
        KeyId=key_arn,
        CiphertextBlob=edk.encrypted_data_key,
        EncryptionContext=dict(header.encryption_context),
    )
    return edk.encrypted_data_key, out["Plaintext"]


def b64(data):
    return base64.b64encode(data).decode()


def cmd_encrypt(args):
    opts = dict(zip(args[::2], args[1::2]))
    key_arn = opts["--key-arn"]
    if key_arn == "new":
        key_arn = new_key()
        print(key_arn, file=sys.stderr)
    suite = int(opts["--suite"], 16) if "--suite" in opts else None
    frame = int(opts["--frame-length"]) if "--frame-length" in opts else None
    context = json.loads(opts.get("--context", "{}"))
    message = encrypt(key_arn, opts["--plaintext"].encode(), context, suite, frame)
    print(b64(message))


def cmd_decrypt(args):
    opts = dict(zip(args[::2], args[1::2]))
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
    )
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[opts["--key-arn"]])
    plaintext, header = client.decrypt(
        source=base64.b64decode(opts["--message"]), key_provider=provider
    )
    for key, value in json.loads(opts.get("--context", "{}")).items():
        if header.encryption_context.get(key) != value:
            sys.exit(f"the message's encryption context does not hold {key}={value}")
    print(plaintext.decode())


def cmd_vectors(out):
    key_arn = new_key()
    context = {"userpool-id": "us-east-1_VECTORS", "purpose": "test"}
    vectors = []
    suites = [a.algorithm_id for a in Algorithm]
    for suite in suites:
        for plaintext, frame in [(b"123456", None), (b"a plaintext longer than one 128-byte frame: " + b"0123456789" * 20, 128), (b"987654", 0)]:
            message = encrypt(key_arn, plaintext, context, suite, frame)
            _, key = data_key(key_arn, message)
            vectors.append(
                {
                    "suite": "0x%04X" % suite,
                    "frame_length": frame,
                    "message": b64(message),
                    "data_key": b64(key),
                    "plaintext": plaintext.decode(),
                }
            )
    json.dump(
        {"key_arn": key_arn, "context": context, "vectors": vectors}, open(out, "w"), indent=1
    )
    print(f"{len(vectors)} vectors -> {out}")


# The sources both senders receive a code for; each sender has others of its own.
CODE_SOURCES = [
    "SignUp",
    "ResendCode",
    "ForgotPassword",
    "UpdateUserAttribute",
    "VerifyUserAttribute",
]
EMAIL_SOURCES = CODE_SOURCES + ["AdminCreateUser", "AccountTakeOverNotification"]
SMS_SOURCES = CODE_SOURCES + ["Authentication", "AdminCreateUser"]


def event(kind, source, code):
    email = kind == "CustomEmailSender"
    attributes = {
        "sub": "5b8c9b4e-1111-2222-3333-444455556666",
        "cognito:user_status": "CONFIRMED",
        "name": "Jane",
        "locale": "en",
    }
    if email:
        attributes.update({"email": "jane@example.com", "email_verified": "true"})
    else:
        attributes.update({"phone_number": "+12065550142", "phone_number_verified": "true"})
    return {
        "version": "1",
        "triggerSource": f"{kind}_{source}",
        "region": "us-east-1",
        "userPoolId": "us-east-1_EXAMPLE",
        "userName": "jane",
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "38fjsnc484p94kpqsnet7mpld0",
        },
        "request": {
            "type": "customEmailSenderRequestV1" if email else "customSMSSenderRequestV1",
            "code": code,
            "clientMetadata": {},
            "userAttributes": attributes,
        },
    }


# The raw AES keyring's names for the local key (shared/src/adapters/esdk/raw_aes.rs).
LOCAL_KEY_NAMESPACE = "cognito-password-reset-local"
LOCAL_KEY_NAME = "sender-local-key"


def local_key_provider(key):
    from aws_encryption_sdk.identifiers import EncryptionKeyType, WrappingAlgorithm
    from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
    from aws_encryption_sdk.key_providers.raw import RawMasterKey

    return RawMasterKey(
        provider_id=LOCAL_KEY_NAMESPACE,
        key_id=LOCAL_KEY_NAME.encode(),
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=key,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )


def cmd_local_events(events_dir, env_file):
    settings = json.load(open(env_file))
    key = base64.b64decode(settings["CustomSenderFunction"]["SENDER_LOCAL_KEY"])
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    provider = local_key_provider(key)
    written = 0
    for kind, sources in [("CustomEmailSender", EMAIL_SOURCES), ("CustomSMSSender", SMS_SOURCES)]:
        for source in sources:
            code = None
            if source != "AccountTakeOverNotification":
                plaintext = b"Tmp-Passw0rd!" if source == "AdminCreateUser" else b"123456"
                message, _ = client.encrypt(
                    source=plaintext,
                    key_provider=provider,
                    encryption_context=EVENTS_CONTEXT,
                    algorithm=Algorithm.get_by_id(COGNITO_SUITE),
                )
                code = b64(message)
            name = f"custom-sender-{'email' if kind == 'CustomEmailSender' else 'sms'}-{source}.json"
            with open(os.path.join(events_dir, name), "w") as f:
                json.dump(event(kind, source, code), f, indent=2)
                f.write("\n")
            written += 1
    print(f"{written} events under the local key -> {events_dir}")


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "encrypt":
        cmd_encrypt(rest)
    elif command == "decrypt":
        cmd_decrypt(rest)
    elif command == "vectors":
        cmd_vectors(rest[0])
    elif command == "local-events":
        cmd_local_events(rest[0], rest[1])
    else:
        sys.exit(__doc__)
