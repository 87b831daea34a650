//! Limits on guessing passwords: a fixed-window limit on attempts per client
//! address ([`LoginLimiter`], also used for the setup page), and a lockout per
//! account that grows with each run of failures ([`AccountLockout`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Forget idle clients once the table grows past this.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug)]
pub struct LoginLimiter {
    per_window: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    /// `per_minute == 0` disables the limit.
    pub fn new(per_minute: u32) -> Self {
        LoginLimiter {
            per_window: per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; `false` when the client is over its limit.
    pub fn allow(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return true };
        if self.per_window == 0 {
            return true;
        }
        let now = Instant::now();
        let mut seen = match self.seen.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if seen.len() > MAX_TRACKED {
            seen.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_window
    }
}

/// Failures in a row after which an account is locked.
pub const FAILURES_BEFORE_LOCKOUT: u32 = 5;
/// The first lockout; each further one doubles, up to [`MAX_LOCKOUT`].
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(30);
pub const MAX_LOCKOUT: Duration = Duration::from_secs(3600);
/// A lockout record is forgotten after this long without a failure.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Default, Clone, Copy)]
struct Strikes {
    /// Failures since the last lockout (or success).
    failures: u32,
    /// Lockouts so far: the next one lasts `FIRST_LOCKOUT * 2^lockouts`.
    lockouts: u32,
    locked_until: Option<Instant>,
    last_failure: Option<Instant>,
}

/// Per-account lockout: after [`FAILURES_BEFORE_LOCKOUT`] wrong passwords in a
/// row the account refuses sign-ins (before any password is checked) for a
/// while that doubles with each lockout; a successful sign-in clears it. Never
/// permanent, so that nobody can lock an account out for good. Unknown names
/// are counted like real ones, so the answer does not tell them apart.
#[derive(Debug, Default)]
pub struct AccountLockout {
    seen: Mutex<HashMap<String, Strikes>>,
}

impl AccountLockout {
    pub fn new() -> Self {
        Self::default()
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Strikes>> {
        match self.seen.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// `Err(wait)` while the account is locked.
    pub fn check(&self, username: &str) -> Result<(), Duration> {
        self.check_at(username, Instant::now())
    }

    fn check_at(&self, username: &str, now: Instant) -> Result<(), Duration> {
        match self.table().get(username).and_then(|s| s.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Records a wrong password; returns the lockout it started, if any.
    pub fn failed(&self, username: &str) -> Option<Duration> {
        self.failed_at(username, Instant::now())
    }

    fn failed_at(&self, username: &str, now: Instant) -> Option<Duration> {
        let mut table = self.table();
        if table.len() > MAX_TRACKED {
            table.retain(|_, s| {
                s.last_failure
                    .is_some_and(|t| now.duration_since(t) < FORGET_AFTER)
            });
        }
        let s = table.entry(username.to_string()).or_default();
        if s.last_failure
            .is_some_and(|t| now.duration_since(t) >= FORGET_AFTER)
        {
            *s = Strikes::default();
        }
        s.last_failure = Some(now);
        s.failures += 1;
        if s.failures < FAILURES_BEFORE_LOCKOUT {
            return None;
        }
        let lock = FIRST_LOCKOUT
            .saturating_mul(2u32.saturating_pow(s.lockouts.min(16)))
            .min(MAX_LOCKOUT);
        s.failures = 0;
        s.lockouts += 1;
        s.locked_until = Some(now + lock);
        Some(lock)
    }

    /// A correct password clears the account's record.
    pub fn succeeded(&self, username: &str) {
        self.table().remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_grow_and_end() {
        let l = AccountLockout::new();
        let t0 = Instant::now();
        for _ in 1..FAILURES_BEFORE_LOCKOUT {
            assert_eq!(l.failed_at("bob", t0), None);
        }
        assert!(l.check_at("bob", t0).is_ok());
        assert_eq!(l.failed_at("bob", t0), Some(FIRST_LOCKOUT));
        assert!(l.check_at("bob", t0).is_err());
        assert!(
            l.check_at("alice", t0).is_ok(),
            "other accounts are not affected"
        );
        let t1 = t0 + FIRST_LOCKOUT;
        assert!(l.check_at("bob", t1).is_ok(), "the lockout ends");
        for _ in 1..FAILURES_BEFORE_LOCKOUT {
            l.failed_at("bob", t1);
        }
        assert_eq!(l.failed_at("bob", t1), Some(FIRST_LOCKOUT * 2), "and grows");
        let mut t = t1;
        for _ in 0..20 {
            t += MAX_LOCKOUT;
            for _ in 0..FAILURES_BEFORE_LOCKOUT {
                l.failed_at("bob", t);
            }
        }
        assert_eq!(l.check_at("bob", t), Err(MAX_LOCKOUT), "up to a cap");
        l.succeeded("bob");
        assert!(l.check_at("bob", t).is_ok());
    }

    #[test]
    fn limits_per_address() {
        let limiter = LoginLimiter::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(limiter.allow(Some(a)) && limiter.allow(Some(a)));
        assert!(!limiter.allow(Some(a)));
        assert!(limiter.allow(Some(b)));
        assert!(LoginLimiter::new(0).allow(Some(a)));
    }
}
