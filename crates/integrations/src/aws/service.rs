//! The AWS services Stepwise calls and the facts about each that calls need: where it
//! lives, how it is signed, how it speaks, and how Step Functions names its errors.
//!
//! Step Functions names an error of an optimized integration (`lambda`, `sqs`, …) after
//! the AWS SDK for Java v1 (`SQS.AmazonSQSException`, causes ending in
//! `(Service: AmazonSQS; Status Code: 400; …; Proxy: null)`) and an error of an
//! `aws-sdk:` integration after the SDK for Java v2 (`Sqs.SqsException`,
//! `(Service: Sqs, Status Code: 400, Request ID: …)`); both tables are here.

/// An AWS service reached from Task states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Lambda,
    Sqs,
    Sns,
    DynamoDb,
    EventBridge,
    SecretsManager,
    Ssm,
    Kinesis,
    S3,
    StepFunctions,
}

/// How a service's API is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS JSON 1.0 or 1.1: `POST /` with `X-Amz-Target: <prefix>.<Action>`.
    Json { version: &'static str, target_prefix: &'static str },
    /// The query protocol: a form body with `Action=…`, XML answers.
    Query { version: &'static str },
    /// REST with JSON bodies (Lambda).
    RestJson,
    /// REST with XML bodies and answers, members bound to headers and the query (S3).
    RestXml,
}

impl Service {
    /// Every service, for flags and lookups.
    pub const ALL: [Service; 10] = [
        Service::Lambda,
        Service::Sqs,
        Service::Sns,
        Service::DynamoDb,
        Service::EventBridge,
        Service::SecretsManager,
        Service::Ssm,
        Service::Kinesis,
        Service::S3,
        Service::StepFunctions,
    ];

