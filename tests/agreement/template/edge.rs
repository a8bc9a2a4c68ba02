//! The edge (`EdgeWaf`): off by default and then nothing of it exists; on, CloudFront fronts the
//! HTTP API with an AWS WAF web ACL (the stack's in us-east-1, the team's elsewhere), sends the
//! header the functions check with the secret they are told of, forwards the viewer's address they
//! count, and caches nothing.

use std::collections::BTreeSet;

use password_reset::config::env;
use password_reset::entry::edge::{ORIGIN_VERIFY_HEADER, OriginVerifier, VIEWER_ADDRESS_HEADER};

use super::{Deployment, refused_by_rules, scalar, tagged, template};

/// A team's own web ACL of scope CLOUDFRONT.
const TEAM_ACL: &str = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/team-edge/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";

/// The edge's resources: what only EdgeWaf brings.
const EDGE_TYPES: &[&str] = &[
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::WAFv2::WebACL",
];

fn edge_resources<'a>(deployment: &'a Deployment<'a>) -> BTreeSet<&'a str> {
    deployment
        .resources()
        .filter(|(id, r)| {
            EDGE_TYPES.contains(&r["Type"].as_str().unwrap_or_default())
                || *id == "OriginVerifySecret"
        })
        .map(|(id, _)| id)
        .collect()
}

/// The secret the API functions are told to check, each.
fn told_secret(deployment: &Deployment, binary: &str) -> Option<String> {
    let functions = deployment.functions();
    let env = deployment.environment(functions[binary].1);
    env.get(env::ORIGIN_VERIFY_SECRET_ARN).cloned()
}

#[test]
fn the_edge_is_off_by_default_and_then_nothing_of_it_exists() {
    let template = template();
    assert_eq!(
        scalar(&template["Parameters"]["EdgeWaf"]["Default"]),
        "false"
    );
    let deployment = Deployment::new(&template, &[]);
    assert!(edge_resources(&deployment).is_empty());
    // Every resource of the edge carries a condition (cfn-lint holds its types; this its presence).
    for (id, resource) in template["Resources"].as_mapping().unwrap() {
        let kind = resource["Type"].as_str().unwrap();
        if EDGE_TYPES.contains(&kind) || id.as_str() == Some("OriginVerifySecret") {
            let condition = resource["Condition"]
                .as_str()
                .unwrap_or_else(|| panic!("{id:?}"));
            assert!(!deployment.condition(condition), "{id:?} exists by default");
        }
    }
    for binary in ["forgot-password", "confirm-forgot-password"] {
        assert_eq!(told_secret(&deployment, binary), None, "{binary}");
    }
    let endpoint = deployment.eval(&template["Outputs"]["ApiEndpoint"]["Value"]);
    assert_eq!(
        endpoint.as_deref(),
        Some("https://stack-ResetApi.execute-api.us-east-1.amazonaws.com")
    );
}

