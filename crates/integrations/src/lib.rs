//! Task integrations that call other services over the network.
//!
//! The engine knows integrations only through [`stepwise_engine::Integration`]; this
//! crate implements it for services reached over HTTP and registers them on an engine.
//! Every call runs on its own task, outside the engine's locks (see the engine's
//! `dispatch` module), so a slow service holds up only the execution that called it.
pub mod aws;
pub mod client;
pub mod http_task;