    /// The name a `--aws-endpoint NAME=URL` flag uses: the `aws-sdk:` service name
    /// (`dynamodb`, `eventbridge`, `secretsmanager`, `sfn`, …).
    pub fn key(self) -> &'static str {
        match self {
            Service::Lambda => "lambda",
            Service::Sqs => "sqs",
            Service::Sns => "sns",
            Service::DynamoDb => "dynamodb",
            Service::EventBridge => "eventbridge",
            Service::SecretsManager => "secretsmanager",
            Service::Ssm => "ssm",
            Service::Kinesis => "kinesis",
            Service::S3 => "s3",
            Service::StepFunctions => "sfn",
        }
    }

    /// A service by its flag name, also accepting the optimized integrations' names
    /// (`events`, `states`) and AWS's endpoint prefixes.
    pub fn from_key(key: &str) -> Option<Service> {
        let key = key.to_ascii_lowercase();
        let key = key.replace(['-', '_', ' '], "");
        Some(match key.as_str() {
            "lambda" => Service::Lambda,
            "sqs" => Service::Sqs,
            "sns" => Service::Sns,
            "dynamodb" => Service::DynamoDb,
            "eventbridge" | "events" => Service::EventBridge,
            "secretsmanager" => Service::SecretsManager,
            "ssm" => Service::Ssm,
            "kinesis" => Service::Kinesis,
            "s3" => Service::S3,
            "sfn" | "states" | "stepfunctions" => Service::StepFunctions,
            _ => return None,
        })
    }

    /// The host prefix of the real endpoint (`https://<prefix>.<region>.amazonaws.com`),
    /// which is also the SigV4 signing name for every service here.
    pub fn endpoint_prefix(self) -> &'static str {
        match self {
            Service::EventBridge => "events",
            Service::StepFunctions => "states",
            other => other.key(),
        }
    }

    /// The name SigV4 signs with.
    pub fn signing_name(self) -> &'static str {
        self.endpoint_prefix()
    }

    /// The suffix of the SDKs' `AWS_ENDPOINT_URL_<SERVICE>` variable: the service id in
    /// upper case with spaces as underscores.
    pub fn endpoint_env_suffix(self) -> &'static str {
        match self {
            Service::Lambda => "LAMBDA",
            Service::Sqs => "SQS",
            Service::Sns => "SNS",
            Service::DynamoDb => "DYNAMODB",
            Service::EventBridge => "EVENTBRIDGE",
            Service::SecretsManager => "SECRETS_MANAGER",
            Service::Ssm => "SSM",
            Service::Kinesis => "KINESIS",
            Service::S3 => "S3",
            Service::StepFunctions => "SFN",
        }
    }

    /// The variable AWS Step Functions Local reads for this service's endpoint, if any.
    /// `EVENTBRIDGE_ENDPOINT` is not one of Step Functions Local's; it is read too
    /// because setups written for Stepwise's issue use it.
    pub fn step_functions_local_env(self) -> Option<&'static str> {
        Some(match self {
            Service::Lambda => "LAMBDA_ENDPOINT",
            Service::Sqs => "SQS_ENDPOINT",
            Service::Sns => "SNS_ENDPOINT",
            Service::DynamoDb => "DYNAMODB_ENDPOINT",
            Service::EventBridge => "EVENTBRIDGE_ENDPOINT",
            Service::StepFunctions => "STEP_FUNCTIONS_ENDPOINT",
            Service::SecretsManager | Service::Ssm | Service::Kinesis | Service::S3 => return None,
        })
    }

    pub fn protocol(self) -> Protocol {
        let json = |version, target_prefix| Protocol::Json { version, target_prefix };
        match self {
            Service::Lambda => Protocol::RestJson,
            Service::Sns => Protocol::Query { version: "2010-03-31" },
            Service::Sqs => json("1.0", "AmazonSQS"),
            Service::DynamoDb => json("1.0", "DynamoDB_20120810"),
            Service::EventBridge => json("1.1", "AWSEvents"),
            Service::SecretsManager => json("1.1", "secretsmanager"),
            Service::Ssm => json("1.1", "AmazonSSM"),
            Service::Kinesis => json("1.1", "Kinesis_20131202"),
            Service::S3 => Protocol::RestXml,
            Service::StepFunctions => json("1.0", "AWSStepFunctions"),
        }
    }

    /// The service as the SDK for Java v2 names it: the prefix of `aws-sdk:` errors and
    /// the `Service:` of their causes.
    pub fn sdk_name(self) -> &'static str {
        match self {
            Service::Lambda => "Lambda",
            Service::Sqs => "Sqs",
            Service::Sns => "Sns",
            Service::DynamoDb => "DynamoDb",
            Service::EventBridge => "EventBridge",
            Service::SecretsManager => "SecretsManager",
            Service::Ssm => "Ssm",
            Service::Kinesis => "Kinesis",
            Service::S3 => "S3",
            Service::StepFunctions => "Sfn",
        }
    }

    /// The prefix of an optimized integration's errors (`SQS.`, `DynamoDB.`, …).
    pub fn optimized_prefix(self) -> &'static str {
        match self {
            Service::Lambda => "Lambda",
            Service::Sqs => "SQS",
            Service::Sns => "SNS",
            Service::DynamoDb => "DynamoDB",
            Service::EventBridge => "EventBridge",
            Service::SecretsManager => "SecretsManager",
            Service::Ssm => "SSM",
            Service::Kinesis => "Kinesis",
            Service::S3 => "S3",
            Service::StepFunctions => "StepFunctions",
        }
    }

    /// The SDK for Java v1 client's service name, the `Service:` of an optimized
    /// integration's causes.
    pub fn v1_service_name(self) -> &'static str {
        match self {
            Service::Lambda => "AWSLambda",
            Service::Sqs => "AmazonSQS",
            Service::Sns => "AmazonSNS",
            Service::DynamoDb => "AmazonDynamoDBv2",
            Service::EventBridge => "AmazonEventBridge",
            Service::SecretsManager => "AWSSecretsManager",
            Service::Ssm => "AWSSimpleSystemsManagement",
            Service::Kinesis => "AmazonKinesis",
            Service::S3 => "Amazon S3",
            Service::StepFunctions => "AWSStepFunctions",
        }
    }

    /// The SDK for Java v1's exception for errors its model does not name.
    pub fn v1_generic_exception(self) -> &'static str {
        match self {
            Service::Lambda => "AWSLambdaException",
            Service::Sqs => "AmazonSQSException",
            Service::Sns => "AmazonSNSException",
            Service::DynamoDb => "AmazonDynamoDBException",
            Service::EventBridge => "AmazonEventBridgeException",
            Service::SecretsManager => "AWSSecretsManagerException",
            Service::Ssm => "AWSSimpleSystemsManagementException",
            Service::Kinesis => "AmazonKinesisException",
            Service::S3 => "AmazonS3Exception",
            Service::StepFunctions => "AWSStepFunctionsException",
        }
    }

    /// The errors the service's API model declares (its exception shapes), which the
    /// SDKs turn into exception classes of their own; any other error code becomes the
    /// service's generic exception. Taken from the services' published API models.
    pub fn modeled_errors(self) -> &'static [&'static str] {
        match self {
            Service::Lambda => &[
                "CodeSigningConfigNotFoundException",
                "CodeStorageExceededException",
                "CodeVerificationFailedException",
                "EC2AccessDeniedException",
                "EC2ThrottledException",
                "EC2UnexpectedException",
                "EFSIOException",
                "EFSMountConnectivityException",
                "EFSMountFailureException",
                "EFSMountTimeoutException",
                "ENILimitReachedException",
                "InvalidCodeSignatureException",
                "InvalidParameterValueException",
                "InvalidRequestContentException",
                "InvalidRuntimeException",
                "InvalidSecurityGroupIDException",
                "InvalidSubnetIDException",
                "InvalidZipFileException",
                "KMSAccessDeniedException",
                "KMSDisabledException",
                "KMSInvalidStateException",
                "KMSNotFoundException",
                "PolicyLengthExceededException",
                "PreconditionFailedException",
                "ProvisionedConcurrencyConfigNotFoundException",
                "RecursiveInvocationException",
                "RequestTooLargeException",
                "ResourceConflictException",
                "ResourceInUseException",
                "ResourceNotFoundException",
                "ResourceNotReadyException",
                "ServiceException",
                "SnapStartException",
                "SnapStartNotReadyException",
                "SnapStartTimeoutException",
                "SubnetIPAddressLimitReachedException",
                "TooManyRequestsException",
                "UnsupportedMediaTypeException",
            ],
            Service::Sqs => &[
                "BatchEntryIdsNotDistinct",
                "BatchRequestTooLong",
                "EmptyBatchRequest",
                "InvalidAddress",
                "InvalidAttributeName",
                "InvalidAttributeValue",
                "InvalidBatchEntryId",
                "InvalidIdFormat",
                "InvalidMessageContents",
                "InvalidSecurity",
                "KmsAccessDenied",
                "KmsDisabled",
                "KmsInvalidKeyUsage",
                "KmsInvalidState",
                "KmsNotFound",
                "KmsOptInRequired",
                "KmsThrottled",
                "MessageNotInflight",
                "OverLimit",
                "PurgeQueueInProgress",
                "QueueDeletedRecently",
                "QueueDoesNotExist",
                "QueueNameExists",
                "ReceiptHandleIsInvalid",
                "RequestThrottled",
                "ResourceNotFoundException",
                "TooManyEntriesInBatchRequest",
                "UnsupportedOperation",
            ],
            Service::Sns => &[
                "AuthorizationErrorException",
                "BatchEntryIdsNotDistinctException",
                "BatchRequestTooLongException",
                "ConcurrentAccessException",
                "EmptyBatchRequestException",
                "EndpointDisabledException",
                "FilterPolicyLimitExceededException",
                "InternalErrorException",
                "InvalidBatchEntryIdException",
                "InvalidParameterException",
                "InvalidParameterValueException",
                "InvalidSecurityException",
                "InvalidStateException",
                "KMSAccessDeniedException",
                "KMSDisabledException",
                "KMSInvalidStateException",
                "KMSNotFoundException",
                "KMSOptInRequired",
                "KMSThrottlingException",
                "NotFoundException",
                "OptedOutException",
                "PlatformApplicationDisabledException",
                "ReplayLimitExceededException",
                "ResourceNotFoundException",
                "StaleTagException",
                "SubscriptionLimitExceededException",
                "TagLimitExceededException",
                "TagPolicyException",
                "ThrottledException",
                "TooManyEntriesInBatchRequestException",
                "TopicLimitExceededException",
                "UserErrorException",
                "ValidationException",
                "VerificationException",
            ],
            Service::DynamoDb => &[
                "BackupInUseException",
                "BackupNotFoundException",
                "ConditionalCheckFailedException",
                "ContinuousBackupsUnavailableException",
                "DuplicateItemException",
                "ExportConflictException",
                "ExportNotFoundException",
                "GlobalTableAlreadyExistsException",
                "GlobalTableNotFoundException",
                "IdempotentParameterMismatchException",
                "ImportConflictException",
                "ImportNotFoundException",
                "IndexNotFoundException",
                "InternalServerError",
                "InvalidExportTimeException",
                "InvalidRestoreTimeException",
                "ItemCollectionSizeLimitExceededException",
                "LimitExceededException",
                "PointInTimeRecoveryUnavailableException",
                "PolicyNotFoundException",
                "ProvisionedThroughputExceededException",
                "ReplicaAlreadyExistsException",
                "ReplicaNotFoundException",
                "ReplicatedWriteConflictException",
                "RequestLimitExceeded",
                "ResourceInUseException",
                "ResourceNotFoundException",
                "TableAlreadyExistsException",
                "TableInUseException",
                "TableNotFoundException",
                "ThrottlingException",
                "TransactionCanceledException",
                "TransactionConflictException",
                "TransactionInProgressException",
            ],
            Service::EventBridge => &[
                "AccessDeniedException",
                "ConcurrentModificationException",
                "IllegalStatusException",
                "InternalException",
                "InvalidEventPatternException",
                "InvalidStateException",
                "LimitExceededException",
                "ManagedRuleException",
                "OperationDisabledException",
                "PolicyLengthExceededException",
                "ResourceAlreadyExistsException",
                "ResourceNotFoundException",
                "ThrottlingException",
            ],
            Service::SecretsManager => &[
                "DecryptionFailure",
                "EncryptionFailure",
                "InternalServiceError",
                "InvalidNextTokenException",
                "InvalidParameterException",
                "InvalidRequestException",
                "LimitExceededException",
                "MalformedPolicyDocumentException",
                "PreconditionNotMetException",
                "PublicPolicyException",
                "ResourceExistsException",
                "ResourceNotFoundException",
            ],
            Service::Ssm => SSM_ERRORS,
            Service::Kinesis => &[
                "AccessDeniedException",
                "ExpiredIteratorException",
                "ExpiredNextTokenException",
                "InternalFailureException",
                "InvalidArgumentException",
                "KMSAccessDeniedException",
                "KMSDisabledException",
                "KMSInvalidStateException",
                "KMSNotFoundException",
                "KMSOptInRequired",
                "KMSThrottlingException",
                "LimitExceededException",
                "ProvisionedThroughputExceededException",
                "ResourceInUseException",
                "ResourceNotFoundException",
                "ValidationException",
            ],
            Service::S3 => &[
                "BucketAlreadyExists",
                "BucketAlreadyOwnedByYou",
                "EncryptionTypeMismatch",
                "IdempotencyParameterMismatch",
                "InvalidObjectState",
                "InvalidRequest",
                "InvalidWriteOffset",
                "NoSuchBucket",
                "NoSuchKey",
                "NoSuchUpload",
                "ObjectAlreadyInActiveTierError",
                "ObjectNotInActiveTierError",
                "TooManyParts",
            ],
            Service::StepFunctions => &[
                "ActivityAlreadyExists",
                "ActivityDoesNotExist",
                "ActivityLimitExceeded",
                "ActivityWorkerLimitExceeded",
                "ConflictException",
                "ExecutionAlreadyExists",
                "ExecutionDoesNotExist",
                "ExecutionLimitExceeded",
                "ExecutionNotRedrivable",
                "InvalidArn",
                "InvalidDefinition",
                "InvalidEncryptionConfiguration",
                "InvalidExecutionInput",
                "InvalidLoggingConfiguration",
                "InvalidName",
                "InvalidOutput",
                "InvalidToken",
                "InvalidTracingConfiguration",
                "KmsAccessDeniedException",
                "KmsInvalidStateException",
                "KmsThrottlingException",
                "MissingRequiredParameter",
                "ResourceNotFound",
                "ServiceQuotaExceededException",
                "StateMachineAlreadyExists",
                "StateMachineDeleting",
                "StateMachineDoesNotExist",
                "StateMachineLimitExceeded",
                "StateMachineTypeNotSupported",
                "TaskDoesNotExist",
                "TaskTimedOut",
                "TooManyTags",
                "ValidationException",
            ],
        }
    }

    /// The exception shape an error code stands for, when the wire code differs from
    /// the shape's name: SNS answers `NotFound` for `NotFoundException`, SQS's query
    /// codes (`AWS.SimpleQueueService.NonExistentQueue`) name `QueueDoesNotExist`.
    pub fn shape_for_code(self, code: &str) -> Option<&'static str> {
        let table: &[(&str, &str)] = match self {
            Service::Sns => SNS_CODES,
            Service::Sqs => &[
                ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"),
                ("QueueAlreadyExists", "QueueNameExists"),
                ("AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"),
                ("AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress"),
                ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct"),
                ("AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest"),
                ("AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId"),
                (
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                    "TooManyEntriesInBatchRequest",
                ),
                ("AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong"),
                ("AWS.SimpleQueueService.UnsupportedOperation", "UnsupportedOperation"),
                ("AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight"),
            ],
            _ => &[],
        };
        table.iter().find(|(c, _)| *c == code).map(|(_, shape)| *shape)
    }

    /// The declared exception an error code names, if the model declares one.
    pub fn modeled(self, code: &str) -> Option<&'static str> {
        if let Some(shape) = self.shape_for_code(code) {
            return Some(shape);
        }
        self.modeled_errors().iter().find(|e| **e == code).copied()
    }
}

