//! The AWS side of the ports, one module per service. SDK errors stop here:
//! each adapter turns them into `crate::error::Error`.

pub mod dynamodb;
pub mod https;
pub mod rekognition;
pub mod s3;
pub mod secrets;
pub mod ses;
pub mod sns;
pub mod sqs;
pub mod textract;
pub mod webhook_http;
