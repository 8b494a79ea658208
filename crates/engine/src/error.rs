//! Engine errors: the API-level failures a caller must tell apart.
//!
//! Each variant is named after the AWS error it becomes on the wire
//! ([`Error::aws_type`]); the message is AWS's text where AWS documents one.
//! Execution failures (`States.*`) are not here: they are data in history.

/// An operation failed; the variant decides the AWS error name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)]
pub enum Error {
    #[error("{0}")]
    InvalidArn(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("{0}")]
    InvalidExecutionInput(String),
    #[error("{0}")]
    InvalidOutput(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    StateMachineDoesNotExist(String),
    #[error("{0}")]
    StateMachineAlreadyExists(String),
    #[error("{0}")]
    StateMachineDeleting(String),
    #[error("{0}")]
    ExecutionDoesNotExist(String),
    /// The operation does not apply to this type of state machine (an EXPRESS machine's
    /// executions cannot be listed; a STANDARD machine cannot run synchronously).
    #[error("{0}")]
    StateMachineTypeNotSupported(String),
    #[error("{0}")]
    ExecutionAlreadyExists(String),
    /// `RedriveExecution` of an execution that cannot be redriven (running, succeeded,
    /// past its window, its history full).
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    #[error("{0}")]
    ActivityDoesNotExist(String),
    #[error("{0}")]
    ActivityAlreadyExists(String),
    #[error("{0}")]
    ResourceNotFound(String),
    /// A change that contradicts the current state (a stale `revisionId`, a version an
    /// alias routes to, an alias name taken with another configuration).
    #[error("{0}")]
    Conflict(String),
    /// A quota AWS enforces (1000 versions, 100 aliases per state machine).
    #[error("{0}")]
    ServiceQuotaExceeded(String),
    #[error("{0}")]
    TaskDoesNotExist(String),
    #[error("{0}")]
    TaskTimedOut(String),
    #[error("{0}")]
    TooManyTags(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    MissingRequiredParameter(String),
    #[error("{0}")]
    Unsupported(String),
    /// The store failed; the message is for logs, not for clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The AWS `__type` of this error.
    pub fn aws_type(&self) -> &'static str {
        match self {
            Error::InvalidArn(_) => "InvalidArn",
            Error::InvalidName(_) => "InvalidName",
            Error::InvalidDefinition(_) => "InvalidDefinition",
            Error::InvalidExecutionInput(_) => "InvalidExecutionInput",
            Error::InvalidOutput(_) => "InvalidOutput",
            Error::InvalidToken(_) => "InvalidToken",
            Error::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            Error::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            Error::StateMachineDeleting(_) => "StateMachineDeleting",
            Error::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            Error::StateMachineTypeNotSupported(_) => "StateMachineTypeNotSupported",
            Error::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            Error::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            Error::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            Error::ActivityAlreadyExists(_) => "ActivityAlreadyExists",
            Error::ResourceNotFound(_) => "ResourceNotFound",
            Error::Conflict(_) => "ConflictException",
            Error::ServiceQuotaExceeded(_) => "ServiceQuotaExceededException",
            Error::TaskDoesNotExist(_) => "TaskDoesNotExist",
            Error::TaskTimedOut(_) => "TaskTimedOut",
            Error::TooManyTags(_) => "TooManyTags",
            Error::Validation(_) => "ValidationException",
            Error::MissingRequiredParameter(_) => "MissingRequiredParameter",
            Error::Unsupported(_) => "UnsupportedOperation",
            Error::Internal(_) => "InternalFailure",
        }
    }
    /// The message sent to the client.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

/// Shorthand for engine results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
