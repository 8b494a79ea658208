//! Activity task queues and the workers long-polling them.
//!
//! A scheduled task goes to the longest-waiting poller, or waits in the queue.
//! Delivery hands over only a [`TaskId`]; the poller then *claims* it, which
//! records `ActivityStarted`. A poller that goes away after a task was handed
//! to it but before claiming gives the task back ([`PollGuard`]), so a
//! disconnecting worker never swallows a task.
use std::collections::{HashMap, VecDeque};

use tokio::sync::oneshot;

use crate::token::TaskId;

/// One poller waiting in `GetActivityTask`.
#[derive(Debug)]
pub(crate) enum Waiter {
    /// A worker's HTTP request.
    Remote(oneshot::Sender<TaskId>),
    /// An execution's `aws-sdk:sfn:getActivityTask` Task state.
    Local(LocalPoller),
}

/// A Task state of an execution polling an activity through `aws-sdk:sfn`.
#[derive(Debug, Clone)]
pub(crate) struct LocalPoller {
    pub(crate) activity: String,
    pub(crate) execution: std::sync::Arc<str>,
    pub(crate) frame: usize,
    pub(crate) generation: u64,
    pub(crate) worker: Option<String>,
}

/// The tasks and pollers of one activity.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    tasks: VecDeque<TaskId>,
    waiters: VecDeque<Waiter>,
}

impl Queue {
    /// Hands `task` to the longest-waiting live poller; returns it if there is none.
    /// A local poller's handover is returned for the engine to complete.
    fn hand_to_waiter(
        &mut self,
        mut task: TaskId,
        local: &mut Vec<(TaskId, LocalPoller)>,
    ) -> Option<TaskId> {
        while let Some(waiter) = self.waiters.pop_front() {
            match waiter {
                Waiter::Remote(tx) => match tx.send(task) {
                    Ok(()) => return None,
                    Err(back) => task = back,
                },
                Waiter::Local(poller) => {
                    local.push((task, poller));
                    return None;
                }
            }
        }
        Some(task)
    }
}

/// All activities' queues.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    by_activity: HashMap<String, Queue>,
}

impl Queues {
    /// Offers `task` to a waiting poller, else queues it at the back.
    pub(crate) fn offer(
        &mut self,
        activity: &str,
        task: TaskId,
        local: &mut Vec<(TaskId, LocalPoller)>,
    ) {
        let queue = self.by_activity.entry(activity.to_owned()).or_default();
        if let Some(task) = queue.hand_to_waiter(task, local) {
            queue.tasks.push_back(task);
        }
    }

    /// Gives a task back (its poller left before claiming it): to another poller,
    /// else to the front of the queue, since it was first in line.
    pub(crate) fn give_back(
        &mut self,
        activity: &str,
        task: TaskId,
        local: &mut Vec<(TaskId, LocalPoller)>,
    ) {
        let queue = self.by_activity.entry(activity.to_owned()).or_default();
        if let Some(task) = queue.hand_to_waiter(task, local) {
            queue.tasks.push_front(task);
        }
    }

    /// Takes a queued task, or registers a waiter and returns its receiver.
    pub(crate) fn poll(&mut self, activity: &str) -> Result<TaskId, oneshot::Receiver<TaskId>> {
        let queue = self.by_activity.entry(activity.to_owned()).or_default();
        if let Some(task) = queue.tasks.pop_front() {
            return Ok(task);
        }
        queue.waiters.retain(|w| !matches!(w, Waiter::Remote(tx) if tx.is_closed()));
        let (tx, rx) = oneshot::channel();
        queue.waiters.push_back(Waiter::Remote(tx));
        Err(rx)
    }

    /// Takes a queued task, or queues `poller` as a waiter.
    pub(crate) fn poll_local(&mut self, activity: &str, poller: LocalPoller) -> Option<TaskId> {
        let queue = self.by_activity.entry(activity.to_owned()).or_default();
        if let Some(task) = queue.tasks.pop_front() {
            return Some(task);
        }
        queue.waiters.push_back(Waiter::Local(poller));
        None
    }

    /// Removes a task that ended before delivery (execution stopped, timed out).
    pub(crate) fn remove(&mut self, activity: &str, task: TaskId) {
        if let Some(queue) = self.by_activity.get_mut(activity) {
            queue.tasks.retain(|t| *t != task);
        }
    }

    /// Forgets an activity's queue (the activity was deleted).
    pub(crate) fn drop_activity(&mut self, activity: &str) {
        self.by_activity.remove(activity);
    }
}
