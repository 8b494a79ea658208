//! The Step Functions engine: executions, history, timers and activity queues.
//!
//! The engine owns scheduling. It feeds states to the pure interpreter in
//! `stepwise-asl`, records every decision as history events, and commits
//! each decision's events and rows to a [`store::Store`] as one batch.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use stepwise_engine::{Engine, Options, NewStateMachine, clock::ManualClock, store::memory::MemoryStore};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let engine = Engine::new(Options {
//!     scope: Default::default(),
//!     clock: Arc::new(ManualClock::new(0)),
//!     store: Arc::new(MemoryStore::new()),
//!     token_key: Some([1; 32]),
//!     durable: false,
//!     mocks: None,
//!     seed: None,
//!     integrations: Vec::new(),
//! }).unwrap();
//! let machine = engine.create_state_machine(NewStateMachine {
//!     name: "hello".into(),
//!     definition: r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#.into(),
//!     role_arn: "arn:aws:iam::123456789012:role/r".into(),
//!     ..Default::default()
//! }).unwrap();
//! let execution = engine.start_execution(&machine.arn, None, Some(r#"{"x":1}"#.into())).await.unwrap();
//! let done = engine.describe_execution(&execution.arn).unwrap();
//! assert_eq!(done.output.as_deref(), Some(r#"{"x":1}"#));
//! # });
//! ```
#![warn(missing_docs)]

mod activity;
pub mod arn;
pub mod clock;
mod engine;
pub mod error;
mod execution;
pub mod history;
pub mod mock;
pub mod model;
pub mod store;
pub mod telemetry;
pub mod token;

pub use activity::QueueView;
pub use engine::map_runs::{MapRunCounts, MapRunRecord, MapRunStatus, MapRunUpdate};
pub use engine::resources::diagnostics as resource_diagnostics;
pub use engine::test_state;
pub use engine::{
    ActivityTask, CallFuture, CallResult, Engine, Holdings, Integration, NewStateMachine, Options,
    Pattern, Residency, ServiceCall, StateMachineUpdate, LONG_POLL, MAX_PAYLOAD_BYTES,
};
pub use error::{Error, Result};
