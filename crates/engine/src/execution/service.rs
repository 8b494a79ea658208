//! Tasks that call a service integration: the call, its answer, and the patterns that
//! wait past it (`.waitForTaskToken` for a callback, `.sync` for a job's end).
//!
//! History, as AWS records it:
//! - request-response: `TaskScheduled`, `TaskStarted`, then `TaskSucceeded` or `TaskFailed`
//!   with the call's response or error;
//! - `.waitForTaskToken`: the same up to `TaskStarted`; the call's response is
//!   `TaskSubmitted`, and `SendTaskSuccess`/`SendTaskFailure` with the token end the task
//!   (`TaskSucceeded`/`TaskFailed`); `HeartbeatSeconds` and `TimeoutSeconds` end it with
//!   `TaskTimedOut`;
//! - a bare Lambda function ARN: `LambdaFunctionScheduled`, `LambdaFunctionStarted`, then
//!   `LambdaFunctionSucceeded` with the function's payload, or `LambdaFunctionFailed`.
use super::*;

/// A Task's time limits, as the state gives them.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Limits {
    pub(super) timeout_seconds: Option<u64>,
    pub(super) heartbeat_seconds: Option<u64>,
}

/// Everything a service Task asks for, once its input is processed.
#[derive(Debug)]
pub(super) struct ServiceCallSpec {
    /// The Resource ARN as written.
    pub(super) resource: String,
    pub(super) service: ServiceResource,
    pub(super) parameters: Value,
    pub(super) limits: Limits,
    /// The task whose token `$$.Task.Token` held, for `.waitForTaskToken`.
    pub(super) token: Option<TaskId>,
}

/// The history events of a frame's service task: AWS's `Task*` events, or the
/// `LambdaFunction*` ones for a bare function ARN.
pub(super) struct ServiceEvents {
    resource_type: String,
    resource: String,
    legacy_lambda: bool,
}

impl ServiceEvents {
    /// The events of `phase`, if it is a service call.
    pub(super) fn of(phase: &Phase) -> Option<ServiceEvents> {
        match phase {
            Phase::Service { resource_type, action, pattern, legacy_lambda, .. } => {
                Some(ServiceEvents {
                    resource_type: resource_type.clone(),
                    resource: format!("{action}{}", pattern.suffix()),
                    legacy_lambda: *legacy_lambda,
                })
            }
            _ => None,
        }
    }

    pub(super) fn succeeded(self, output: String) -> EventKind {
        if self.legacy_lambda {
            return EventKind::LambdaFunctionSucceeded { output };
        }
        EventKind::TaskSucceeded {
            resource_type: self.resource_type,
            resource: self.resource,
            output,
        }
    }

    pub(super) fn failed(self, error: ErrorCause) -> EventKind {
        if self.legacy_lambda {
            return EventKind::LambdaFunctionFailed(error);
        }
        EventKind::TaskFailed { resource_type: self.resource_type, resource: self.resource, error }
    }

    pub(super) fn timed_out(self, error: ErrorCause) -> EventKind {
        if self.legacy_lambda {
            return EventKind::LambdaFunctionTimedOut(error);
        }
        EventKind::TaskTimedOut {
            resource_type: self.resource_type,
            resource: self.resource,
            error,
        }
    }
}

impl Running {
    /// Records the Task's scheduling and asks the engine for the call (and, for a
    /// callback, to accept the token).
    pub(super) fn call_service(&mut self, frame: FrameId, call: ServiceCallSpec, now: i64) {
        let ServiceCallSpec { resource, service, mut parameters, limits, token } = call;
        let legacy_lambda = service.legacy_lambda;
        if legacy_lambda {
            self.frame_event(
                frame,
                now,
                EventKind::LambdaFunctionScheduled {
                    resource: resource.clone(),
                    input: json(&parameters),
                    timeout_seconds: limits.timeout_seconds,
                },
            );
            self.frame_event(frame, now, EventKind::LambdaFunctionStarted);
            // The function is invoked with the state's input as its payload.
            parameters = json!({ "FunctionName": resource, "Payload": parameters });
        } else {
            let region = self.record.arn.split(':').nth(3).unwrap_or_default().to_owned();
            let history_name = service.history_name();
            self.frame_event(
                frame,
                now,
                EventKind::TaskScheduled {
                    resource_type: service.resource_type.clone(),
                    resource: history_name.clone(),
                    region,
                    parameters: json(&parameters),
                    timeout_seconds: limits.timeout_seconds,
                    heartbeat_seconds: limits.heartbeat_seconds,
                },
            );
            self.frame_event(
                frame,
                now,
                EventKind::TaskStarted {
                    resource_type: service.resource_type.clone(),
                    resource: history_name,
                },
            );
        }
        let ServiceResource { resource_type, action, pattern, .. } = service;
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        let generation = f.generation;
        let timeout_at = limits.timeout_seconds.map(|secs| deadline_after(now, secs));
        f.phase = Phase::Service {
            generation,
            resource_type: resource_type.clone(),
            action: action.clone(),
            pattern,
            parameters: parameters.clone(),
            token,
            submitted: false,
            timeout_at,
            legacy_lambda,
        };
        if let Some(at_ms) = timeout_at {
            self.effects.push(Effect::Timer { at_ms, frame, generation });
        }
        if let Some(task) = token {
            // A `.sync` job is watched by its call, not kept alive by heartbeats.
            let heartbeat_seconds =
                limits.heartbeat_seconds.filter(|_| pattern == Pattern::WaitForTaskToken);
            self.effects.push(Effect::AwaitToken { task, frame, heartbeat_seconds });
        }
        self.effects.push(Effect::Call {
            frame,
            generation,
            resource_type,
            action,
            pattern,
            parameters,
        });
    }