/// `NotFound` → `NotFoundException`: SNS's wire codes and the shapes they name.
const SNS_CODES: &[(&str, &str)] = &[
    ("AuthorizationError", "AuthorizationErrorException"),
    ("BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinctException"),
    ("BatchRequestTooLong", "BatchRequestTooLongException"),
    ("ConcurrentAccess", "ConcurrentAccessException"),
    ("EmptyBatchRequest", "EmptyBatchRequestException"),
    ("EndpointDisabled", "EndpointDisabledException"),
    ("FilterPolicyLimitExceeded", "FilterPolicyLimitExceededException"),
    ("InternalError", "InternalErrorException"),
    ("InvalidBatchEntryId", "InvalidBatchEntryIdException"),
    ("InvalidParameter", "InvalidParameterException"),
    ("ParameterValueInvalid", "InvalidParameterValueException"),
    ("InvalidSecurity", "InvalidSecurityException"),
    ("InvalidState", "InvalidStateException"),
    ("KMSAccessDenied", "KMSAccessDeniedException"),
    ("KMSDisabled", "KMSDisabledException"),
    ("KMSInvalidState", "KMSInvalidStateException"),
    ("KMSNotFound", "KMSNotFoundException"),
    ("KMSThrottling", "KMSThrottlingException"),
    ("NotFound", "NotFoundException"),
    ("OptedOut", "OptedOutException"),
    ("PlatformApplicationDisabled", "PlatformApplicationDisabledException"),
    ("ReplayLimitExceeded", "ReplayLimitExceededException"),
    ("ResourceNotFound", "ResourceNotFoundException"),
    ("StaleTag", "StaleTagException"),
    ("SubscriptionLimitExceeded", "SubscriptionLimitExceededException"),
    ("TagLimitExceeded", "TagLimitExceededException"),
    ("TagPolicy", "TagPolicyException"),
    ("Throttled", "ThrottledException"),
    ("TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequestException"),
    ("TopicLimitExceeded", "TopicLimitExceededException"),
    ("UserError", "UserErrorException"),
];

