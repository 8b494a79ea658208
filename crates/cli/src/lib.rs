//! The `stepwise` binary's library half: starting a server (also used by the
//! integration tests, which run it in-process on an ephemeral port) and the
//! client-side tools.
pub mod bench;
pub mod config;
pub mod local;
pub mod mock_config;
pub mod run;
pub mod serve;
pub mod test_runner;
pub mod validate;
