//! Who is calling: the per-caller limits' subject.
//!
//! A caller is a source network and, where the request carries `UserContextData.EncodedData`, a
//! device. Each is counted in its own rolling window, kept in the code store under a key derived
//! with the service key (`CodeKey::derive`), so neither a raw address nor the raw device data is
//! ever stored. IPv4 callers are grouped by address, IPv6 callers by /64 (one subscriber usually
//! owns a whole /64 and can pick any address in it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::code::{CodeKeys, CodePolicy};
use super::operation::Operation;
use super::request::UserContextData;
use super::time::{UnixTime, window_reopens};

/// What the entry point knows about the caller, before the request body is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caller {
    /// The transport's source address: API Gateway's `requestContext.http.sourceIp`, the runner's
    /// peer address. Always wins over anything the request body claims.
    pub ip: Option<IpAddr>,
    /// Whether `UserContextData.IpAddress` may stand in for a missing source address: only for a
    /// direct invocation, whose invoker holds `lambda:InvokeFunction` and speaks for its users (as
    /// a server-side app speaks for its users to Cognito). Over HTTP anyone could write any address
    /// there, so it is never trusted.
    pub trust_context_ip: bool,
}

impl Caller {
    /// A request that arrived over the network from `ip`.
    pub fn peer(ip: IpAddr) -> Self {
        Self {
            ip: Some(ip),
            trust_context_ip: false,
        }
    }

    /// A direct Lambda invocation: no source address of its own, `UserContextData.IpAddress`
    /// names the user's.
    pub fn direct_invoke() -> Self {
        Self {
            ip: None,
            trust_context_ip: true,
        }
    }

    /// Nothing known (a test, a tool): only a device in the request is limited.
    pub fn unknown() -> Self {
        Self::default()
    }

    /// The caller's identities for this request, in the order they are checked: network, then
    /// device. A `UserContextData.IpAddress` that is not an address is ignored.
    pub fn identities(&self, context: Option<&UserContextData>) -> Vec<CallerIdentity> {
        let context_ip = || {
            context
                .and_then(|c| c.ip_address.as_deref())
                .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        };
        let ip = self
            .ip
            .or_else(|| self.trust_context_ip.then(context_ip).flatten());
        let device = context
            .and_then(|c| c.encoded_data.as_deref())
            .filter(|d| !d.trim().is_empty());
        ip.map(|ip| CallerIdentity::Network(Network::of(ip)))
            .into_iter()
            .chain(device.map(|d| CallerIdentity::Device(d.to_string())))
            .collect()
    }
}

/// The unit one network window counts: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    V4(Ipv4Addr),
    /// The address with its last 64 bits cleared.
    V6Prefix(Ipv6Addr),
}

impl Network {
    pub fn of(ip: IpAddr) -> Self {
        // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d: the same caller.
        match ip.to_canonical() {
            IpAddr::V4(v4) => Network::V4(v4),
            IpAddr::V6(v6) => Network::V6Prefix(Ipv6Addr::from(
                u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
            )),
        }
    }

    /// The form the key is derived from: `1.2.3.4`, `2001:db8:1:2::/64`.
    fn canonical(&self) -> String {
        match self {
            Network::V4(v4) => v4.to_string(),
            Network::V6Prefix(prefix) => format!("{prefix}/64"),
        }
    }

    /// For logs: IPv4 to its /24, IPv6 to its /48; never the address itself.
    pub fn masked(&self) -> String {
        match self {
            Network::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.x")
            }
            Network::V6Prefix(prefix) => {
                let s = prefix.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        }
    }
}

/// One thing a caller is counted as.
#[derive(Clone, PartialEq, Eq)]
pub enum CallerIdentity {
    Network(Network),
    /// `UserContextData.EncodedData`, as sent: hashed before it goes anywhere.
    Device(String),
}

impl std::fmt::Debug for CallerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallerIdentity::Network(n) => write!(f, "Network({})", n.masked()),
            CallerIdentity::Device(_) => f.write_str("Device(<redacted>)"),
        }
    }
}

/// The operation a caller window counts, in its store key: each has its own window and limit.
fn tag(operation: Operation) -> &'static str {
    match operation {
        Operation::ForgotPassword => "forgot",
        Operation::ConfirmForgotPassword => "confirm",
    }
}

