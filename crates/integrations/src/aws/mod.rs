//! AWS service integrations of Task states: Lambda, SQS, SNS, DynamoDB and EventBridge
//! as AWS's optimized integrations, `aws-sdk:<service>` for services on the AWS JSON
//! protocols, and `aws-sdk:s3` (REST-XML). Requests are signed with SigV4 and sent over
//! the crate's shared client; no AWS SDK is involved, so the results and errors are
//! shaped here as Step Functions records them (see `service` for the naming of errors).
//!
//! ```no_run
//! # fn demo() {
//! use stepwise_integrations::aws::{self, AwsConfig};
//! let mut config = AwsConfig::from_env();
//! config.apply_endpoint_flag("sqs=http://127.0.0.1:5000").unwrap();
//! let engine_options_integrations = aws::integrations(config);
//! # }
//! ```
use std::sync::Arc;

use stepwise_engine::Integration;

mod config;
mod credentials;
mod dynamodb;
mod errors;
mod events;
mod lambda;
mod protocol;
mod s3;
mod sdk;
mod service;
mod sns;
mod sqs;
mod transport;
mod xml;

pub use config::{aws_endpoint, AwsConfig, Endpoint};
pub use credentials::{resolve as resolve_credentials, Keys};
pub use dynamodb::DynamoDb;
pub use events::Events;
pub use lambda::{invoke_lambda, Lambda};
pub use s3::S3;
pub use sdk::{Sdk, SDK_SERVICES};
pub use service::Service;
pub use sns::Sns;
pub use sqs::Sqs;
pub use transport::AwsClient;

use crate::client::HttpClient;

/// Every AWS integration, by the resource type it serves, for the engine's
/// `Options::integrations`: `lambda` (also bare function ARNs), `sqs`, `sns`, `dynamodb`,
/// `events`, `aws-sdk:<service>` for each of [`SDK_SERVICES`] and `aws-sdk:s3`
/// (`aws-sdk:sfn` stays the engine's own).
pub fn integrations(config: AwsConfig) -> Vec<(String, Arc<dyn Integration>)> {
    let aws = AwsClient::new(HttpClient::new(), config);
    let mut all: Vec<(String, Arc<dyn Integration>)> = vec![
        ("lambda".into(), Arc::new(Lambda::new(aws.clone()))),
        ("sqs".into(), Arc::new(Sqs::new(aws.clone()))),
        ("sns".into(), Arc::new(Sns::new(aws.clone()))),
        ("dynamodb".into(), Arc::new(DynamoDb::new(aws.clone()))),
        ("events".into(), Arc::new(Events::new(aws.clone()))),
        ("aws-sdk:s3".into(), Arc::new(S3::new(aws.clone()))),
    ];
    for service in SDK_SERVICES {
        let sdk = Sdk::new(service, aws.clone());
        all.push((sdk.resource_type(), Arc::new(sdk)));
    }
    all
}