    /// Asks the engine to make a frame's service call again (after a restore: the call
    /// may or may not have reached the service, so it runs at least once). A call that
    /// had answered (its task now waits for a token or a job) is not repeated.
    pub(crate) fn repeat_service_call(&mut self, frame: FrameId, generation: u64) {
        let Some(Phase::Service {
            generation: g,
            resource_type,
            action,
            pattern,
            parameters,
            submitted,
            ..
        }) = self.frames.get(frame).map(|f| &f.phase)
        else {
            return;
        };
        // A callback's call that answered is done; a `.sync` call is made again, to wait
        // on its job (the call finds the job it started, see `dispatch/states.rs`).
        if *g != generation || (*submitted && *pattern == Pattern::WaitForTaskToken) {
            return;
        }
        let call = Effect::Call {
            frame,
            generation,
            resource_type: resource_type.clone(),
            action: action.clone(),
            pattern: *pattern,
            parameters: parameters.clone(),
        };
        self.effects.push(call);
    }

    /// The frame's service phase, if it still waits for the call of `generation`: for
    /// its first answer, or for a `.sync` job's end.
    fn waiting_call(&self, frame: FrameId, generation: u64) -> Option<&Phase> {
        let phase = &self.frames.get(frame)?.phase;
        match phase {
            Phase::Service { generation: g, submitted, pattern, .. }
                if *g == generation
                    && self.is_running()
                    && !(*submitted && *pattern == Pattern::WaitForTaskToken) =>
            {
                Some(phase)
            }
            _ => None,
        }
    }

    /// True while `frame` still waits for the service call of `generation`.
    pub(crate) fn awaits_service(&self, frame: FrameId, generation: u64) -> bool {
        self.waiting_call(frame, generation).is_some()
    }

    /// A service call answered with `output`. For a callback task that is only the
    /// submission (`TaskSubmitted`): the task goes on until its token is answered.
    pub(crate) fn service_succeeded(
        &mut self,
        frame: FrameId,
        generation: u64,
        output: Value,
        now: i64,
    ) {
        let Some(phase) = self.waiting_call(frame, generation) else { return };
        let events = ServiceEvents::of(phase).expect("a service phase");
        let legacy_lambda = events.legacy_lambda;
        if matches!(phase, Phase::Service { pattern: Pattern::WaitForTaskToken, .. }) {
            return self.service_submitted(frame, generation, output, now);
        }
        // A bare function ARN's result is the function's payload alone.
        let output = match (legacy_lambda, output) {
            (true, Value::Object(mut o)) => o.remove("Payload").unwrap_or(Value::Null),
            (_, output) => output,
        };
        self.end_service_task(frame);
        self.frame_event(frame, now, events.succeeded(json(&output)));
        self.complete(frame, output, now);
    }

    /// The call of a `.waitForTaskToken` or `.sync` task answered: recorded as
    /// `TaskSubmitted`; the task waits on for its token or its job.
    pub(crate) fn service_submitted(
        &mut self,
        frame: FrameId,
        generation: u64,
        output: Value,
        now: i64,
    ) {
        let Some(phase) = self.waiting_call(frame, generation) else { return };
        let events = ServiceEvents::of(phase).expect("a service phase");
        if let Some(Phase::Service { submitted, .. }) =
            self.frames.get_mut(frame).map(|f| &mut f.phase)
        {
            *submitted = true;
        }
        let event = EventKind::TaskSubmitted {
            resource_type: events.resource_type,
            resource: events.resource,
            output: json(&output),
        };
        self.frame_event(frame, now, event);
    }

    /// A service call failed.
    pub(crate) fn service_failed(
        &mut self,
        frame: FrameId,
        generation: u64,
        fault: Fault,
        now: i64,
    ) {
        let Some(phase) = self.waiting_call(frame, generation) else { return };
        let events = ServiceEvents::of(phase).expect("a service phase");
        self.end_service_task(frame);
        self.frame_event(frame, now, events.failed(error_cause(&fault)));
        self.fault(frame, fault, now);
    }

    /// The frame's service task is over: its timers go stale and its token, if any,
    /// is dropped.
    fn end_service_task(&mut self, frame: FrameId) {
        let f = &mut self.frames[frame];
        f.generation += 1;
        self.stale_frames.push(frame);
        if let Some(task) = std::mem::replace(&mut f.phase, Phase::Done).task() {
            self.effects.push(Effect::DropTasks(vec![task]));
        }
    }

    /// The token `$$.Task.Token` must hold when the frame's state is entered now: a new
    /// task for a `.waitForTaskToken` Task, and for a `.sync` one (AWS gives those a
    /// token too, and `SendTaskSuccess` with it ends the task before its job does);
    /// none otherwise.
    pub(super) fn callback_task(
        &self,
        frame: FrameId,
        services: &mut dyn Services,
    ) -> Option<TaskId> {
        let state = self.machine.state(self.frames[frame].state);
        let service = ServiceResource::parse(state.resource()?)?;
        let waits =
            matches!(service.pattern, Pattern::WaitForTaskToken | Pattern::Sync | Pattern::Sync2);
        waits.then(|| services.new_task())
    }
}
