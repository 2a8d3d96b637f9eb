//! CloudWatch `DescribeAlarms` (Smithy RPC v2 CBOR, service `GraniteServiceVersion20100801`).

use serde_json::{Map, Value, json};

use crate::world::{ApiError, World};

/// The path prefix of every CloudWatch operation in RPC v2 CBOR.
pub(crate) const PATH_PREFIX: &str = "/service/GraniteServiceVersion20100801/operation/";

/// `DescribeAlarms`' page size when the client asks for none.
const DEFAULT_MAX_RECORDS: usize = 50;

/// The list in the answer for each alarm type.
const TYPES: [(&str, &str); 3] = [
    ("MetricAlarm", "MetricAlarms"),
    ("CompositeAlarm", "CompositeAlarms"),
    ("LogAlarm", "LogAlarms"),
];

impl World {
    pub(crate) fn cloudwatch(&mut self, operation: &str, input: &Value) -> Result<Value, ApiError> {
        match operation {
            "DescribeAlarms" => self.describe_alarms(input),
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!("unknown operation {operation:?}"),
            )),
        }
    }

    fn describe_alarms(&self, input: &Value) -> Result<Value, ApiError> {
        let names: Option<Vec<&str>> = input
            .get("AlarmNames")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect());
        let prefix = input.get("AlarmNamePrefix").and_then(Value::as_str);
        if names.is_some() && prefix.is_some() {
            return Err(ApiError::new(
                "InvalidParameterCombination",
                "AlarmNames and AlarmNamePrefix cannot be combined",
            ));
        }
        // Without AlarmTypes, CloudWatch answers metric alarms only.
        let types: Vec<&str> = input
            .get("AlarmTypes")
            .and_then(Value::as_array)
            .map(|types| types.iter().filter_map(Value::as_str).collect())
            .unwrap_or_else(|| vec!["MetricAlarm"]);
        let page = input
            .get("MaxRecords")
            .and_then(Value::as_u64)
            .map_or(DEFAULT_MAX_RECORDS, |n| n as usize)
            .clamp(1, 100)
            .min(self.page_cap.unwrap_or(usize::MAX));
        let start = match input.get("NextToken").and_then(Value::as_str) {
            None => 0,
            Some(token) => token
                .strip_prefix("alarms-")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| ApiError::new("InvalidNextToken", "the next token is not valid"))?,
        };
        let selected: Vec<&Value> = self
            .alarms
            .iter()
            .filter(|(name, _)| {
                names
                    .as_ref()
                    .is_none_or(|names| names.contains(&name.as_str()))
            })
            .filter(|(name, _)| prefix.is_none_or(|prefix| name.starts_with(prefix)))
            .map(|(_, alarm)| alarm)
            .filter(|alarm| types.contains(&alarm_type(alarm)))
            .collect();
        let mut output = Map::new();
        for (kind, list) in TYPES {
            if types.contains(&kind) {
                output.insert(list.into(), json!([]));
            }
        }
        for alarm in selected.iter().skip(start).take(page) {
            let list = TYPES
                .iter()
                .find(|(kind, _)| *kind == alarm_type(alarm))
                .map_or("MetricAlarms", |(_, list)| list);
            let mut shown = (*alarm).clone();
            if let Some(fields) = shown.as_object_mut() {
                fields.remove("AlarmType");
            }
            if let Some(Value::Array(items)) = output.get_mut(list) {
                items.push(shown);
            }
        }
        if start + page < selected.len() {
            output.insert(
                "NextToken".into(),
                format!("alarms-{}", start + page).into(),
            );
        }
        Ok(Value::Object(output))
    }
}

fn alarm_type(alarm: &Value) -> &str {
    alarm
        .get("AlarmType")
        .and_then(Value::as_str)
        .unwrap_or("MetricAlarm")
}