/// SSM declares well over a hundred errors; the ones a workflow meets.
const SSM_ERRORS: &[&str] = &[
    "AccessDeniedException",
    "AlreadyExistsException",
    "DoesNotExistException",
    "HierarchyLevelLimitExceededException",
    "HierarchyTypeMismatchException",
    "IncompatiblePolicyException",
    "InternalServerError",
    "InvalidAllowedPatternException",
    "InvalidDocument",
    "InvalidDocumentContent",
    "InvalidDocumentVersion",
    "InvalidFilter",
    "InvalidFilterKey",
    "InvalidFilterOption",
    "InvalidFilterValue",
    "InvalidInstanceId",
    "InvalidKeyId",
    "InvalidNextToken",
    "InvalidParameters",
    "InvalidPolicyAttributeException",
    "InvalidPolicyTypeException",
    "InvalidResourceId",
    "InvalidResourceType",
    "InvalidTag",
    "ParameterAlreadyExists",
    "ParameterLimitExceeded",
    "ParameterMaxVersionLimitExceeded",
    "ParameterNotFound",
    "ParameterPatternMismatchException",
    "ParameterVersionLabelLimitExceeded",
    "ParameterVersionNotFound",
    "PoliciesLimitExceededException",
    "ResourceInUseException",
    "ResourceLimitExceededException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "TooManyTagsError",
    "TooManyUpdates",
    "UnsupportedParameterType",
    "ValidationException",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::from_key(s.key()), Some(s));
        }
        assert_eq!(Service::from_key("events"), Some(Service::EventBridge));
        assert_eq!(Service::from_key("SECRETS_MANAGER"), Some(Service::SecretsManager));
    }

    #[test]
    fn codes_name_shapes() {
        assert_eq!(Service::Sns.modeled("NotFound"), Some("NotFoundException"));
        assert_eq!(Service::Sqs.modeled("QueueDoesNotExist"), Some("QueueDoesNotExist"));
        assert_eq!(
            Service::Sqs.modeled("AWS.SimpleQueueService.NonExistentQueue"),
            Some("QueueDoesNotExist")
        );
        assert_eq!(Service::DynamoDb.modeled("ValidationException"), None);
    }
}
