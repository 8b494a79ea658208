//! `arn:aws:states:::aws-sdk:s3:<action>`: S3 speaks REST-XML, not the AWS JSON
//! protocols of the other `aws-sdk:` services, so it has its own request building
//! (`operations`: path-style URLs, members bound to headers and the query) and its own
//! reading of answers (`answers`: typed header members, XML documents, errors named
//! `S3.<Code>Exception`). Actions not in `operations::OPERATIONS` fail naming the resource.
use stepwise_asl::Fault;
use stepwise_engine::{CallFuture, Engine, Integration, Pattern, ServiceCall};

use super::errors::{transport_fault, unsupported_pattern};
use super::protocol::{host_of, object};
use super::service::Service;
use super::transport::AwsClient;

mod answers;
mod operations;

/// The `aws-sdk:s3` integration.
#[derive(Debug, Clone)]
pub struct S3 {
    aws: AwsClient,
}

impl S3 {
    pub fn new(aws: AwsClient) -> S3 {
        S3 { aws }
    }
}

impl Integration for S3 {
    fn call(&self, _engine: &Engine, call: &ServiceCall) -> CallFuture {
        let (aws, call) = (self.aws.clone(), call.clone());
        Box::pin(async move {
            let operation = operations::Operation::named(&call.action).ok_or_else(|| {
                Fault::runtime(format!(
                    "Stepwise does not support the resource arn:aws:states:::aws-sdk:s3:{} yet",
                    call.action
                ))
            })?;
            if !matches!(call.pattern, Pattern::RequestResponse | Pattern::WaitForTaskToken) {
                return Err(unsupported_pattern(
                    "aws-sdk:s3",
                    &call.action,
                    &call.pattern.to_string(),
                ));
            }
            let endpoint = aws.endpoint(Service::S3, &call.region);
            let host = host_of(&endpoint.url).to_owned();
            let request = operation.request(&object(&call.parameters), &call.region, endpoint)?;
            let reply = aws.send(request).await.map_err(|e| transport_fault("S3", &e, &host))?;
            if !reply.ok() {
                return Err(answers::fault(&reply));
            }
            answers::render(operation.answer, &reply)
        })
    }
}
