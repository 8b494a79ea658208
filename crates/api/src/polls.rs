//! Bounds on `GetActivityTask` long polls, and their early end at shutdown.
//!
//! A waiting poll holds a connection and a little memory for up to a minute, so the server
//! caps how many wait at once, per activity and in all; a poll past a cap is answered at
//! once (`ActivityWorkerLimitExceeded` for one activity, as AWS answers it, and
//! `ThrottlingException` for the server's total, which the SDKs retry). At shutdown every
//! waiting poll answers empty, as at the end of its minute.
use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::error::ApiError;

/// The caps and the count of waiting polls.
#[derive(Debug)]
pub struct LongPolls {
    per_activity: usize,
    total: usize,
    waiting: Mutex<Waiting>,
    stopping: watch::Receiver<bool>,
}

#[derive(Debug, Default)]
struct Waiting {
    total: usize,
    by_activity: HashMap<String, usize>,
}

/// A poll's place, given back when dropped.
#[derive(Debug)]
pub struct PollPermit {
    polls: Arc<LongPolls>,
    activity: String,
}

impl LongPolls {
    /// Caps of `per_activity` and `total` waiting polls; `stopping` turns true at shutdown.
    pub fn new(per_activity: usize, total: usize, stopping: watch::Receiver<bool>) -> Arc<Self> {
        Arc::new(LongPolls { per_activity, total, waiting: Mutex::default(), stopping })
    }

    /// Takes a place for a poll on `activity`, or refuses it.
    pub fn enter(self: &Arc<Self>, activity: &str) -> Result<PollPermit, ApiError> {
        let mut waiting = self.waiting.lock();
        if waiting.total >= self.total {
            return Err(ApiError {
                aws_type: "ThrottlingException",
                message: "Rate exceeded".into(),
                status: StatusCode::BAD_REQUEST,
            });
        }
        let on_activity = waiting.by_activity.entry(activity.to_owned()).or_default();
        if *on_activity >= self.per_activity {
            return Err(ApiError {
                aws_type: "ActivityWorkerLimitExceeded",
                message: format!(
                    "The maximum number of workers concurrently polling for activity tasks has been reached ({} on {activity})",
                    self.per_activity
                ),
                status: StatusCode::BAD_REQUEST,
            });
        }
        *on_activity += 1;
        waiting.total += 1;
        Ok(PollPermit { polls: Arc::clone(self), activity: activity.to_owned() })
    }

    /// How many polls wait now.
    pub fn waiting(&self) -> usize {
        self.waiting.lock().total
    }

    /// Completes once the server is shutting down.
    pub async fn stopping(&self) {
        let mut stopping = self.stopping.clone();
        // An error means the sender is gone: the server is going away too.
        let _ = stopping.wait_for(|stop| *stop).await;
    }
}

impl Drop for PollPermit {
    fn drop(&mut self) {
        let mut waiting = self.polls.waiting.lock();
        waiting.total -= 1;
        if let Some(n) = waiting.by_activity.get_mut(&self.activity) {
            *n -= 1;
            if *n == 0 {
                waiting.by_activity.remove(&self.activity);
            }
        }
    }
}
