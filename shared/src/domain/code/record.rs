//! The life of one user's code record: the live code, its state, what requests and attempts do.

use serde::{Deserialize, Serialize};

use super::keys::{Attempt, CodeDigest, KeyId};
use super::policy::CodePolicy;
use crate::domain::delivery::DeliveryMedium;
use crate::domain::time::{UnixTime, window_reopens};

/// A code that was issued and not yet used up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCode {
    pub digest: CodeDigest,
    /// The key the digest was made with.
    pub key_id: KeyId,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    /// Attempts judged against this code, the accepted one included. Counted before the compare,
    /// so no burst of attempts gets more than `max_failed_attempts` looks at the code.
    pub attempts: u32,
    pub medium: Option<DeliveryMedium>,
}

// Beside `LiveCode` rather than in `keys.rs`, so the keys need not know the record.
impl Attempt {
    /// Whether this attempt is `live`'s code: compared in constant time, under the key `live` was
    /// issued under.
    pub fn matches(&self, live: &LiveCode) -> bool {
        self.under(&live.key_id)
            .is_some_and(|digest| live.digest.matches(digest))
    }
}

/// Where a user's code is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CodeState {
    /// Never issued, revoked after a failed delivery, or consumed.
    #[default]
    Empty,
    Live(LiveCode),
    /// Accepted by an attempt: dead to every other one, and spent for good unless `release`
    /// makes it `Live` again (the password change it was accepted for certainly did not happen).
    /// Attempts against it are still counted and judged, so the attempt limit holds over the
    /// code's whole life; the right code answers `Expired` ("request a code again"), never a
    /// mismatch that would invite retyping it.
    Claimed(LiveCode),
    /// Too many wrong attempts: dead until a new code is requested.
    Exhausted,
}

