//! Retry and Catch: matching error names and computing backoff.
//!
//! OWNER: machine helper.