impl CallerIdentity {
    pub fn kind(&self) -> &'static str {
        match self {
            CallerIdentity::Network(_) => "ip",
            CallerIdentity::Device(_) => "device",
        }
    }

    /// What may be logged: the masked network, or nothing of the device.
    pub fn masked(&self) -> String {
        match self {
            CallerIdentity::Network(n) => n.masked(),
            CallerIdentity::Device(_) => "<device>".into(),
        }
    }

    /// The store key of this caller's window for `operation`: `caller#ip#forgot#<hex>`. A keyed
    /// hash, so the store never holds the address or the device data, and nobody without the key
    /// can tell which key is whose.
    /// `key` derives with its stable decoy key, so caller windows survive a key rotation.
    pub fn store_key(&self, key: &CodeKeys, operation: Operation) -> String {
        let hex = match self {
            CallerIdentity::Network(n) => key.pseudonym("caller-ip", &n.canonical()),
            CallerIdentity::Device(d) => key.pseudonym("caller-device", d),
        };
        format!(
            "{CALLER_KEY_PREFIX}{}#{}#{hex}",
            self.kind(),
            tag(operation)
        )
    }
}

/// Every caller item's key starts with this; user keys and decoy keys never do (a username would
/// have to be a keyed hash nobody without the key can compute).
pub const CALLER_KEY_PREFIX: &str = "caller#";

/// The policy's bound on per-caller limits, kept beside its other bounds.
pub use super::code::MAX_CALLER_REQUESTS;

impl CodePolicy {
    /// The per-caller limit of `operation`, over the same rolling window as the per-user one.
    pub fn caller_limit(&self, operation: Operation) -> CallerLimit {
        CallerLimit {
            max_requests: match operation {
                Operation::ForgotPassword => self.max_requests_per_caller,
                Operation::ConfirmForgotPassword => self.max_confirms_per_caller,
            },
            window_seconds: self.window_seconds,
        }
    }
}

/// One caller limit: at most `max_requests` in any rolling `window_seconds`. Zero turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerLimit {
    pub max_requests: u32,
    pub window_seconds: u64,
}

impl CallerLimit {
    pub fn is_off(&self) -> bool {
        self.max_requests == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request limit reached for this caller")]
pub struct CallerLimitReached {
    /// When the window admits a request again.
    pub retry_at: UnixTime,
}

/// A caller's requests in the current window, oldest first: the memory store's record, and the
/// rule the DynamoDB store's slots implement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerWindow {
    pub requests: Vec<UnixTime>,
}

impl CallerWindow {
    /// Whether every request has left the window at `now`: the window then admits as a new one
    /// would, and a store may forget it.
    pub fn forgettable(&self, now: UnixTime, limit: &CallerLimit) -> bool {
        let start = now.minus(limit.window_seconds);
        self.requests.iter().all(|t| *t <= start)
    }

