//! Counting and summarising: error tallies, percentiles, and `/proc` readings.
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::client::CallError;

/// Failures counted by kind (AWS error code, `Timeout`, `Connect`, ...).
///
/// Each task keeps its own and they are merged at the end, so counting
/// costs no lock on the hot path.
#[derive(Debug, Default)]
pub struct Tally(BTreeMap<String, u64>);

impl Tally {
    /// Counts one failed call.
    pub fn add(&mut self, error: &CallError) {
        self.add_kind(error.kind());
    }

    /// Counts one failure of a kind that is not a call error (a lost task, say).
    pub fn add_kind(&mut self, kind: impl Into<String>) {
        *self.0.entry(kind.into()).or_default() += 1;
    }

    /// Adds another task's counts to these.
    pub fn merge(&mut self, other: Tally) {
        for (kind, n) in other.0 {
            *self.0.entry(kind).or_default() += n;
        }
    }

    /// The total number of failures.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// The counts as a JSON object (`{}` when nothing failed).
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.iter().map(|(k, n)| (k.clone(), json!(n))).collect())
    }
}

/// A sample of latencies, sorted once when the run is over.
#[derive(Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// Records one latency.
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    /// Adds another task's sample.
    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// Inserts `<prefix>_p50_ms`, `_p99_ms` and `_max_ms` into `out`
    /// (`null` for an empty sample, so the JSON keys are always there).
    pub fn report(&mut self, prefix: &str, out: &mut Map<String, Value>) {
        self.0.sort_unstable();
        out.insert(format!("{prefix}_p50_ms"), json!(self.percentile_ms(50.0)));
        out.insert(format!("{prefix}_p99_ms"), json!(self.percentile_ms(99.0)));
        out.insert(format!("{prefix}_max_ms"), json!(self.0.last().map(|d| ms(*d))));
    }

    /// Nearest-rank percentile of the (already sorted) sample, in milliseconds.
    fn percentile_ms(&self, p: f64) -> Option<f64> {
        if self.0.is_empty() {
            return None;
        }
        let rank = (p / 100.0 * self.0.len() as f64).ceil() as usize;
        Some(ms(self.0[rank.clamp(1, self.0.len()) - 1]))
    }
}

/// Milliseconds, rounded to microseconds.
pub fn ms(d: Duration) -> f64 {
    round3(d.as_secs_f64() * 1e3)
}

/// Rounds to three decimals, enough for rates and seconds in a report.
pub fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

/// `count / seconds`, or `null` when nothing was measured.
pub fn rate(count: u64, seconds: f64) -> Value {
    if count == 0 || seconds <= 0.0 {
        Value::Null
    } else {
        json!(round3(count as f64 / seconds))
    }
}

/// The 1-minute load average: client and server share the machine's cores,
/// so a busy host explains a bad figure.
pub fn loadavg_1m() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// User + system CPU seconds of a process (`"self"` or a PID), all threads
/// included, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    /// `USER_HZ`: the unit of `utime`/`stime`. It is part of Linux's
    /// user-space ABI and 100 on every mainstream architecture, which spares
    /// a libc dependency for `sysconf(_SC_CLK_TCK)`.
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    // After the name, field 0 is `state`; utime and stime are stat fields 14 and 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}
