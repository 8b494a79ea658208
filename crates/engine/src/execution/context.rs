//! The Context object (`$$`): the fixed part built once per execution, and the
//! per-state part lent to each evaluation and taken back, so a decision that reads no
//! `$$` builds none.
use super::*;

impl Running {
    /// The Context object's parts that do not change during the execution.
    pub(super) fn fixed_context(&self) -> Value {
        let mut context = json!({
            "Execution": {
                "Id": self.record.arn,
                "Input": serde_json::from_str::<Value>(&self.record.input).unwrap_or(Value::Null),
                "StartTime": millis_to_iso(self.record.start_ms),
                "Name": self.record.name,
                "RoleArn": self.record.role_arn,
                "RedriveCount": self.record.redrive.count,
            },
            "StateMachine": { "Id": self.record.state_machine_arn, "Name": self.state_machine_name },
        });
        if let Some(ms) = self.record.redrive.last_ms {
            context["Execution"]["RedriveTime"] = json!(millis_to_iso(ms));
        }
        if self.sync_express {
            if let Some(execution) = context["Execution"].as_object_mut() {
                execution.remove("RedriveCount");
            }
        }
        context
    }

    /// The Context object (`$$`) for the frame's state. The Execution and StateMachine
    /// parts are built once per execution; only State changes per entry. Give it back
    /// with [`Running::restore_context`] so the next entry reuses it. A machine that never
    /// reads it gets `null`.
    pub(super) fn take_context(&mut self, frame: FrameId, token: Option<String>) -> Value {
        if !self.machine.reads_context() {
            return Value::Null;
        }
        let mut ctx = std::mem::take(&mut self.context);
        if ctx.is_null() {
            ctx = self.fixed_context();
        }
        let f = &self.frames[frame];
        let state = self.machine.state(f.state);
        let mut current = Map::new();
        current.insert("Name".into(), Value::String(state.name.clone()));
        current.insert("EnteredTime".into(), Value::String(millis_to_iso(f.entered_ms)));
        // AWS reports RetryCount only for the states that can retry.
        if matches!(state.kind, StateKind::Task | StateKind::Parallel | StateKind::Map) {
            current.insert("RetryCount".into(), json!(f.retry_count));
        }
        if let Value::Object(o) = &mut ctx {
            o.insert("State".into(), Value::Object(current));
            // `$$.Task` exists only while a `.waitForTaskToken` Task is entered.
            match token {
                Some(token) => o.insert("Task".into(), json!({ "Token": token })),
                None => o.remove("Task"),
            };
        }
        ctx
    }

    pub(super) fn restore_context(&mut self, ctx: Value) {
        self.context = ctx;
    }

    /// Frees the cached Context object; a parked execution then holds only its state.
    /// The next decision rebuilds it (see [`Running::take_context`]).
    pub(crate) fn release_context(&mut self) {
        self.context = Value::Null;
        // Buffers keep their capacity after draining; a parked execution gives it back.
        self.pending = Vec::new();
        self.effects = Vec::new();
        self.unsaved = Vec::new();
        self.ready.shrink_to_fit();
    }
}
