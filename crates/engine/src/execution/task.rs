//! A Task state's work: activity tasks, service integration calls and mocked answers,
//! and how each one's outcome (or timeout) moves the frame on.
use super::service::{Limits, ServiceCallSpec, ServiceEvents};
use super::*;
use stepwise_asl::error::names;

impl Running {
    /// The tasks its frames wait on (activity tasks and callback tokens).
    pub(crate) fn tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.frames.values().filter_map(|f| f.phase.task())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn schedule_task(
        &mut self,
        frame: FrameId,
        services: &mut dyn Services,
        resource: String,
        parameters: Value,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
        token: Option<TaskId>,
        now: i64,
    ) {
        if let Some(test_case) = &self.test_case {
            let state = self.machine.state(self.frames[frame].state).name.clone();
            let invocation = self.invocations.get(&state).copied().unwrap_or(0);
            if let Some(response) =
                services.mock(&self.state_machine_name, test_case, &state, invocation)
            {
                self.invocations.insert(state, invocation + 1);
                return self.answer_from_mock(frame, &resource, parameters, response, now);
            }
        }
        let runtime_error = |this: &Self, what: String| {
            let f = &this.frames[frame];
            let name = &this.machine.state(f.state).name;
            Fault::runtime(format!(
                "An error occurred while executing the state '{name}' (entered at the event id #{}). {what}",
                f.entered_event
            ))
        };
        if let Some(service) = ServiceResource::parse(&resource) {
            if !services.integration_exists(&service.resource_type) {
                let fault = runtime_error(
                    self,
                    format!("Stepwise does not support the Task resource '{resource}' yet."),
                );
                return self.fault(frame, fault, now);
            }
            let limits = Limits { timeout_seconds, heartbeat_seconds };
            let call = ServiceCallSpec { resource, service, parameters, limits, token };
            return self.call_service(frame, call, now);
        }
        if !resource.contains(":activity:") {
            let fault = runtime_error(self, format!("Stepwise does not support the Task resource '{resource}' yet: only activities and service integrations run."));
            return self.fault(frame, fault, now);
        }
        if !services.activity_exists(&resource) {
            let fault = runtime_error(self, format!("The activity {resource} does not exist."));
            return self.fault(frame, fault, now);
        }
        let task = services.new_task();
        let input = json(&parameters);
        self.frame_event(
            frame,
            now,
            EventKind::ActivityScheduled {
                resource: resource.clone(),
                input: input.clone(),
                timeout_seconds,
                heartbeat_seconds,
            },
        );
        self.frames[frame].generation += 1;
        self.stale_frames.push(frame);
        let generation = self.frames[frame].generation;
        let timeout_at = timeout_seconds.map(|secs| deadline_after(now, secs));
        self.frames[frame].phase = Phase::Task { task, timeout_at };
        if let Some(at_ms) = timeout_at {
            self.effects.push(Effect::Timer { at_ms, frame, generation });
        }
        self.effects.push(Effect::ScheduleActivity {
            task,
            activity_arn: resource,
            input,
            frame,
            heartbeat_seconds,
        });
    }

    /// A mocked Task: recorded as the service integration it stands for, answered at once.
    pub(super) fn answer_from_mock(
        &mut self,
        frame: FrameId,
        resource: &str,
        parameters: Value,
        response: crate::mock::MockResponse,
        now: i64,
    ) {
        let (resource_type, action) = crate::mock::resource_parts(resource);
        let region = self.record.arn.split(':').nth(3).unwrap_or_default().to_owned();
        let scheduled = EventKind::TaskScheduled {
            resource_type: resource_type.clone(),
            resource: action.clone(),
            region,
            parameters: json(&parameters),
            timeout_seconds: None,
            heartbeat_seconds: None,
        };
        self.frame_event(frame, now, scheduled);
        self.frame_event(
            frame,
            now,
            EventKind::TaskStarted {
                resource_type: resource_type.clone(),
                resource: action.clone(),
            },
        );
        match response {
            crate::mock::MockResponse::Return(output) => {
                let text = json(&output);
                self.frame_event(
                    frame,
                    now,
                    EventKind::TaskSucceeded { resource_type, resource: action, output: text },
                );
                self.complete(frame, output, now);
            }
            crate::mock::MockResponse::Throw { error, cause } => {
                let fault = Fault::new(error, cause);
                let ec = error_cause(&fault);
                self.frame_event(
                    frame,
                    now,
                    EventKind::TaskFailed { resource_type, resource: action, error: ec },
                );
                self.fault(frame, fault, now);
            }
        }
    }

