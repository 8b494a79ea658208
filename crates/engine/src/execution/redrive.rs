//! Redrive: where an execution that failed, was stopped or timed out resumes.
//!
//! A failure goes up through the frames in one decision: the failed frame leaves, its
//! parent cancels its siblings and fails in turn, and so on until a state catches or
//! retries it, or the root fails. Frames that leave on the way are kept (`fallen`, with
//! the forks of failed Parallel and Map states in `fallen_forks`) until then: a catch or
//! a retry forgets them; the end of the execution turns them, with the frames still
//! live, into its *redrive point*. That is a snapshot in the format recovery reads, in
//! which every frame that was not waiting for children enters its state again, and every
//! fork keeps its finished children's results and its children not started yet (written
//! inline, as older snapshots were, so it needs no parts). The engine stores it as the
//! ended execution's snapshot; `RedriveExecution` restores it and calls
//! [`Running::redrive`].
//!
//! So a redrive runs again only the states that had not finished: the failed state, the
//! Map iterations and Parallel branches that failed or were aborted, and those not
//! started; finished iterations keep their results, as AWS documents.
use super::snapshot::SnapshotRef;
use super::*;
use crate::model::HISTORY_LIMIT_REASON;

impl Running {
    /// A failure was caught or retried at `frame`: what left below it will not be redriven.
    pub(super) fn forget_fallen(&mut self, frame: FrameId) {
        self.fallen_forks.remove(&frame);
        if self.fallen.is_empty() {
            return;
        }
        let below: Vec<FrameId> =
            self.fallen.keys().copied().filter(|&id| self.descends_from(id, frame)).collect();
        for id in below {
            self.fallen.remove(&id);
            self.fallen_forks.remove(&id);
        }
    }

    /// Whether the fallen or live frame `id` is below `ancestor`.
    fn descends_from(&self, id: FrameId, ancestor: FrameId) -> bool {
        let parent_of = |id: FrameId| {
            self.fallen.get(&id).or_else(|| self.frames.get(id)).and_then(|f| f.parent)
        };
        let mut at = id;
        while let Some((parent, _)) = parent_of(at) {
            if parent == ancestor {
                return true;
            }
            at = parent;
        }
        false
    }

    /// The execution ends unsuccessfully: keep where a redrive resumes, unless its history
    /// has no room for a redrive (AWS wants room for `ExecutionRedriven` and one more event).
    pub(super) fn keep_redrive_point(&mut self) {
        if self.record.arn.contains(":express:") {
            return;
        }
        let events = self.next_event_id.saturating_sub(1);
        if events >= HISTORY_LIMIT - 1 {
            self.record.redrive.refused = Some(HISTORY_LIMIT_REASON.to_owned());
            return;
        }
        let mut frames: BTreeMap<FrameId, Frame> = self.frames.live.clone();
        frames.append(&mut std::mem::take(&mut self.fallen));
        for (id, fork) in std::mem::take(&mut self.fallen_forks) {
            if let Some(f) = frames.get_mut(&id) {
                f.phase = Phase::Fork(fork);
            }
        }
        let mut children: BTreeMap<FrameId, Vec<FrameId>> = BTreeMap::new();
        for (&id, f) in &frames {
            if let Some((parent, _)) = f.parent {
                children.entry(parent).or_default().push(id);
            }
        }
        let mut ready = VecDeque::new();
        let mut inline = Vec::new();
        for (&id, f) in frames.iter_mut() {
            f.generation += 1;
            match &mut f.phase {
                Phase::Fork(fork) => {
                    // The older layout, which restore reads: the state's input in the
                    // frame, results and queued children inline.
                    if fork.group.take().is_some() {
                        f.input = std::mem::take(&mut fork.input);
                    }
                    fork.children = children.remove(&id).unwrap_or_default();
                    fork.running = fork.children.len();
                    inline.push((
                        id,
                        serde_json::to_value(&fork.results).expect("values serialize"),
                        serde_json::to_value(&fork.queued).expect("values serialize"),
                    ));
                }
                _ => {
                    // Entered again, its retries counted afresh.
                    f.phase = Phase::Enter { retry: false };
                    f.attempts.clear();
                    f.retry_count = 0;
                    f.input_text = None;
                    ready.push_back(id);
                }
            }
        }
        let snapshot = SnapshotRef {
            record: &ExecutionRecord { input: Arc::from(""), ..self.record.clone() },
            state_machine_name: &self.state_machine_name,
            next_event_id: self.next_event_id,
            live_frames: &frames,
            next_frame: self.frames.next,
            next_group: self.next_group,
            ready: &ready,
            seed: self.seed,
            timeout_at: None,
            test_case: &self.test_case,
            invocations: &self.invocations,
            extra: Value::Array(Vec::new()),
        };
        let mut value = serde_json::to_value(&snapshot).expect("snapshots serialize");
        for (id, results, queued) in inline {
            let fork = &mut value["live_frames"][id.to_string()]["phase"]["Fork"];
            fork["results"] = results;
            fork["queued"] = queued;
        }
        self.redrive_point = Some(serde_json::to_vec(&value).expect("snapshots serialize"));
    }

    /// Resumes an execution restored from its redrive point: it runs again from now, with
    /// `ExecutionRedriven` recorded and its frames ready to enter their states. `record`
    /// is its row as stored.
    pub(crate) fn redrive(&mut self, record: ExecutionRecord, now: i64) {
        self.record = record;
        self.record.status = ExecutionStatus::Running;
        self.record.stop_ms = None;
        self.record.output = None;
        self.record.error = None;
        self.record.cause = None;
        self.record.redrive.count += 1;
        self.record.redrive.last_ms = Some(now);
        self.record_dirty = true;
        // The Context object shows the new count.
        self.context = Value::Null;
        let previous = self.next_event_id.saturating_sub(1);
        let kind = EventKind::ExecutionRedriven { redrive_count: self.record.redrive.count };
        let id = self.push_event(now, previous, kind);
        for &frame in &self.ready {
            if let Some(f) = self.frames.get_mut(frame) {
                f.last_event = id;
                f.entered_ms = now;
            }
        }
        // Its TimeoutSeconds counts from the redrive.
        if let Some(secs) = self.machine.timeout_seconds() {
            let at_ms = deadline_after(now, secs);
            self.timeout_at = Some(at_ms);
            self.effects.push(Effect::ExecutionTimeout { at_ms });
        }
    }
}
