//! Response time under PreventUserExistenceErrors: a real request waits for SES or SMS, a
//! simulated one sends nothing. So that the clock does not tell them apart, the service keeps the
//! durations of its latest real deliveries, per medium, and a simulated request waits one of them,
//! drawn at random: the simulated answers take the same distribution of times as the real ones.

use std::sync::Mutex;
use std::time::Duration;

use rand::{Rng, RngExt};

use crate::domain::delivery::DeliveryMedium;

/// How many recent real deliveries are kept per medium.
const WINDOW: usize = 64;

#[derive(Debug)]
struct Samples {
    seen: Vec<Duration>,
    next: usize,
    /// Waited until a real delivery on this medium has been seen.
    seed: Duration,
}

impl Samples {
    fn new(seed: Duration) -> Self {
        Self {
            seen: Vec::with_capacity(WINDOW),
            next: 0,
            seed,
        }
    }

    fn record(&mut self, took: Duration) {
        if self.seen.len() < WINDOW {
            self.seen.push(took);
        } else {
            self.seen[self.next] = took;
        }
        self.next = (self.next + 1) % WINDOW;
    }

    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        if self.seen.is_empty() {
            return self.seed;
        }
        self.seen[rng.random_range(0..self.seen.len())]
    }
}

/// The running record of real delivery times, one window per medium.
#[derive(Debug)]
pub struct DeliveryTiming {
    email: Mutex<Samples>,
    sms: Mutex<Samples>,
}

impl DeliveryTiming {
    /// Seeds: what a simulated request waits before the first real delivery on that medium.
    pub fn new(email_seed: Duration, sms_seed: Duration) -> Self {
        Self {
            email: Mutex::new(Samples::new(email_seed)),
            sms: Mutex::new(Samples::new(sms_seed)),
        }
    }

    /// No wait until real deliveries are seen: for deliveries that take no time (the outbox).
    pub fn unseeded() -> Self {
        Self::new(Duration::ZERO, Duration::ZERO)
    }

    fn samples(&self, medium: DeliveryMedium) -> &Mutex<Samples> {
        match medium {
            DeliveryMedium::Email => &self.email,
            DeliveryMedium::Sms => &self.sms,
        }
    }

    /// A real delivery on `medium` took `took`.
    pub fn record(&self, medium: DeliveryMedium, took: Duration) {
        if let Ok(mut samples) = self.samples(medium).lock() {
            samples.record(took);
        }
    }

    /// How long a simulated delivery on `medium` should take.
    pub fn draw<R: Rng + ?Sized>(&self, medium: DeliveryMedium, rng: &mut R) -> Duration {
        self.samples(medium)
            .lock()
            .map(|samples| samples.draw(rng))
            .unwrap_or_default()
    }
}

impl Default for DeliveryTiming {
    /// SES v2 SendEmail and SMS v2 SendTextMessage answer in about 100 and 200 ms in region;
    /// the seeds stand in until the container has made a real delivery of each kind.
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_millis(200))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn seed_until_seen_then_only_what_was_seen() {
        let timing = DeliveryTiming::new(Duration::from_millis(7), Duration::from_millis(9));
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            timing.draw(DeliveryMedium::Email, &mut rng),
            Duration::from_millis(7)
        );
        for ms in [140, 150, 160] {
            timing.record(DeliveryMedium::Email, Duration::from_millis(ms));
        }
        for _ in 0..100 {
            let d = timing.draw(DeliveryMedium::Email, &mut rng).as_millis();
            assert!([140, 150, 160].contains(&d), "{d}");
        }
        assert_eq!(
            timing.draw(DeliveryMedium::Sms, &mut rng),
            Duration::from_millis(9)
        );
    }

    #[test]
    fn the_window_keeps_the_latest() {
        let timing = DeliveryTiming::unseeded();
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..WINDOW {
            timing.record(DeliveryMedium::Sms, Duration::from_secs(5));
        }
        for _ in 0..WINDOW {
            timing.record(DeliveryMedium::Sms, Duration::from_millis(1));
        }
        for _ in 0..100 {
            assert_eq!(
                timing.draw(DeliveryMedium::Sms, &mut rng),
                Duration::from_millis(1)
            );
        }
    }
}
