//! Counts DynamoDB round trips by operation: each HTTP request the SDK
//! transmits, retries included. The tests assert the budgets of
//! docs/data-model.md with it, and the benchmarks report them.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, Default)]
pub struct CallCounter {
    calls: Arc<Mutex<Vec<String>>>,
}

impl CallCounter {
    /// The operations sent since the last call, in order, and forgets them.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.calls.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_default();
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(operation);
        Ok(())
    }
}
