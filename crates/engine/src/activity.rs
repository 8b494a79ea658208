//! Activity task queues and the workers long-polling them.
//!
//! A scheduled task goes to the longest-waiting poller, or waits in the queue.
//! A handover is a [`Handover`] for the engine to complete in the same decision:
//! it *claims* the task (records `ActivityStarted`) in the batch that scheduled it,
//! so a worker already waiting costs no commit of its own, then sends the worker
//! its task. A poller whose request is gone is skipped, so a disconnected worker
//! never swallows a task; a queued task is claimed by the next poll.
//!
//! The queues are shared by all executions behind one short-held lock: nothing here
//! decides, reads the store or waits.
use std::collections::{HashMap, VecDeque};

use tokio::sync::oneshot;

use crate::token::TaskId;

/// A worker's `GetActivityTask` request waiting for a task (a worker's HTTP request,
/// or an execution's `aws-sdk:sfn:getActivityTask` call, which polls the same way).
#[derive(Debug)]
pub(crate) struct RemotePoller {
    /// Where the claimed task goes.
    pub(crate) reply: oneshot::Sender<Delivered>,
    /// Recorded in `ActivityStarted`.
    pub(crate) worker: Option<String>,
}

/// What a poller receives: its task, claimed, and the durability of the batch that
/// claimed it (the poller answers only once that batch is durable).
#[derive(Debug)]
pub(crate) struct Delivered {
    pub(crate) task: crate::engine::ActivityTask,
    pub(crate) durable: oneshot::Receiver<crate::Result<()>>,
}

/// A task handed to a poller, for the engine to claim in the current decision.
#[derive(Debug)]
pub(crate) struct Handover {
    pub(crate) task: TaskId,
    pub(crate) poller: RemotePoller,
}

/// The tasks and pollers of one activity.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    tasks: VecDeque<TaskId>,
    waiters: VecDeque<RemotePoller>,
}

impl Queue {
    /// Hands `task` to the longest-waiting live poller; returns it if there is none.
    fn hand_to_waiter(&mut self, task: TaskId, handovers: &mut Vec<Handover>) -> Option<TaskId> {
        while let Some(poller) = self.waiters.pop_front() {
            if poller.reply.is_closed() {
                continue;
            }
            handovers.push(Handover { task, poller });
            return None;
        }
        Some(task)
    }
}

/// What waits on one activity: tasks no worker has claimed yet, and the workers polling
/// (their `workerName`s, when they gave one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueView {
    /// Tasks scheduled and not claimed.
    pub waiting_tasks: usize,
    /// One entry per waiting `GetActivityTask`.
    pub pollers: Vec<Option<String>>,
}

/// All activities' queues.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    by_activity: HashMap<String, Queue>,
}

impl Queues {
    /// Offers `task` to a waiting poller, else queues it at the back.
    pub(crate) fn offer(&mut self, activity: &str, task: TaskId, handovers: &mut Vec<Handover>) {
        let queue = self.by_activity.entry(activity.to_owned()).or_default();
        if let Some(task) = queue.hand_to_waiter(task, handovers) {
            queue.tasks.push_back(task);
        }
    }

    /// Gives a task back (its poller left before claiming it): to another poller,
    /// else to the front of the queue, since it was first in line.
    pub(crate) fn give_back(
        &mut self,
        activity: &str,
        task: TaskId,
        handovers: &mut Vec<Handover>,
    ) {
        let queue = self.by_activity.entry(activity.to_owned()).or_default();
        if let Some(task) = queue.hand_to_waiter(task, handovers) {
            queue.tasks.push_front(task);
        }
    }

    /// Takes a queued task, or registers a waiter and returns its receiver.
    pub(crate) fn poll(
        &mut self,
        activity: &str,
        worker: &Option<String>,
    ) -> Result<TaskId, oneshot::Receiver<Delivered>> {
        let queue = self.by_activity.entry(activity.to_owned()).or_default();
        if let Some(task) = queue.tasks.pop_front() {
            return Ok(task);
        }
        queue.waiters.retain(|p| !p.reply.is_closed());
        let (reply, rx) = oneshot::channel();
        queue.waiters.push_back(RemotePoller { reply, worker: worker.clone() });
        Err(rx)
    }

    /// Removes a task that ended before delivery (execution stopped, timed out).
    pub(crate) fn remove(&mut self, activity: &str, task: TaskId) {
        if let Some(queue) = self.by_activity.get_mut(activity) {
            queue.tasks.retain(|t| *t != task);
        }
    }

    /// What waits on `activity` now (for the console; a snapshot, stale at once).
    pub(crate) fn view(&self, activity: &str) -> QueueView {
        let Some(queue) = self.by_activity.get(activity) else { return QueueView::default() };
        QueueView {
            waiting_tasks: queue.tasks.len(),
            pollers: queue
                .waiters
                .iter()
                .filter(|p| !p.reply.is_closed())
                .map(|p| p.worker.clone())
                .collect(),
        }
    }

    /// Forgets an activity's queue (the activity was deleted).
    pub(crate) fn drop_activity(&mut self, activity: &str) {
        self.by_activity.remove(activity);
    }
}
