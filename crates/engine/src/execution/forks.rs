//! Parallel and Map states: forking a frame into child frames (at most
//! `MaxConcurrency` at once), collecting their results in order, cancelling them when
//! the parent fails or ends, and joining.
use super::*;

impl Running {
    pub(super) fn fork(&mut self, frame: FrameId, mut fork: Fork, now: i64) {
        if fork.results.is_empty() {
            self.frames[frame].phase = Phase::Fork(fork);
            return self.join(frame, now);
        }
        let group = self.next_group;
        self.next_group += 1;
        fork.group = Some(group);
        let limit = if fork.max_concurrency == 0 { usize::MAX } else { fork.max_concurrency };
        let mut launch = Vec::new();
        while fork.running < limit {
            let Some(child) = fork.queued.pop_front() else { break };
            fork.running += 1;
            fork.next = child.0 + 1;
            launch.push(child);
        }
        if !fork.queued.is_empty() {
            self.unsaved.push(Unsaved::Queued { frame, group });
        }
        fork.input = std::mem::take(&mut self.frames[frame].input);
        self.unsaved.push(Unsaved::Input { frame, group });
        let is_map = fork.is_map;
        self.frames[frame].phase = Phase::Fork(fork);
        for (slot, start, input) in launch {
            self.spawn_child(frame, slot, start, input, is_map, now);
        }
    }

    pub(super) fn spawn_child(
        &mut self,
        parent: FrameId,
        slot: usize,
        start: StateId,
        input: Value,
        is_map: bool,
        now: i64,
    ) {
        let mut last_event = self.frames[parent].last_event;
        // A Map Run's iterations record nothing here (see `map_run.rs`).
        let quiet = self.frames[parent].quiet || self.runs_map_run(parent);
        if is_map && !quiet {
            let name = self.machine.state(self.frames[parent].state).name.clone();
            last_event = self.frame_event(
                parent,
                now,
                EventKind::MapIterationStarted { name, index: slot as u64 },
            );
        }
        let child = self.frames.insert(Frame {
            parent: Some((parent, slot)),
            state: start,
            input,
            input_text: None,
            phase: Phase::Enter { retry: false },
            attempts: Vec::new(),
            retry_count: 0,
            last_event,
            entered_event: 0,
            entered_previous: 0,
            entered_ms: now,
            generation: 0,
            vars: self.frames[parent].vars.clone(),
            quiet,
        });
        if let Phase::Fork(fork) = &mut self.frames[parent].phase {
            fork.children.push(child);
        }
        self.ready.push_back(child);
    }

    /// Cancels and removes the children of `parent`, and theirs.
    pub(super) fn cancel_children(&mut self, parent: FrameId) {
        let children = match &mut self.frames[parent].phase {
            Phase::Fork(fork) => std::mem::take(&mut fork.children),
            _ => return,
        };
        let mut dropped = Vec::new();
        let mut stack = children;
        while let Some(child) = stack.pop() {
            let Some(f) = self.frames.remove(child) else { continue };
            self.stale_frames.push(child);
            if let Some(task) = f.phase.task() {
                dropped.push(task);
            }
            if let Phase::Fork(fork) = &f.phase {
                self.drop_parts(fork);
                stack.extend(fork.children.iter().copied());
            }
            // Aborted by the failure: a redrive resumes it (unless the failure is caught).
            self.fallen.insert(child, f);
        }
        let frames = &self.frames;
        self.ready
            .retain(|f| frames.get(*f).is_some_and(|f| matches!(f.phase, Phase::Enter { .. })));
        if !dropped.is_empty() {
            self.effects.push(Effect::DropTasks(dropped));
        }
    }

    /// A fork ended: its parts go (at the next [`Running::take_parts`]).
    pub(super) fn drop_parts(&mut self, fork: &Fork) {
        if let Some(group) = fork.group {
            self.unsaved.push(Unsaved::Drop { group });
        }
    }

    /// The frame's fork ended: the frame is done with it and has its input back.
    pub(super) fn end_fork(&mut self, frame: FrameId) -> Option<Fork> {
        let f = &mut self.frames[frame];
        let Phase::Fork(mut fork) = std::mem::replace(&mut f.phase, Phase::Done) else {
            return None;
        };
        if fork.group.is_some() {
            f.input = std::mem::take(&mut fork.input);
        }
        self.drop_parts(&fork);
        Some(fork)
    }

    /// All children of a Parallel/Map finished: complete the state with their outputs.
    pub(super) fn join(&mut self, frame: FrameId, now: i64) {
        if self.runs_map_run(frame) {
            self.map_run_succeeded(frame, now);
        }
        let Some(fork) = self.end_fork(frame) else { return };
        let succeeded = if fork.is_map {
            EventKind::MapStateSucceeded
        } else {
            EventKind::ParallelStateSucceeded
        };
        // AWS points both the Succeeded and the Exited event at the last iteration's end.
        if fork.last_done != 0 {
            self.frames[frame].last_event = fork.last_done;
        }
        self.side_event(frame, now, succeeded);
        let results =
            Value::Array(fork.results.into_iter().map(|r| r.unwrap_or(Value::Null)).collect());
        self.complete(frame, results, now);
    }
}