#[test]
fn on_cloudfront_fronts_the_api_with_waf_and_sends_the_secret_the_functions_check() {
    let template = template();
    let deployment = Deployment::new(&template, &[("EdgeWaf", "true")]);
    assert_eq!(refused_by_rules(&deployment), None);
    assert_eq!(
        edge_resources(&deployment),
        BTreeSet::from([
            "EdgeDistribution",
            "EdgeOriginRequestPolicy",
            "EdgeWebAcl",
            "OriginVerifySecret"
        ])
    );

    // The secret: generated, and what Secrets Manager makes is one the functions accept.
    let secret = deployment.resource("OriginVerifySecret")["Properties"].clone();
    assert!(secret.get("SecretString").is_none(), "a literal secret");
    let generate = &secret["GenerateSecretString"];
    assert!(
        generate.get("SecretStringTemplate").is_none(),
        "a plain string"
    );
    let length: usize = scalar(&generate["PasswordLength"]).parse().unwrap();
    assert!(length >= 32, "{length} characters");
    assert!(OriginVerifier::new(&"x".repeat(length)).is_some());
    for binary in ["forgot-password", "confirm-forgot-password"] {
        assert_eq!(
            told_secret(&deployment, binary).as_deref(),
            Some("stack-OriginVerifySecret"),
            "{binary}"
        );
    }

    let config = &deployment.resource("EdgeDistribution")["Properties"]["DistributionConfig"];
    // The API's own endpoint is the one origin, over HTTPS, sent the header the functions check,
    // holding that secret (resolved by CloudFormation into CloudFront's configuration only).
    let origins = config["Origins"].as_sequence().unwrap();
    assert_eq!(origins.len(), 1);
    let origin = &origins[0];
    assert_eq!(
        deployment.eval(&origin["DomainName"]).as_deref(),
        Some("stack-ResetApi.execute-api.us-east-1.amazonaws.com")
    );
    assert_eq!(
        scalar(&origin["CustomOriginConfig"]["OriginProtocolPolicy"]),
        "https-only"
    );
    let headers = origin["OriginCustomHeaders"].as_sequence().unwrap();
    assert_eq!(headers.len(), 1);
    assert_eq!(
        scalar(&headers[0]["HeaderName"]).to_ascii_lowercase(),
        ORIGIN_VERIFY_HEADER
    );
    let Some(("Sub", value)) = tagged(&headers[0]["HeaderValue"]) else {
        panic!("the header's value is a !Sub of the secret");
    };
    assert_eq!(
        value.as_str(),
        Some("{{resolve:secretsmanager:${OriginVerifySecret}}}")
    );

    // Nothing cached, every method through (the API's POST, the page's GET, CORS's OPTIONS).
    let behavior = &config["DefaultCacheBehavior"];
    assert_eq!(
        scalar(&behavior["CachePolicyId"]),
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "the managed CachingDisabled policy"
    );
    let methods: Vec<String> = behavior["AllowedMethods"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(scalar)
        .collect();
    for method in ["GET", "POST", "OPTIONS"] {
        assert!(methods.iter().any(|m| m == method), "{method}: {methods:?}");
    }
    assert_eq!(scalar(&behavior["ViewerProtocolPolicy"]), "https-only");
    assert_eq!(
        tagged(&behavior["OriginRequestPolicyId"]).map(|(t, v)| (t, scalar(v))),
        Some(("Ref", "EdgeOriginRequestPolicy".into()))
    );

    // What reaches the API: the protocol's headers and the viewer's address; not Host.
    let policy =
        &deployment.resource("EdgeOriginRequestPolicy")["Properties"]["OriginRequestPolicyConfig"];
    assert_eq!(
        scalar(&policy["HeadersConfig"]["HeaderBehavior"]),
        "whitelist"
    );
    let forwarded: BTreeSet<String> = policy["HeadersConfig"]["Headers"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| scalar(h).to_ascii_lowercase())
        .collect();
    for needed in [
        VIEWER_ADDRESS_HEADER,
        "x-amz-target",
        "content-type",
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
    ] {
        assert!(forwarded.contains(needed), "{needed}: {forwarded:?}");
    }
    assert!(
        !forwarded.contains("host"),
        "API Gateway routes on its own Host"
    );
    // CloudFront's quota on an origin request policy's headers.
    assert!(forwarded.len() <= 10, "{forwarded:?}");
    assert_eq!(
        scalar(&policy["QueryStringsConfig"]["QueryStringBehavior"]),
        "all",
        "the reset page's ?client_id="
    );

    // The stack's web ACL, scope CLOUDFRONT: the managed groups and a rate rule per address.
    assert_eq!(
        deployment.eval(&config["WebACLId"]).as_deref(),
        Some("stack-EdgeWebAcl-Arn")
    );
    let acl = &deployment.resource("EdgeWebAcl")["Properties"];
    assert_eq!(scalar(&acl["Scope"]), "CLOUDFRONT");
    let rules = acl["Rules"].as_sequence().unwrap();
    let groups: BTreeSet<String> = rules
        .iter()
        .filter_map(|r| r["Statement"].get("ManagedRuleGroupStatement"))
        .map(|g| scalar(&g["Name"]))
        .collect();
    for group in [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
    ] {
        assert!(groups.contains(group), "{group}: {groups:?}");
    }
    let rate = rules
        .iter()
        .find_map(|r| r["Statement"].get("RateBasedStatement"))
        .expect("a rate-based rule");
    assert_eq!(scalar(&rate["AggregateKeyType"]), "IP");
    assert_eq!(
        tagged(&rate["Limit"]).map(|(t, v)| (t, scalar(v))),
        Some(("Ref", "EdgeRateLimit".into()))
    );
    let priorities: BTreeSet<String> = rules.iter().map(|r| scalar(&r["Priority"])).collect();
    assert_eq!(priorities.len(), rules.len(), "one priority per rule");

    // Every endpoint the stack hands out is CloudFront's.
    for output in [
        "ApiEndpoint",
        "ForgotPasswordEndpoint",
        "ConfirmForgotPasswordEndpoint",
        "ResetPageUrl",
    ] {
        let value = deployment
            .eval(&template["Outputs"][output]["Value"])
            .unwrap();
        assert!(
            value.starts_with("https://stack-EdgeDistribution-DomainName"),
            "{output}: {value}"
        );
    }
}

#[test]
fn a_teams_web_acl_is_used_as_given_and_outside_us_east_1_one_is_required() {
    let template = template();
    let with_acl = [("EdgeWaf", "true"), ("EdgeWebAclArn", TEAM_ACL)];
    for region in ["us-east-1", "eu-west-1"] {
        let deployment = Deployment::new(&template, &with_acl).in_region(region);
        assert_eq!(refused_by_rules(&deployment), None, "{region}");
        let resources = edge_resources(&deployment);
        assert!(!resources.contains("EdgeWebAcl"), "{region}: {resources:?}");
        assert!(resources.contains("EdgeDistribution"), "{region}");
        let config = &deployment.resource("EdgeDistribution")["Properties"]["DistributionConfig"];
        assert_eq!(
            deployment.eval(&config["WebACLId"]).as_deref(),
            Some(TEAM_ACL)
        );
        let acl = deployment.eval(&template["Outputs"]["EdgeFirewallArn"]["Value"]);
        assert_eq!(acl.as_deref(), Some(TEAM_ACL));
    }
    // Outside us-east-1 the stack cannot make a CLOUDFRONT web ACL: refused before anything exists.
    let elsewhere = Deployment::new(&template, &[("EdgeWaf", "true")]).in_region("eu-west-1");
    let refusal = refused_by_rules(&elsewhere).expect("refused without a web ACL");
    assert!(refusal.contains("EdgeWebAclArn"), "{refusal}");
    // Off, the region does not matter.
    let off = Deployment::new(&template, &[]).in_region("eu-west-1");
    assert_eq!(refused_by_rules(&off), None);
    // The parameter takes only a global (CloudFront) web ACL.
    let pattern = regex::Regex::new(&scalar(
        &template["Parameters"]["EdgeWebAclArn"]["AllowedPattern"],
    ))
    .unwrap();
    assert!(pattern.is_match(TEAM_ACL) && pattern.is_match(""));
    assert!(!pattern.is_match(
        "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/team/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
    ));
    // WAF's smallest rate limit.
    let minimum: u64 = scalar(&template["Parameters"]["EdgeRateLimit"]["MinValue"])
        .parse()
        .unwrap();
    assert!(minimum >= 10);
}
