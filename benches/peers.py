"""Configures the benchmark's peers with one pool, one app client and the same users.

    peers.py ours-pool OUT.json USERS OUTBOX     pool file for our runner (cognito-reset-local --config)
    peers.py cold-users OUT.json USERS           users file for the Lambda bootstraps (SEED_USERS_FILE)
    peers.py moto ENDPOINT USERS                 pool, client and users through the Cognito API; prints the client id
    peers.py cognito-local-pool ENDPOINT         pool and client through the API; prints "POOL_ID CLIENT_ID"
    peers.py cognito-local-users DB.json USERS   adds the users to cognito-local's database (server stopped)
    peers.py deployed ENDPOINT USERS DIR         what the template's configuration needs on moto: the pool
                                                 (users CONFIRMED), its client, the source table (one user,
                                                 the user-migration sample's), SES identity, a KMS key and
                                                 a custom-sender event encrypted under it (DIR/custom-sender.json);
                                                 and the code keys secret; prints KEY=VALUE lines
                                                 (USER_POOL_ID, CLIENT_ID, KMS_KEY_ARN, CODE_HASH_KEY_SECRET_ARN)

Users are user00001 .. userNNNNN, CONFIRMED, with a verified email user00001@example.com ...
The pool recovers by verified email first, then verified phone; the app client has no secret.
"""

import json
import sys
import uuid
from datetime import datetime, timezone

RECOVERY = [
    {"Name": "verified_email", "Priority": 1},
    {"Name": "verified_phone_number", "Priority": 2},
]


def name(i):
    return f"user{i:05d}"


def email(i):
    return f"{name(i)}@example.com"


def sub(i):
    return str(uuid.UUID(int=i, version=4))


def our_users(count):
    return [
        {
            "Username": name(i),
            "Sub": sub(i),
            "Status": "CONFIRMED",
            "Attributes": {"email": email(i), "email_verified": "true"},
        }
        for i in range(1, count + 1)
    ]


def ours_pool(out, count, outbox):
    pool = {
        "UserPoolId": "us-east-1_BenchPool1",
        "Clients": [{"ClientId": "benchclient0000000000000001"}],
        "AccountRecoverySetting": {"RecoveryMechanisms": RECOVERY},
        "PreventUserExistenceErrors": "ENABLED",
        # The peers have no per-user request limit: ours is raised so that every request does
        # the full work (resolve, issue, render, deliver) instead of answering LimitExceeded. The
        # load generator is one caller (127.0.0.1): the per-caller limits are off.
        "Codes": {"Length": 6, "TtlSeconds": 3600, "MaxRequests": 1000000,
                  "WindowSeconds": 3600, "MaxFailedAttempts": 5,
                  "MaxRequestsPerCaller": 0, "MaxConfirmsPerCaller": 0},
        "Outbox": {"Path": outbox},
        "Users": our_users(count),
    }
    with open(out, "w") as f:
        json.dump(pool, f)
    print(pool["Clients"][0]["ClientId"])


def client(endpoint):
    import boto3

    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCH",
        aws_secret_access_key="bench",
    )


def create_pool(cognito):
    pool = cognito.create_user_pool(
        PoolName="bench",
        AccountRecoverySetting={"RecoveryMechanisms": RECOVERY},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool, ClientName="bench")[
        "UserPoolClient"
    ]["ClientId"]
    return pool, client_id


def create_user(cognito, pool, i):
    """User `i` with a verified email, created by an admin (no invitation sent)."""
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=name(i),
        UserAttributes=[
            {"Name": "email", "Value": email(i)},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )


def moto(endpoint, count):
    cognito = client(endpoint)
    pool, client_id = create_pool(cognito)
    for i in range(1, count + 1):
        create_user(cognito, pool, i)
    print(client_id)