    /// Counts a request at `now`, or refuses it when the window is full.
    pub fn admit(&self, now: UnixTime, limit: &CallerLimit) -> Result<Self, CallerLimitReached> {
        let start = now.minus(limit.window_seconds);
        let mut requests: Vec<UnixTime> = self
            .requests
            .iter()
            .copied()
            .filter(|t| *t > start)
            .collect();
        if requests.len() >= limit.max_requests as usize {
            let retry_at = window_reopens(&requests, limit.max_requests, limit.window_seconds, now);
            return Err(CallerLimitReached { retry_at });
        }
        requests.push(now);
        Ok(Self { requests })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::CodeKey;

    const T0: UnixTime = UnixTime(1_800_000_000);

    fn key() -> CodeKeys {
        CodeKeys::from(CodeKey::from_bytes(&[9u8; 32]).unwrap())
    }

    fn ctx(ip: Option<&str>, device: Option<&str>) -> UserContextData {
        UserContextData {
            ip_address: ip.map(str::to_string),
            encoded_data: device.map(str::to_string),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_is_grouped_by_64_and_ipv4_by_address() {
        let a = Network::of(ip("2001:db8:1:2:aaaa::1"));
        let b = Network::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let c = Network::of(ip("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(Network::of(ip("192.0.2.1")), Network::of(ip("192.0.2.2")));
        // A mapped IPv4 address is the IPv4 caller.
        assert_eq!(
            Network::of(ip("::ffff:192.0.2.1")),
            Network::of(ip("192.0.2.1"))
        );
    }

    #[test]
    fn keys_are_keyed_hashes_never_the_address() {
        let k = key();
        let v4 = CallerIdentity::Network(Network::of(ip("203.0.113.77")));
        let stored = v4.store_key(&k, Operation::ForgotPassword);
        assert!(stored.starts_with("caller#ip#forgot#"), "{stored}");
        assert!(!stored.contains("203"), "{stored}");
        assert_ne!(stored, v4.store_key(&k, Operation::ConfirmForgotPassword));
        let other = CodeKeys::from(CodeKey::from_bytes(&[1u8; 32]).unwrap());
        assert_ne!(stored, v4.store_key(&other, Operation::ForgotPassword));
        let device = CallerIdentity::Device("eyJkZXZpY2UiOiJwaG9uZSJ9".into());
        let stored = device.store_key(&k, Operation::ForgotPassword);
        assert!(stored.starts_with("caller#device#forgot#"), "{stored}");
        assert!(!stored.contains("eyJ"), "{stored}");
        // Same /64, same key.
        let a = CallerIdentity::Network(Network::of(ip("2001:db8::1")));
        let b = CallerIdentity::Network(Network::of(ip("2001:db8::2:3")));
        assert_eq!(
            a.store_key(&k, Operation::ForgotPassword),
            b.store_key(&k, Operation::ForgotPassword)
        );
    }

    #[test]
    fn logs_see_only_a_masked_network() {
        assert_eq!(Network::of(ip("203.0.113.77")).masked(), "203.0.113.x");
        assert_eq!(
            Network::of(ip("2001:db8:1:2:aaaa::1")).masked(),
            "2001:db8:1::/48"
        );
        let shown = format!(
            "{:?}",
            CallerIdentity::Network(Network::of(ip("203.0.113.77")))
        );
        assert!(!shown.contains(".77"), "{shown}");
        assert_eq!(
            format!("{:?}", CallerIdentity::Device("secret-ish".into())),
            "Device(<redacted>)"
        );
    }

    #[test]
    fn the_source_address_wins_and_context_data_counts_only_when_trusted() {
        let data = ctx(Some("198.51.100.9"), Some("device-data"));
        let peer = Caller::peer(ip("203.0.113.1"));
        assert_eq!(
            peer.identities(Some(&data)),
            vec![
                CallerIdentity::Network(Network::of(ip("203.0.113.1"))),
                CallerIdentity::Device("device-data".into())
            ]
        );
        assert_eq!(
            Caller::direct_invoke().identities(Some(&data))[0],
            CallerIdentity::Network(Network::of(ip("198.51.100.9")))
        );
        // Over HTTP without a source address, the body's claim is not believed.
        assert_eq!(
            Caller::unknown().identities(Some(&data)),
            vec![CallerIdentity::Device("device-data".into())]
        );
        assert!(Caller::direct_invoke().identities(None).is_empty());
        assert!(
            Caller::direct_invoke()
                .identities(Some(&ctx(Some("not an address"), Some("  "))))
                .is_empty()
        );
    }

    #[test]
    fn the_window_rolls() {
        let limit = CallerLimit {
            max_requests: 3,
            window_seconds: 3600,
        };
        let mut w = CallerWindow::default();
        for i in 0..3 {
            w = w.admit(T0.plus(i * 100), &limit).unwrap();
        }
        // Refused until the first request (T0) leaves the window, an hour after it.
        assert_eq!(
            w.admit(T0.plus(3599), &limit),
            Err(CallerLimitReached {
                retry_at: T0.plus(3600)
            })
        );
        // The first request leaves the window an hour later: one more fits, then none until the
        // second (T0 + 100) leaves.
        let w = w.admit(T0.plus(3600), &limit).unwrap();
        assert_eq!(
            w.admit(T0.plus(3650), &limit),
            Err(CallerLimitReached {
                retry_at: T0.plus(3700)
            })
        );
    }
}