impl CodeState {
    /// Why an attempt is refused before it is judged (and counted), or `None` when it may be
    /// judged. The one rule every store follows; the DynamoDB store asks it about the item a
    /// failed condition returns.
    ///
    /// A code issued under a key the keyring no longer holds (retired, or none recorded) is
    /// refused as expired, uncounted: a key is retired only once the codes issued under it have
    /// outlived their lifetime, so the code is past its time, and "request a new code" is the
    /// only remedy; a mismatch would invite retyping it.
    pub fn refusal(
        &self,
        now: UnixTime,
        policy: &CodePolicy,
        attempt: &Attempt,
    ) -> Option<Redemption> {
        let live = match self {
            CodeState::Empty => return Some(Redemption::NoCode),
            CodeState::Exhausted => return Some(Redemption::Exhausted),
            CodeState::Live(live) | CodeState::Claimed(live) => live,
        };
        if now >= live.expires_at || attempt.under(&live.key_id).is_none() {
            Some(Redemption::Expired)
        } else if live.attempts >= policy.max_failed_attempts {
            Some(Redemption::Exhausted)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CodeRecord {
    pub state: CodeState,
    /// Times of the requests counted in the current window, oldest first.
    pub requests: Vec<UnixTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// The right code: counted, and now claimed by this attempt.
    Accepted,
    /// Wrong code; the record counted it.
    Mismatch,
    /// No code: never requested, or revoked.
    NoCode,
    /// Past its lifetime, issued under a retired key, or the right code once it was spent
    /// (claimed): the remedy is a new code.
    Expired,
    /// The attempt limit was reached earlier; even the right code is refused now.
    Exhausted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request limit reached for this user")]
pub struct RequestLimitReached {
    /// When the window admits a request again.
    pub retry_at: UnixTime,
}

impl CodeRecord {
    /// Whether the record no longer changes any answer at `now`, so a store may forget it: no
    /// request left in the window and no code (live, claimed or exhausted) before its expiry.
    /// Any code was issued at a counted request, so past the newest request plus the longer of
    /// the window and the lifetime, both are over. The DynamoDB store's TTL (`purge_at`) is the
    /// same time.
    pub fn forgettable(&self, now: UnixTime, policy: &CodePolicy) -> bool {
        let horizon = policy.window_seconds.max(policy.longest_ttl());
        let code_over = match &self.state {
            CodeState::Live(code) | CodeState::Claimed(code) => code.expires_at <= now,
            CodeState::Empty | CodeState::Exhausted => true,
        };
        code_over && self.requests.iter().all(|t| t.plus(horizon) <= now)
    }

    /// The requests still inside the rolling window at `now`.
    pub fn window(&self, now: UnixTime, policy: &CodePolicy) -> Vec<UnixTime> {
        let start = now.minus(policy.window_seconds);
        self.requests
            .iter()
            .copied()
            .filter(|t| *t > start)
            .collect()
    }

    /// Counts a request and makes `code` the live one, superseding any earlier code.
    pub fn issue(
        &self,
        code: LiveCode,
        policy: &CodePolicy,
    ) -> Result<CodeRecord, RequestLimitReached> {
        let now = code.issued_at;
        let mut requests = self.window(now, policy);
        if requests.len() >= policy.max_requests as usize {
            let retry_at =
                window_reopens(&requests, policy.max_requests, policy.window_seconds, now);
            return Err(RequestLimitReached { retry_at });
        }
        requests.push(code.issued_at);
        Ok(CodeRecord {
            state: CodeState::Live(code),
            requests,
        })
    }

    /// Undoes `issue` after a failed delivery: the code dies and its request no longer counts.
    /// A newer code issued in the meantime is left alone.
    pub fn revoke(&self, digest: &CodeDigest) -> CodeRecord {
        match &self.state {
            CodeState::Live(live) if live.digest.matches(digest) => {
                let mut requests = self.requests.clone();
                if let Some(pos) = requests.iter().rposition(|t| *t == live.issued_at) {
                    requests.remove(pos);
                }
                CodeRecord {
                    state: CodeState::Empty,
                    requests,
                }
            }
            _ => self.clone(),
        }
    }

    /// Judges an attempt: counts it first, then compares. The right code is claimed (dead to
    /// every other attempt); a wrong one at the limit kills the code. A claimed code is judged
    /// and counted too: the right code answers `Expired`, a wrong one `Mismatch`. Empty,
    /// expired and exhausted codes are refused without counting.
    pub fn redeem(
        &self,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> (CodeRecord, Redemption) {
        if let Some(refused) = self.state.refusal(now, policy, attempt) {
            let state = match (&self.state, refused) {
                (CodeState::Live(_), Redemption::Exhausted) => CodeState::Exhausted,
                (state, _) => state.clone(),
            };
            return (
                CodeRecord {
                    state,
                    ..self.clone()
                },
                refused,
            );
        }
        let (live, claimed) = match &self.state {
            CodeState::Live(live) => (live, false),
            CodeState::Claimed(live) => (live, true),
            CodeState::Empty | CodeState::Exhausted => return (self.clone(), Redemption::NoCode),
        };
        let counted = LiveCode {
            attempts: live.attempts.saturating_add(1),
            ..live.clone()
        };
        let right = attempt.matches(&counted);
        let (state, outcome) = match (claimed, right) {
            (false, true) => (CodeState::Claimed(counted), Redemption::Accepted),
            (true, true) => (CodeState::Claimed(counted), Redemption::Expired),
            // Kept claimed, so a pending `release` still finds it; the limit refuses the rest.
            (true, false) => (CodeState::Claimed(counted), Redemption::Mismatch),
            (false, false) if counted.attempts >= policy.max_failed_attempts => {
                (CodeState::Exhausted, Redemption::Mismatch)
            }
            (false, false) => (CodeState::Live(counted), Redemption::Mismatch),
        };
        (
            CodeRecord {
                state,
                ..self.clone()
            },
            outcome,
        )
    }

    /// Undoes an accepted redemption whose password change did not happen: the code is live
    /// again and the attempt that claimed it no longer counts. Anything else is left alone.
    pub fn release(&self, attempt: &Attempt) -> CodeRecord {
        match &self.state {
            CodeState::Claimed(live) if attempt.matches(live) => CodeRecord {
                state: CodeState::Live(LiveCode {
                    attempts: live.attempts.saturating_sub(1),
                    ..live.clone()
                }),
                ..self.clone()
            },
            _ => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::keys::CodeKeys;
    use crate::domain::code::keys::tests::{id, key, keyring};
    use proptest::prelude::*;

    const T0: UnixTime = UnixTime(1_800_000_000);

    fn att(code: &str) -> Attempt {
        CodeKeys::from(key()).attempt("jane", code)
    }

    fn live(code: &str, at: UnixTime) -> LiveCode {
        LiveCode {
            digest: key().digest("jane", code),
            key_id: KeyId::single(),
            issued_at: at,
            expires_at: at.plus(3600),
            attempts: 0,
            medium: Some(DeliveryMedium::Email),
        }
    }

    fn issued_under(keys: &CodeKeys, code: &str, at: UnixTime) -> LiveCode {
        let (key_id, digest) = keys.digest("jane", code);
        LiveCode {
            digest,
            key_id,
            issued_at: at,
            expires_at: at.plus(3600),
            attempts: 0,
            medium: Some(DeliveryMedium::Email),
        }
    }

    #[test]
    fn a_code_issued_under_the_old_key_verifies_after_a_rotation() {
        let p = CodePolicy::default();
        let before = keyring("k1", "k1", &[("k1", 1)]);
        let after = keyring("k2", "k1", &[("k1", 1), ("k2", 2)]);
        let code = issued_under(&before, "123456", T0);
        assert_eq!(code.key_id, id("k1"));
        let r = CodeRecord::default().issue(code, &p).unwrap();
        // A wrong code is still a mismatch under the new keyring, and counted.
        let (r, wrong) = r.redeem(&after.attempt("jane", "000000"), T0.plus(1), &p);
        assert_eq!(wrong, Redemption::Mismatch);
        let (_, right) = r.redeem(&after.attempt("jane", "123456"), T0.plus(2), &p);
        assert_eq!(right, Redemption::Accepted);
        // New codes are issued under the new current key, and verify too.
        let fresh = issued_under(&after, "654321", T0.plus(3));
        assert_eq!(fresh.key_id, id("k2"));
        let r = CodeRecord::default().issue(fresh, &p).unwrap();
        assert_eq!(
            r.redeem(&after.attempt("jane", "654321"), T0.plus(4), &p).1,
            Redemption::Accepted
        );
        // Digested under the current key only, the old code would not match.
        let (_, only_current) = after.digest("jane", "123456");
        assert!(!only_current.matches(&before.digest("jane", "123456").1));
    }

    #[test]
    fn a_code_under_a_retired_key_is_expired_and_not_counted() {
        let p = CodePolicy::default();
        let before = keyring("k1", "k1", &[("k1", 1)]);
        let retired = keyring("k2", "k2", &[("k2", 2)]);
        let r = CodeRecord::default()
            .issue(issued_under(&before, "123456", T0), &p)
            .unwrap();
        let (after, outcome) = r.redeem(&retired.attempt("jane", "123456"), T0.plus(1), &p);
        assert_eq!(outcome, Redemption::Expired);
        assert_eq!(after, r, "refused before judgment: nothing counted");
        // A code stored without a key id (issued before ids) is refused the same way.
        let mut unnamed = issued_under(&before, "123456", T0);
        unnamed.key_id = KeyId::unnamed();
        let r = CodeRecord::default().issue(unnamed, &p).unwrap();
        assert_eq!(
            r.redeem(&before.attempt("jane", "123456"), T0.plus(1), &p)
                .1,
            Redemption::Expired
        );
        assert!(
            KeyId::parse("").is_err(),
            "no keyring can hold the unnamed id"
        );
    }

    #[test]
    fn new_code_supersedes_the_old() {
        let p = CodePolicy::default();
        let r = CodeRecord::default().issue(live("111111", T0), &p).unwrap();
        let r = r.issue(live("222222", T0.plus(10)), &p).unwrap();
        let (_, old) = r.redeem(&att("111111"), T0.plus(20), &p);
        assert_eq!(old, Redemption::Mismatch);
        let (after, new) = r.redeem(&att("222222"), T0.plus(20), &p);
        assert_eq!(new, Redemption::Accepted);
        let (_, again) = after.redeem(&att("222222"), T0.plus(21), &p);
        assert_eq!(again, Redemption::Expired, "single use: request a new code");
    }

    #[test]
    fn rolling_window_limits_requests() {
        let p = CodePolicy::default();
        let mut r = CodeRecord::default();
        for i in 0..5 {
            r = r.issue(live("1", T0.plus(i * 600)), &p).unwrap();
        }
        // Refused until the first request leaves the window, an hour after it.
        assert_eq!(
            r.issue(live("1", T0.plus(3000)), &p),
            Err(RequestLimitReached {
                retry_at: T0.plus(3600)
            })
        );
        assert!(r.issue(live("1", T0.plus(3599)), &p).is_err());
        // An hour after the first request it leaves the window.
        assert!(r.issue(live("1", T0.plus(3600)), &p).is_ok());
    }

    #[test]
    fn expiry_and_exhaustion() {
        let p = CodePolicy::default();
        let r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
        let right = att("123456");
        assert_eq!(r.redeem(&right, T0.plus(3600), &p).1, Redemption::Expired);
        let wrong = att("000000");
        let mut cur = r;
        for _ in 0..5 {
            let (next, outcome) = cur.redeem(&wrong, T0.plus(1), &p);
            assert_eq!(outcome, Redemption::Mismatch);
            cur = next;
        }
        assert_eq!(cur.state, CodeState::Exhausted);
        assert_eq!(cur.redeem(&right, T0.plus(2), &p).1, Redemption::Exhausted);
    }

    #[test]
    fn revoke_undoes_issue_but_not_a_newer_code() {
        let p = CodePolicy::default();
        let first = live("111111", T0);
        let r = CodeRecord::default().issue(first.clone(), &p).unwrap();
        let revoked = r.revoke(&first.digest);
        assert_eq!(revoked, CodeRecord::default());
        let newer = r.issue(live("222222", T0.plus(1)), &p).unwrap();
        assert_eq!(newer.revoke(&first.digest), newer);
    }

    #[test]
    fn an_accepted_code_is_claimed_until_released() {
        let p = CodePolicy::default();
        let code = live("123456", T0);
        let right = att("123456");
        let r = CodeRecord::default().issue(code, &p).unwrap();
        let (claimed, outcome) = r.redeem(&right, T0.plus(1), &p);
        assert_eq!(outcome, Redemption::Accepted);
        assert!(matches!(claimed.state, CodeState::Claimed(_)));
        assert_eq!(
            claimed.redeem(&right, T0.plus(2), &p).1,
            Redemption::Expired
        );
        // Released: live again, with the claiming attempt given back.
        let released = claimed.release(&right);
        assert_eq!(released.state, r.state);
        assert_eq!(
            released.redeem(&right, T0.plus(3), &p).1,
            Redemption::Accepted
        );
        // Releasing with another digest, or a live code, changes nothing.
        assert_eq!(claimed.release(&att("000000")), claimed);
        assert_eq!(r.release(&right), r);
        // A new request supersedes a claimed code.
        let newer = claimed.issue(live("222222", T0.plus(4)), &p).unwrap();
        assert!(matches!(newer.state, CodeState::Live(_)));
    }

    #[test]
    fn a_spent_code_answers_expired_and_still_counts_guesses() {
        let p = CodePolicy::default();
        let right = att("123456");
        let wrong = att("000000");
        let r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
        let (mut spent, outcome) = r.redeem(&right, T0.plus(1), &p);
        assert_eq!(outcome, Redemption::Accepted);
        // One attempt judged; the other four may still be looked at, and no more.
        let mut answers = Vec::new();
        for _ in 0..5 {
            let (next, outcome) = spent.redeem(&wrong, T0.plus(2), &p);
            answers.push(outcome);
            spent = next;
        }
        assert_eq!(
            answers,
            [
                Redemption::Mismatch,
                Redemption::Mismatch,
                Redemption::Mismatch,
                Redemption::Mismatch,
                Redemption::Exhausted
            ]
        );
        assert_eq!(
            spent.redeem(&right, T0.plus(3), &p).1,
            Redemption::Exhausted
        );
        assert!(
            matches!(spent.state, CodeState::Claimed(_)),
            "still releasable"
        );
    }

    #[test]
    fn the_right_code_counts_as_a_judged_attempt() {
        let p = CodePolicy::default();
        let right = att("123456");
        let wrong = att("000000");
        let mut r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
        for _ in 0..4 {
            r = r.redeem(&wrong, T0.plus(1), &p).0;
        }
        // The fifth judged attempt may still be the right one, and it is released with 4 counted.
        let (claimed, outcome) = r.redeem(&right, T0.plus(1), &p);
        assert_eq!(outcome, Redemption::Accepted);
        let CodeState::Live(released) = claimed.release(&right).state else {
            panic!("released code is live")
        };
        assert_eq!(released.attempts, 4);
    }

    proptest! {
        #[test]
        fn at_most_the_limit_is_judged_whatever_the_order(
            attempts in proptest::collection::vec(any::<bool>(), 1..40),
            release in any::<bool>(),
        ) {
            let p = CodePolicy::default();
            let right = att("123456");
            let bad = att("000000");
            let mut r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
            let (mut judged, mut mismatches) = (0usize, 0usize);
            for is_wrong in attempts {
                let attempt = if is_wrong { &bad } else { &right };
                let (next, outcome) = r.redeem(attempt, T0.plus(1), &p);
                match outcome {
                    Redemption::Accepted => judged += 1,
                    Redemption::Mismatch => { judged += 1; mismatches += 1; }
                    _ => {}
                }
                // A released code gives its claiming attempt back, never a wrong one.
                r = if release && outcome == Redemption::Accepted { next.release(&right) } else { next };
                prop_assert!(mismatches <= p.max_failed_attempts as usize);
                if !release {
                    prop_assert!(judged <= p.max_failed_attempts as usize);
                }
            }
        }

        #[test]
        fn never_more_than_the_limit_in_any_window(gaps in proptest::collection::vec(0u64..2000, 1..60)) {
            let p = CodePolicy::default();
            let mut r = CodeRecord::default();
            let mut now = T0;
            let mut admitted: Vec<UnixTime> = Vec::new();
            for gap in gaps {
                now = now.plus(gap);
                if let Ok(next) = r.issue(live("1", now), &p) {
                    r = next;
                    admitted.push(now);
                }
                let in_window = admitted.iter().filter(|t| **t > now.minus(p.window_seconds)).count();
                prop_assert!(in_window <= p.max_requests as usize);
            }
        }

        #[test]
        fn wrong_codes_never_exceed_the_attempt_limit(n in 1usize..20) {
            let p = CodePolicy::default();
            let mut r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
            let mut mismatches = 0;
            for _ in 0..n {
                let (next, outcome) = r.redeem(&att("654321"), T0.plus(5), &p);
                if outcome == Redemption::Mismatch { mismatches += 1; }
                r = next;
            }
            prop_assert!(mismatches <= p.max_failed_attempts as usize);
            let accepted = r.redeem(&att("123456"), T0.plus(6), &p).1 == Redemption::Accepted;
            prop_assert_eq!(accepted, n < p.max_failed_attempts as usize);
        }
    }
}