def deployed(endpoint, count, out_dir):
    import os
    import subprocess

    import boto3

    session = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    cognito = boto3.client("cognito-idp", **session)
    pool, client_id = create_pool(cognito)
    for i in range(1, count + 1):
        create_user(cognito, pool, i)
        # CONFIRMED: a FORCE_CHANGE_PASSWORD user is refused before any code is issued.
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=name(i), Password="Bench-Passw0rd!", Permanent=True
        )
    # The source table as the template creates it (SourceKey=username, email index), with the
    # user of events/user-migration-ForgotPassword.json.
    dynamodb = boto3.client("dynamodb", **session)
    dynamodb.create_table(
        TableName="source-users",
        AttributeDefinitions=[
            {"AttributeName": "username", "AttributeType": "S"},
            {"AttributeName": "email", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "username", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "email-index",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    here = os.path.dirname(os.path.abspath(__file__))
    events = os.path.join(here, "..", "events")
    with open(os.path.join(events, "user-migration-ForgotPassword.json")) as f:
        source_user = json.load(f)["userName"]
    dynamodb.put_item(
        TableName="source-users",
        Item={
            "username": {"S": source_user},
            "email": {"S": source_user},
            "email_verified": {"S": "true"},
        },
    )
    ses = boto3.client("ses", **session)
    ses.verify_domain_identity(Domain="example.com")
    ses.verify_email_identity(EmailAddress="no-reply@example.com")
    # Cognito's custom sender event, its code encrypted under a new moto KMS key by the reference
    # Encryption SDK (scripts/esdk.py), as Cognito encrypts it.
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    context = json.dumps({"userpool-id": pool})
    done = subprocess.run(
        [sys.executable, os.path.join(here, "..", "scripts", "esdk.py"), "encrypt",
         "--key-arn", "new", "--plaintext", "123456", "--context", context,
         "--suite", "0x0378"],
        env=env, check=True, capture_output=True, text=True,
    )
    key_arn = done.stderr.strip().splitlines()[-1]
    with open(os.path.join(events, "custom-sender-email-ForgotPassword.json")) as f:
        event = json.load(f)
    event["userPoolId"] = pool
    event["request"]["code"] = done.stdout.strip()
    event["request"]["userAttributes"]["email"] = email(1)
    with open(os.path.join(out_dir, "custom-sender.json"), "w") as f:
        json.dump(event, f)
    # The code keys secret as the template generates it (CODE_HASH_KEY_SECRET_ARN): a keyring
    # of one key, 64 alphanumerics.
    secrets = boto3.client("secretsmanager", **session)
    key = "".join(chr(ord("a") + (i * 7) % 26) for i in range(64))
    secret = secrets.create_secret(
        Name=f"code-hash-key-{uuid.uuid4()}",
        SecretString=json.dumps({"current": "k1", "decoy": "k1", "k1": key}),
    )
    print(f"USER_POOL_ID={pool}")
    print(f"CLIENT_ID={client_id}")
    print(f"KMS_KEY_ARN={key_arn}")
    print(f"CODE_HASH_KEY_SECRET_ARN={secret['ARN']}")


def cognito_local_pool(endpoint):
    pool, client_id = create_pool(client(endpoint))
    print(pool, client_id)


def cognito_local_users(db, count):
    with open(db) as f:
        data = json.load(f)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for i in range(1, count + 1):
        data["Users"][name(i)] = {
            "Username": name(i),
            "Password": "Bench-Passw0rd!",
            "Attributes": [
                {"Name": "email", "Value": email(i)},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "sub", "Value": sub(i)},
            ],
            "Enabled": True,
            "UserStatus": "CONFIRMED",
            "UserCreateDate": now,
            "UserLastModifiedDate": now,
            "RefreshTokens": [],
        }
    with open(db, "w") as f:
        json.dump(data, f, indent=2)


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "ours-pool":
        ours_pool(args[0], int(args[1]), args[2])
    elif command == "cold-users":
        with open(args[0], "w") as f:
            json.dump(our_users(int(args[1])), f)
    elif command == "moto":
        moto(args[0], int(args[1]))
    elif command == "deployed":
        deployed(args[0], int(args[1]), args[2])
    elif command == "cognito-local-pool":
        cognito_local_pool(args[0])
    elif command == "cognito-local-users":
        cognito_local_users(args[0], int(args[1]))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
