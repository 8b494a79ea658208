//! The errors an HTTP Task raises, named as AWS names them so that `Retry` and `Catch`
//! written for AWS match them here.
use stepwise_asl::Fault;

/// The endpoint answered with a status outside 2xx: `States.Http.StatusCode.<code>`.
///
/// AWS keeps only the status text as the cause; the response body is dropped.
pub(crate) fn status(code: u16, status_text: &str) -> Fault {
    Fault::new(format!("States.Http.StatusCode.{code}"), status_text)
}

/// No response: the connection failed, broke, or the 60-second deadline passed.
pub(crate) fn socket(cause: impl Into<String>) -> Fault {
    Fault::new("States.Http.Socket", cause)
}

/// An answer larger than a state's payload may be.
pub(crate) fn data_limit(cause: impl Into<String>) -> Fault {
    Fault::new("States.DataLimitExceeded", cause)
}

/// What AWS reports as a connection problem: `Events.ConnectionResource.<reason>`.
pub(crate) fn connection(reason: &str, cause: impl Into<String>) -> Fault {
    Fault::new(format!("Events.ConnectionResource.{reason}"), cause)
}

/// A task AWS would refuse to run (a forbidden header, a body that cannot be merged,
/// an answer that is not text): `States.Runtime`.
pub(crate) fn runtime(cause: impl Into<String>) -> Fault {
    Fault::runtime(cause)
}
