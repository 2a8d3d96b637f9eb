//! SNS: the decision topic.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::report::{DecisionNotice, DecisionTopic, PublishError};

#[derive(Clone, Debug)]
pub struct SnsDecisionTopic {
    client: Client,
    topic_arn: String,
}

impl SnsDecisionTopic {
    pub fn new(config: &aws_config::SdkConfig, topic_arn: String) -> Self {
        Self {
            client: Client::new(config),
            topic_arn,
        }
    }
}

impl DecisionTopic for SnsDecisionTopic {
    async fn publish(&self, notice: &DecisionNotice) -> Result<(), PublishError> {
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|error| PublishError(Box::new(error)))
        };
        let dry_run = if notice.dry_run { "true" } else { "false" };
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&notice.subject)
            .message(&notice.body)
            .message_attributes("verdict", attribute(notice.verdict.as_str())?)
            .message_attributes("pipeline", attribute(&notice.pipeline)?)
            .message_attributes("dry_run", attribute(dry_run)?)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| PublishError(Box::new(super::SdkFailure::of(&error))))
    }
}
