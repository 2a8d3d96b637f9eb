//! EventBridge Scheduler: the one-time schedules that wake the function when a deferred
//! approval may pass (`CreateSchedule`, restJson1).

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::error::ProvideErrorMetadata;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};

use super::SdkFailure;
use crate::config::WakeupSetting;
use crate::events;
use crate::wakeups::{ScheduleError, Scheduled, WakeUp, Wakeups};

#[derive(Clone, Debug)]
pub struct Scheduler {
    client: Client,
    setting: WakeupSetting,
    /// The function to invoke: the ARN the current invocation came through.
    target_arn: Arc<Mutex<Option<String>>>,
}

impl Scheduler {
    pub fn new(config: &aws_config::SdkConfig, setting: WakeupSetting) -> Self {
        Self {
            client: Client::new(config),
            setting,
            target_arn: Arc::default(),
        }
    }

    /// Wake-ups invoke the function as this invocation was invoked (its context's ARN, an
    /// alias's when it came through one). Set before each invocation: the template need
    /// not pass the function its own ARN, which CloudFormation cannot do.
    pub fn invoke_as(&self, function_arn: &str) {
        let mut target = self
            .target_arn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if target.as_deref() != Some(function_arn) {
            *target = Some(function_arn.to_owned());
        }
    }
}

impl Wakeups for Scheduler {
    async fn schedule(&self, wake_up: &WakeUp) -> Result<Scheduled, ScheduleError> {
        let target_arn = self
            .target_arn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| ScheduleError::Failed("the function's own ARN is not known".into()))?;
        let built = |error: aws_sdk_scheduler::error::BuildError| {
            ScheduleError::Failed(format!("the request could not be built: {error}"))
        };
        let target = Target::builder()
            .arn(target_arn)
            .role_arn(&self.setting.role_arn)
            .input(events::wake_up_event(wake_up).to_string())
            .build()
            .map_err(built)?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(built)?;
        let created = self
            .client
            .create_schedule()
            .name(wake_up.name())
            .group_name(&self.setting.group)
            .schedule_expression(wake_up.expression())
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match created {
            Ok(_) => Ok(Scheduled::Created),
            // The name is derived from everything the wake-up holds: a schedule of that
            // name is this wake-up, scheduled by an earlier invocation.
            Err(error) if error.code() == Some("ConflictException") => {
                Ok(Scheduled::AlreadyScheduled)
            }
            Err(error) => Err(ScheduleError::Failed(SdkFailure::of(&error).to_string())),
        }
    }
}