    /// Runs this execution as mock test case `test_case`.
    pub(crate) fn set_test_case(&mut self, test_case: Option<String>) {
        self.test_case = test_case;
    }

    /// A timer of this execution fired.
    pub(crate) fn on_timer(
        &mut self,
        frame: FrameId,
        generation: u64,
        now: i64,
        timed_out_task: &mut Option<TaskId>,
    ) {
        if !self.is_running() {
            return;
        }
        let Some(f) = self.frames.get_mut(frame) else { return };
        if f.generation != generation {
            return;
        }
        match f.phase {
            Phase::Sleeping { then: AfterSleep::CompleteWait, .. } => {
                f.phase = Phase::Done;
                self.complete(frame, Value::Null, now);
            }
            Phase::Sleeping { then: AfterSleep::Retry, .. } => {
                f.phase = Phase::Enter { retry: true };
                self.ready.push_back(frame);
            }
            Phase::Task { task, .. } => {
                *timed_out_task = Some(task);
                self.task_timed_out(frame, "States.Timeout", now);
            }
            // TimeoutSeconds of a service task.
            Phase::Service { token, .. } => {
                *timed_out_task = token;
                self.task_timed_out(frame, "States.Timeout", now);
            }
            _ => {}
        }
    }

    /// The task's timeout or heartbeat timeout elapsed.
    pub(crate) fn task_timed_out(&mut self, frame: FrameId, error: &str, now: i64) {
        let Some(f) = self.frames.get_mut(frame) else { return };
        f.generation += 1;
        self.stale_frames.push(frame);
        let phase = std::mem::replace(&mut f.phase, Phase::Done);
        // A callback (`.waitForTaskToken`) whose heartbeat is missed is recorded by AWS
        // as `States.Timeout`; only an activity's is `States.HeartbeatTimeout`.
        let error = match ServiceEvents::of(&phase) {
            Some(_) if error == names::HEARTBEAT_TIMEOUT => names::TIMEOUT,
            _ => error,
        };
        let ec = ErrorCause { error: Some(error.to_owned()), cause: None };
        let event = match ServiceEvents::of(&phase) {
            Some(service) => service.timed_out(ec),
            None => EventKind::ActivityTimedOut(ec),
        };
        self.frame_event(frame, now, event);
        self.fault(frame, Fault::new(error, ""), now);
    }

    /// A worker took the task.
    pub(crate) fn task_started(&mut self, frame: FrameId, worker_name: Option<String>, now: i64) {
        if !self.frames.contains(frame) {
            return;
        }
        self.frame_event(frame, now, EventKind::ActivityStarted { worker_name });
    }

    /// The frame's task succeeded with `output` (already validated JSON).
    pub(crate) fn task_succeeded(
        &mut self,
        frame: FrameId,
        output_text: String,
        output: Value,
        now: i64,
    ) {
        let Some(f) = self.frames.get_mut(frame) else { return };
        f.generation += 1;
        self.stale_frames.push(frame);
        let phase = std::mem::replace(&mut f.phase, Phase::Done);
        let event = match ServiceEvents::of(&phase) {
            Some(service) => service.succeeded(output_text),
            None => EventKind::ActivitySucceeded { output: output_text },
        };
        self.frame_event(frame, now, event);
        self.complete(frame, output, now);
    }

    /// The frame's task failed.
    pub(crate) fn task_failed(
        &mut self,
        frame: FrameId,
        error: Option<String>,
        cause: Option<String>,
        now: i64,
    ) {
        let Some(f) = self.frames.get_mut(frame) else { return };
        f.generation += 1;
        self.stale_frames.push(frame);
        let phase = std::mem::replace(&mut f.phase, Phase::Done);
        let ec = ErrorCause { error: error.clone(), cause: cause.clone() };
        let event = match ServiceEvents::of(&phase) {
            Some(service) => service.failed(ec),
            None => EventKind::ActivityFailed(ec),
        };
        self.frame_event(frame, now, event);
        self.fault(frame, Fault::new(error.unwrap_or_default(), cause.unwrap_or_default()), now);
    }

    /// The task of `frame`, if it is waiting on one.
    pub(crate) fn frame_task(&self, frame: FrameId) -> Option<TaskId> {
        self.frames.get(frame)?.phase.task()
    }
}
