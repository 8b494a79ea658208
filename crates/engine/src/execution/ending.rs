//! How a frame and the execution end: a fault retried, caught or passed up to the
//! parent frame, and the execution closed (succeeded, failed, stopped, timed out) with
//! its last events.
use super::*;

impl Running {
    /// A fault was raised in the frame's state: retry, catch, or propagate.
    pub(super) fn fault(&mut self, frame: FrameId, fault: Fault, now: i64) {
        self.fault_with(frame, fault, None, now)
    }

    /// Like [`Running::fault`]; `failed` is recorded first when the fault is not retried
    /// (AWS records MapStateFailed/ParallelStateFailed only then).
    pub(super) fn fault_with(
        &mut self,
        frame: FrameId,
        mut fault: Fault,
        failed: Option<EventKind>,
        now: i64,
    ) {
        stepwise_asl::step::fill_entered_event_id(&mut fault, self.frames[frame].entered_event);
        if fault.error == "States.QueryEvaluationError" && !self.frames[frame].quiet {
            // AWS records a failed JSONata expression as its own event, chained to the
            // event before the state's Entered event.
            let kind = EventKind::EvaluationFailed {
                error: fault.error.clone(),
                cause: fault.cause.clone(),
                location: stepwise_asl::jsonata::evaluation_location(&fault).map(str::to_owned),
                state: self.machine.state(self.frames[frame].state).name.clone(),
            };
            let id = self.push_event(now, self.frames[frame].entered_previous, kind);
            self.frames[frame].last_event = id;
        }
        let ctx = self.take_context(frame, None);
        let jitter = (self.next_seed() >> 11) as f64 / (1u64 << 53) as f64;
        let machine = self.machine.clone();
        let f = &self.frames[frame];
        let env = Env { input: &f.input, context: &ctx, vars: &f.vars, seed: 0 };
        let decision = machine.on_error(f.state, &env, &fault, &f.attempts, jitter);
        self.restore_context(ctx);
        match decision {
            ErrorDecision::Retry { retrier, delay_ms } => {
                self.forget_fallen(frame);
                let f = &mut self.frames[frame];
                if f.attempts.len() <= retrier {
                    f.attempts.resize(retrier + 1, 0);
                }
                f.attempts[retrier] += 1;
                f.retry_count += 1;
                self.sleep(frame, now + delay_ms as i64, AfterSleep::Retry);
            }
            ErrorDecision::Catch { next, output, assigned } => {
                self.forget_fallen(frame);
                if let Some(failed) = failed {
                    self.frame_event(frame, now, failed);
                }
                self.finish_state(frame, Outcome::Next { next, output, assigned }, now)
            }
            ErrorDecision::Fail => {
                if let Some(failed) = failed {
                    self.frame_event(frame, now, failed);
                }
                self.frames[frame].phase = Phase::Done;
                self.end_frame(frame, Err(fault), now);
            }
        }
    }

    /// Ends the execution (success, failure, abort or timeout).
    pub(crate) fn end(&mut self, ending: Ending, now: i64) {
        if !self.is_running() {
            return;
        }
        let prev = self
            .frames
            .get(0)
            .map_or(0, |f| f.last_event)
            .max(self.next_event_id.saturating_sub(1));
        let (status, kind) = match ending {
            Ending::Succeeded(output) => {
                self.record.output = Some(output.clone());
                (ExecutionStatus::Succeeded, EventKind::ExecutionSucceeded { output })
            }
            Ending::Failed(fault) => {
                let ec = error_cause(&fault);
                self.record.error = ec.error.clone();
                self.record.cause = ec.cause.clone();
                (ExecutionStatus::Failed, EventKind::ExecutionFailed(ec))
            }
        };
        self.push_event(now, prev, kind);
        self.close(status, now);
    }

    /// Stops the execution from outside (StopExecution or its TimeoutSeconds).
    pub(crate) fn stop(&mut self, status: ExecutionStatus, ec: ErrorCause, now: i64) {
        if !self.is_running() {
            return;
        }
        // AWS records ExecutionAborted/TimedOut with previousEventId 0.
        let prev = 0;
        // DescribeExecution of a TIMED_OUT execution has neither error nor cause.
        if status != ExecutionStatus::TimedOut {
            self.record.error = ec.error.clone();
            self.record.cause = ec.cause.clone();
        }
        let kind = match status {
            ExecutionStatus::TimedOut => EventKind::ExecutionTimedOut(ec),
            _ => EventKind::ExecutionAborted(ec),
        };
        self.push_event(now, prev, kind);
        self.close(status, now);
    }

    pub(super) fn close(&mut self, status: ExecutionStatus, now: i64) {
        if status != ExecutionStatus::Succeeded {
            self.keep_redrive_point();
        }
        self.fallen.clear();
        self.fallen_forks.clear();
        self.record.status = status;
        self.record.stop_ms = Some(now);
        self.record_dirty = true;
        self.ready.clear();
        let tasks: Vec<TaskId> = self
            .frames
            .values_mut()
            .filter_map(|f| std::mem::replace(&mut f.phase, Phase::Done).task())
            .collect();
        if !tasks.is_empty() {
            self.effects.push(Effect::DropTasks(tasks));
        }
    }
}
