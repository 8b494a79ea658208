//! The frames of a running execution: where each thread of control (the root graph, a
//! Parallel branch, a Map iteration) stands, what it waits for, and a fork's children.
//! These are the values a snapshot holds; `execution.rs` and its rooms move them.
use std::collections::{BTreeMap, VecDeque};
use std::ops::{Index, IndexMut};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use stepwise_asl::StateId;

use super::{map_run, FrameId};
use crate::engine::dispatch::Pattern;
use crate::token::TaskId;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum Phase {
    /// Ready to enter its state (`retry`: re-entering after a Retry, no Entered event).
    Enter { retry: bool },
    /// Waiting for an activity task to finish (`timeout_at`: its TimeoutSeconds deadline).
    Task { task: TaskId, timeout_at: Option<i64> },
    /// Waiting for a service integration call (`parameters` let recovery call again).
    Service {
        generation: u64,
        resource_type: String,
        action: String,
        #[serde(default)]
        pattern: Pattern,
        parameters: Value,
        /// `.waitForTaskToken`: the task its token names.
        #[serde(default)]
        token: Option<TaskId>,
        /// The call answered (`TaskSubmitted`); the token or the job is still awaited.
        #[serde(default)]
        submitted: bool,
        /// The `TimeoutSeconds` deadline.
        #[serde(default)]
        timeout_at: Option<i64>,
        /// A bare Lambda function ARN, recorded with the `LambdaFunction*` events.
        #[serde(default)]
        legacy_lambda: bool,
    },
    /// Waiting until `at_ms` for a Wait state's timer or a retry's backoff.
    Sleeping { then: AfterSleep, at_ms: i64 },
    /// Waiting for children (Parallel branches or Map iterations).
    Fork(Fork),
    /// Finished or cancelled.
    Done,
}

impl Phase {
    /// The task a worker or a callback answers: an activity task or a callback token.
    pub(super) fn task(&self) -> Option<TaskId> {
        match self {
            Phase::Task { task, .. } => Some(*task),
            Phase::Service { token, .. } => *token,
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) enum AfterSleep {
    /// The Wait state is over: complete it.
    CompleteWait,
    /// The backoff is over: enter the state again.
    Retry,
}

/// A Parallel or Map state waiting for its children.
///
/// Its snapshot holds what is running; what grows with the number of children is written
/// once as the snapshot's parts in group `group`: the result of slot `i` as part
/// `(group, i)`, and when the fork starts, the children not started yet as part
/// `(group, len)` and the state's input (which holds a Map's items) as `(group, len + 1)`.
/// Snapshots of older versions carried all of it inline and have no `group`;
/// [`Running::restore`] reads them too.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Fork {
    pub(super) is_map: bool,
    /// The group of its parts (unique within the execution).
    #[serde(default)]
    pub(super) group: Option<u64>,
    /// How many children in all.
    #[serde(default)]
    pub(super) len: usize,
    pub(super) running: usize,
    /// The slot of the next child to start: `next..len` are in `queued`.
    #[serde(default)]
    pub(super) next: usize,
    /// 0 means unbounded.
    pub(super) max_concurrency: usize,
    /// The children running.
    pub(super) children: Vec<FrameId>,
    /// The event the state's Succeeded event points at: the latest MapIterationSucceeded,
    /// or the latest branch event for Parallel.
    pub(super) last_done: u64,
    /// Outputs of the finished children, by slot. Not in the snapshot (see above).
    #[serde(default, skip_serializing)]
    pub(super) results: Vec<Option<Value>>,
    /// Children not started yet: result slot, start state, input. Not in the snapshot.
    #[serde(default, skip_serializing)]
    pub(super) queued: VecDeque<(usize, StateId, Value)>,
    /// The state's input, held here (not in the frame) while the children run. Not in
    /// the snapshot.
    #[serde(default, skip_serializing)]
    pub(super) input: Value,
    /// A Distributed Map's Map Run (see `map_run.rs`).
    #[serde(default)]
    pub(super) map_run: Option<map_run::MapRun>,
}

/// A part of the snapshot to write or delete at the next [`Running::take_parts`]. Writes
/// name the fork's frame, whose values are encoded then (not before: an execution
/// that is not durable never encodes them).
#[derive(Debug)]
pub(super) enum Unsaved {
    /// The children of the fork not started yet.
    Queued { frame: FrameId, group: u64 },
    /// The input of the fork's state.
    Input { frame: FrameId, group: u64 },
    /// The result of one child.
    Result { frame: FrameId, group: u64, slot: usize },
    /// The fork ended: its parts are no longer needed.
    Drop { group: u64 },
}

/// The live frames, by id.
#[derive(Debug, Default)]
pub(super) struct Frames {
    pub(super) live: BTreeMap<FrameId, Frame>,
    /// The id the next frame gets.
    pub(super) next: FrameId,
}

impl Frames {
    pub(super) fn insert(&mut self, frame: Frame) -> FrameId {
        let id = self.next;
        self.next += 1;
        self.live.insert(id, frame);
        id
    }
    pub(super) fn get(&self, id: FrameId) -> Option<&Frame> {
        self.live.get(&id)
    }
    pub(super) fn get_mut(&mut self, id: FrameId) -> Option<&mut Frame> {
        self.live.get_mut(&id)
    }
    pub(super) fn contains(&self, id: FrameId) -> bool {
        self.live.contains_key(&id)
    }
    pub(super) fn remove(&mut self, id: FrameId) -> Option<Frame> {
        self.live.remove(&id)
    }
    pub(super) fn values(&self) -> impl Iterator<Item = &Frame> {
        self.live.values()
    }
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Frame> {
        self.live.values_mut()
    }
    pub(super) fn len(&self) -> usize {
        self.live.len()
    }
}

impl Index<FrameId> for Frames {
    type Output = Frame;
    fn index(&self, id: FrameId) -> &Frame {
        self.live.get(&id).expect("a live frame")
    }
}

impl IndexMut<FrameId> for Frames {
    fn index_mut(&mut self, id: FrameId) -> &mut Frame {
        self.live.get_mut(&id).expect("a live frame")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Frame {
    /// The parent frame and this frame's slot in its results.
    pub(super) parent: Option<(FrameId, usize)>,
    pub(super) state: StateId,
    /// The state's raw input.
    pub(super) input: Value,
    /// `input` as JSON text, when the previous state's StateExited event already wrote it
    /// out: the next StateEntered event reuses it instead of serializing `input` again.
    #[serde(skip)]
    pub(super) input_text: Option<String>,
    pub(super) phase: Phase,
    /// Retries made per Retry entry of the current state.
    pub(super) attempts: Vec<u32>,
    /// Total retries of the current state (`$$.State.RetryCount`).
    pub(super) retry_count: u32,
    /// The id of this frame's latest event (previousEventId of its next one).
    pub(super) last_event: u64,
    /// The id of the current state's Entered event (AWS cites it in runtime errors).
    pub(super) entered_event: u64,
    /// The previousEventId of that Entered event (AWS chains EvaluationFailed to it).
    #[serde(default)]
    pub(super) entered_previous: u64,
    pub(super) entered_ms: i64,
    /// Bumped whenever a timer of this frame becomes stale.
    pub(super) generation: u64,
    /// Workflow variables visible here. A Map iteration or Parallel branch works on a
    /// copy of its parent's, discarded when it ends (AWS's scoping rule).
    pub(super) vars: Map<String, Value>,
    /// An iteration of a Map Run (or inside one): it records no event in this execution's
    /// history (AWS records it in a child execution's).
    #[serde(default)]
    pub(super) quiet: bool,
}
