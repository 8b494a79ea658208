//! Retry and Catch: matching error names and computing backoff.
//!
//! OWNER: machine helper.
//!
//! Matching follows AWS: `States.Runtime` is never retried or caught, not even by its own
//! name ("A States.Runtime error isn't retriable, and will always cause the execution to
//! fail", and AWS's recording of a Catch naming it); `States.ALL` matches every other error
//! except `States.DataLimitExceeded` (which only an explicit name catches);
//! `States.TaskFailed` matches every error except the timeouts and those two terminal ones. A fault is handled
//! by the *first* retrier whose `ErrorEquals` matches; once that retrier's attempts are
//! spent, later retriers are not consulted and the catchers are tried.

use crate::error::names;
use crate::machine::{PathSpec, StateId};

/// One `Retry` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: u64,
    /// `MaxAttempts` (default 3).
    pub max_attempts: u32,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy` is `FULL`.
    pub full_jitter: bool,
}

impl Default for Retrier {
    fn default() -> Self {
        Retrier {
            error_equals: Vec::new(),
            interval_seconds: 1,
            max_attempts: 3,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            full_jitter: false,
        }
    }
}

/// One `Catch` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `Next`, resolved.
    pub(crate) next: StateId,
    /// `ResultPath` (default `$`).
    pub(crate) result_path: PathSpec,
    /// `Assign`, compiled; `$` is the error output `{"Error", "Cause"}`.
    pub(crate) assign: Option<crate::template::Template>,
    /// JSONata catchers: `Output` (default: the error output) and `Assign`, with
    /// `$states.errorOutput`.
    pub(crate) ja_output: Option<crate::jsonata::JTemplate>,
    /// JSONata catchers: `Assign`.
    pub(crate) ja_assign: Option<crate::jsonata::JTemplate>,
    /// True in a JSONata state.
    pub(crate) jsonata: bool,
}

impl Catcher {
    /// The catcher's target.
    pub fn next(&self) -> StateId {
        self.next
    }
}

/// True when `error` is matched by one name of `error_equals`.
pub fn matches(error_equals: &[String], error: &str) -> bool {
    error_equals.iter().any(|name| name_matches(name, error))
}

/// True when the `ErrorEquals` entry `name` matches `error`.
pub fn name_matches(name: &str, error: &str) -> bool {
    if error == names::RUNTIME {
        return false;
    }
    if name == error {
        return true;
    }
    let terminal = error == names::RUNTIME || error == names::DATA_LIMIT_EXCEEDED;
    match name {
        names::ALL => !terminal,
        names::TASK_FAILED => {
            !terminal && error != names::TIMEOUT && error != names::HEARTBEAT_TIMEOUT
        }
        _ => false,
    }
}

impl Retrier {
    /// The delay before retry number `attempt + 1` (`attempt` retries already made), in
    /// milliseconds: `IntervalSeconds × BackoffRate^attempt`, capped by `MaxDelaySeconds`,
    /// then scaled by `jitter` ∈ [0, 1) when `JitterStrategy` is `FULL`.
    pub fn delay_ms(&self, attempt: u32, jitter: f64) -> u64 {
        let exp = i32::try_from(attempt).unwrap_or(i32::MAX);
        let mut secs = self.interval_seconds as f64 * self.backoff_rate.powi(exp);
        if let Some(max) = self.max_delay_seconds {
            secs = secs.min(max as f64);
        }
        // Step Functions' own cap on a single retry interval (one year).
        secs = secs.min(31_622_400.0);
        if self.full_jitter {
            secs *= jitter.clamp(0.0, 1.0);
        }
        let ms = (secs * 1000.0).round();
        if ms.is_finite() && ms > 0.0 {
            ms as u64
        } else {
            0
        }
    }
}

/// Finds the retrier to use: `Some((index, delay_ms))` when the first matching retrier has
/// attempts left, `None` otherwise.
pub fn decide_retry(
    retriers: &[Retrier],
    error: &str,
    attempts: &[u32],
    jitter: f64,
) -> Option<(usize, u64)> {
    let (i, r) = retriers.iter().enumerate().find(|(_, r)| matches(&r.error_equals, error))?;
    let made = attempts.get(i).copied().unwrap_or(0);
    (made < r.max_attempts).then(|| (i, r.delay_ms(made, jitter)))
}

/// The first catcher matching `error`.
pub fn find_catcher<'a>(catchers: &'a [Catcher], error: &str) -> Option<&'a Catcher> {
    catchers.iter().find(|c| matches(&c.error_equals, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff() {
        let r = Retrier {
            interval_seconds: 2,
            backoff_rate: 3.0,
            max_delay_seconds: Some(30),
            ..Retrier::default()
        };
        assert_eq!(r.delay_ms(0, 0.5), 2000);
        assert_eq!(r.delay_ms(1, 0.5), 6000);
        assert_eq!(r.delay_ms(2, 0.5), 18000);
        assert_eq!(r.delay_ms(3, 0.5), 30000);
        assert_eq!(r.delay_ms(u32::MAX, 0.5), 30000);
        let j = Retrier { full_jitter: true, ..r };
        assert_eq!(j.delay_ms(1, 0.5), 3000);
    }

    #[test]
    fn names() {
        assert!(name_matches("States.ALL", "Foo"));
        assert!(!name_matches("States.ALL", "States.Runtime"));
        assert!(!name_matches("States.Runtime", "States.Runtime"));
        assert!(name_matches("States.DataLimitExceeded", "States.DataLimitExceeded"));
        assert!(name_matches("States.TaskFailed", "Lambda.Unknown"));
        assert!(!name_matches("States.TaskFailed", "States.Timeout"));
        assert!(!name_matches("Foo", "Bar"));
    }
}
