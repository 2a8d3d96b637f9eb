//! CodePipeline operations (awsJson1.1, target prefix `CodePipeline_20150709`).

use serde_json::{Value, json};

use crate::http::epoch_seconds;
use crate::world::{AnsweredApproval, ApiError, StoredExecution, World};

/// The `X-Amz-Target` prefix the SDK puts before the operation name.
pub(crate) const TARGET_PREFIX: &str = "CodePipeline_20150709.";

/// AWS rejects approval summaries longer than this.
const MAX_SUMMARY_CHARS: usize = 512;

impl World {
    pub(crate) fn codepipeline(
        &mut self,
        operation: &str,
        input: &Value,
    ) -> Result<Value, ApiError> {
        match operation {
            "GetPipelineState" => self.get_pipeline_state(input),
            "PutApprovalResult" => self.put_approval_result(input),
            "ListPipelines" => self.list_pipelines(input),
            "GetPipelineExecution" => self.get_pipeline_execution(input),
            "GetPipeline" => self.get_pipeline(input),
            "ListActionExecutions" => self.list_action_executions(input),
            "ListPipelineExecutions" => self.list_pipeline_executions(input),
            _ => Err(ApiError::new(
                "UnknownOperationException",
                format!("unknown operation {operation:?}"),
            )),
        }
    }

    fn get_pipeline_state(&mut self, input: &Value) -> Result<Value, ApiError> {
        let name = required(input, "name")?;
        let state = self
            .pipelines
            .get(name)
            .ok_or_else(|| pipeline_not_found(name))?;
        let mut state = state.clone();
        give_action_execution_ids(&mut state);
        if let Some(remaining) = self.hidden_reads.get_mut(name) {
            *remaining -= 1;
            if *remaining == 0 {
                self.hidden_reads.remove(name);
            }
            hide_pending_executions(&mut state);
        }
        if self.is_parallel(name) {
            // Parallel mode has no pipeline state: its approvals' tokens are not in it.
            remove_tokens(&mut state);
        }
        Ok(state)
    }

    /// Whether the stored declaration of `pipeline` runs it in PARALLEL mode.
    fn is_parallel(&self, pipeline: &str) -> bool {
        self.declarations
            .get(pipeline)
            .and_then(|declaration| declaration.get("executionMode"))
            .and_then(Value::as_str)
            == Some("PARALLEL")
    }

    fn put_approval_result(&mut self, input: &Value) -> Result<Value, ApiError> {
        let pipeline = required(input, "pipelineName")?;
        let stage = required(input, "stageName")?;
        let action = required(input, "actionName")?;
        let token = required(input, "token")?;
        let status = input.pointer("/result/status").and_then(Value::as_str);
        let summary = input.pointer("/result/summary").and_then(Value::as_str);
        let (Some(status @ ("Approved" | "Rejected")), Some(summary)) = (status, summary) else {
            return Err(ApiError::validation(
                "result must have a summary and a status of Approved or Rejected",
            ));
        };
        if summary.chars().count() > MAX_SUMMARY_CHARS {
            return Err(ApiError::validation(format!(
                "result.summary must be at most {MAX_SUMMARY_CHARS} characters"
            )));
        }
        let answer = AnsweredApproval {
            pipeline: pipeline.to_owned(),
            stage: stage.to_owned(),
            action: action.to_owned(),
            token: token.to_owned(),
        };
        if self.is_parallel(pipeline) {
            return self.answer_in_action_executions(answer, status, summary);
        }

        let state = self
            .pipelines
            .get_mut(pipeline)
            .ok_or_else(|| pipeline_not_found(pipeline))?;
        let stage_state =
            find_named_mut(state, "stageStates", "stageName", stage).ok_or_else(|| {
                ApiError::new("StageNotFoundException", format!("stage {stage} not found"))
            })?;
        let action_state = find_named_mut(stage_state, "actionStates", "actionName", action)
            .ok_or_else(|| {
                ApiError::new(
                    "ActionNotFoundException",
                    format!("action {action} not found"),
                )
            })?;

        let pending = action_state
            .get_mut("latestExecution")
            .and_then(Value::as_object_mut)
            .filter(|execution| {
                execution.get("status").and_then(Value::as_str) == Some("InProgress")
                    && execution.get("token").and_then(Value::as_str) == Some(token)
            });
        if let Some(execution) = pending {
            let now = epoch_seconds();
            let outcome = if status == "Approved" {
                "Succeeded"
            } else {
                "Failed"
            };
            execution.insert("status".into(), outcome.into());
            execution.insert("summary".into(), summary.into());
            execution.insert("lastStatusChange".into(), now.into());
            execution.remove("token");
            self.answered.insert(answer);
            return Ok(json!({ "approvedAt": now }));
        }
        if self.answered.contains(&answer) {
            Err(ApiError::new(
                "ApprovalAlreadyCompletedException",
                "the approval request has already been answered",
            ))
        } else {
            Err(ApiError::new(
                "InvalidApprovalTokenException",
                "the approval token is not valid for this action",
            ))
        }
    }

    /// PutApprovalResult on a PARALLEL pipeline, which has no pipeline state: the token is
    /// the `output.executionResult.externalExecutionId` of the approval's action execution
    /// (as ListActionExecutions lists it), and answering it completes that execution.
    fn answer_in_action_executions(
        &mut self,
        answer: AnsweredApproval,
        status: &str,
        summary: &str,
    ) -> Result<Value, ApiError> {
        let AnsweredApproval {
            pipeline,
            stage,
            action,
            token,
        } = &answer;
        let is = |detail: &Value, field: &str, value: &str| {
            detail.get(field).and_then(Value::as_str) == Some(value)
        };
        // The stage and action exist if the declaration has them, or if they ran.
        let declared_stage = self
            .declarations
            .get(pipeline)
            .and_then(|declaration| find_named(declaration, "stages", "name", stage));
        let details = self.action_executions.get(pipeline);
        let ran = |action: Option<&str>| {
            details.into_iter().flatten().any(|detail| {
                is(detail, "stageName", stage) && action.is_none_or(|a| is(detail, "actionName", a))
            })
        };
        if declared_stage.is_none() && !ran(None) {
            return Err(ApiError::new(
                "StageNotFoundException",
                format!("stage {stage} not found"),
            ));
        }
        let declared_action =
            declared_stage.and_then(|declared| find_named(declared, "actions", "name", action));
        if declared_action.is_none() && !ran(Some(action)) {
            return Err(ApiError::new(
                "ActionNotFoundException",
                format!("action {action} not found"),
            ));
        }

        let same_token = |detail: &Value| {
            is(detail, "stageName", stage)
                && is(detail, "actionName", action)
                && detail
                    .pointer("/output/executionResult/externalExecutionId")
                    .and_then(Value::as_str)
                    == Some(token.as_str())
        };
        let pending = self
            .action_executions
            .get_mut(pipeline)
            .into_iter()
            .flatten()
            .find(|detail| same_token(detail) && is(detail, "status", "InProgress"));
        if let Some(detail) = pending {
            let now = epoch_seconds();
            let outcome = if status == "Approved" {
                "Succeeded"
            } else {
                "Failed"
            };
            detail["status"] = outcome.into();
            detail["lastUpdateTime"] = now.into();
            detail["output"]["executionResult"]["externalExecutionSummary"] = summary.into();
            self.answered.insert(answer);
            return Ok(json!({ "approvedAt": now }));
        }
        let completed = self.answered.contains(&answer)
            || self
                .action_executions
                .get(pipeline)
                .into_iter()
                .flatten()
                .any(same_token);
        if completed {
            Err(ApiError::new(
                "ApprovalAlreadyCompletedException",
                "the approval request has already been answered",
            ))
        } else {
            Err(ApiError::new(
                "InvalidApprovalTokenException",
                "the approval token is not valid for this action",
            ))
        }
    }

    fn list_pipelines(&self, input: &Value) -> Result<Value, ApiError> {
        let summaries: Vec<Value> = self
            .pipelines
            .iter()
            .map(|(name, state)| {
                let mut summary = summarise(name, state);
                // As AWS lists it: the mode the declaration names (none: SUPERSEDED).
                summary["executionMode"] = self
                    .declarations
                    .get(name)
                    .and_then(|declaration| declaration.get("executionMode"))
                    .cloned()
                    .unwrap_or_else(|| "SUPERSEDED".into());
                summary
            })
            .collect();
        let (page, next_token) = paginate(summaries, input, self.page_cap)?;
        Ok(with_next_token(json!({ "pipelines": page }), next_token))
    }

    fn get_pipeline_execution(&self, input: &Value) -> Result<Value, ApiError> {
        let pipeline = required(input, "pipelineName")?;
        let execution_id = required(input, "pipelineExecutionId")?;
        let key = (pipeline.to_owned(), execution_id.to_owned());
        match self.executions.get(&key) {
            Some(stored) => Ok(json!({ "pipelineExecution": stored.execution })),
            None if !self.knows_pipeline(pipeline) => Err(pipeline_not_found(pipeline)),
            None => Err(ApiError::new(
                "PipelineExecutionNotFoundException",
                format!("execution {execution_id} not found in pipeline {pipeline}"),
            )),
        }
    }

    fn get_pipeline(&self, input: &Value) -> Result<Value, ApiError> {
        let name = required(input, "name")?;
        let declaration = match self.declarations.get(name) {
            Some(declaration) => declaration.clone(),
            None => declare_from_state(
                name,
                self.pipelines
                    .get(name)
                    .ok_or_else(|| pipeline_not_found(name))?,
            ),
        };
        let now = epoch_seconds();
        Ok(json!({
            "pipeline": declaration,
            "metadata": {
                "pipelineArn": format!("arn:aws:codepipeline:us-east-1:123456789012:{name}"),
                "created": now,
                "updated": now,
            }
        }))
    }

    fn list_action_executions(&self, input: &Value) -> Result<Value, ApiError> {
        let pipeline = required(input, "pipelineName")?;
        if !self.knows_pipeline(pipeline) {
            return Err(pipeline_not_found(pipeline));
        }
        let wanted = input
            .pointer("/filter/pipelineExecutionId")
            .and_then(Value::as_str);
        let listed = self.action_executions.get(pipeline);
        // The approvals waiting in the state ran in their stage's execution, as
        // ListActionExecutions lists them, unless the fixture lists them itself. A PARALLEL
        // pipeline has no state to take them from.
        let waiting = self
            .pipelines
            .get(pipeline)
            .filter(|_| !self.is_parallel(pipeline))
            .map(waiting_approvals)
            .unwrap_or_default()
            .into_iter()
            .filter(|waiting| {
                !listed.into_iter().flatten().any(|detail| {
                    detail.get("actionExecutionId") == waiting.get("actionExecutionId")
                })
            });
        let details: Vec<Value> = listed
            .into_iter()
            .flatten()
            .cloned()
            .chain(waiting)
            .filter(|detail| {
                wanted.is_none_or(|id| {
                    detail.get("pipelineExecutionId").and_then(Value::as_str) == Some(id)
                })
            })
            .collect();
        let (page, next_token) = paginate(details, input, self.page_cap)?;
        Ok(with_next_token(
            json!({ "actionExecutionDetails": page }),
            next_token,
        ))
    }

    /// The stored executions of a pipeline, newest first (see `StandIn::put_execution`).
    fn list_pipeline_executions(&self, input: &Value) -> Result<Value, ApiError> {
        let pipeline = required(input, "pipelineName")?;
        if let Some(max) = input.get("maxResults")
            && !max.as_u64().is_some_and(|max| (1..=100).contains(&max))
        {
            return Err(ApiError::validation("maxResults must be between 1 and 100"));
        }
        if !self.knows_pipeline(pipeline) {
            return Err(pipeline_not_found(pipeline));
        }
        let succeeded_in = input
            .pointer("/filter/succeededInStage/stageName")
            .and_then(Value::as_str);
        let declared_mode = self
            .declarations
            .get(pipeline)
            .and_then(|declaration| declaration.get("executionMode"));
        let mut listed: Vec<(f64, u64, Value)> = self
            .executions
            .iter()
            .filter(|((of, _), _)| of == pipeline)
            .filter(|((_, id), _)| {
                succeeded_in.is_none_or(|stage| self.succeeded_in_stage(pipeline, id, stage))
            })
            .map(|(_, stored)| {
                let summary = summarise_execution(stored, declared_mode);
                let started = summary
                    .get("startTime")
                    .and_then(Value::as_f64)
                    .unwrap_or(stored.stored_at);
                (started, stored.order, summary)
            })
            .collect();
        listed.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        let summaries = listed.into_iter().map(|(_, _, summary)| summary).collect();
        let (page, next_token) = paginate(summaries, input, self.page_cap)?;
        Ok(with_next_token(
            json!({ "pipelineExecutionSummaries": page }),
            next_token,
        ))
    }

    /// Whether execution `id` of `pipeline` succeeded in `stage`, for ListPipelineExecutions'
    /// `succeededInStage` filter, as far as the stand-in can tell: the stage's latest
    /// execution in the state is `id` and `Succeeded`, or the action executions of `id` in
    /// that stage are all `Succeeded` (and there is at least one).
    fn succeeded_in_stage(&self, pipeline: &str, id: &str, stage: &str) -> bool {
        let latest = self
            .pipelines
            .get(pipeline)
            .filter(|_| !self.is_parallel(pipeline))
            .and_then(|state| find_named(state, "stageStates", "stageName", stage))
            .and_then(|stage| stage.get("latestExecution"));
        let latest_succeeded = latest.is_some_and(|latest| {
            latest.get("pipelineExecutionId").and_then(Value::as_str) == Some(id)
                && latest.get("status").and_then(Value::as_str) == Some("Succeeded")
        });
        let mut ran = self
            .action_executions
            .get(pipeline)
            .into_iter()
            .flatten()
            .filter(|detail| {
                detail.get("pipelineExecutionId").and_then(Value::as_str) == Some(id)
                    && detail.get("stageName").and_then(Value::as_str) == Some(stage)
            })
            .peekable();
        let ran_succeeded = ran.peek().is_some()
            && ran.all(|detail| detail.get("status").and_then(Value::as_str) == Some("Succeeded"));
        latest_succeeded || ran_succeeded
    }
}

/// The fields of a stored `pipelineExecution` that a PipelineExecutionSummary has.
const SUMMARY_FIELDS: &[&str] = &[
    "pipelineExecutionId",
    "status",
    "statusSummary",
    "startTime",
    "lastUpdateTime",
    "sourceRevisions",
    "trigger",
    "stopTrigger",
    "executionMode",
    "executionType",
    "rollbackMetadata",
];

/// The PipelineExecutionSummary ListPipelineExecutions reports for a stored execution:
/// its own fields, with a `startTime` of when it was first stored if it has none, a
/// `lastUpdateTime` of its start if it has none, and the pipeline's declared mode if it
/// names no `executionMode` of its own.
fn summarise_execution(stored: &StoredExecution, declared_mode: Option<&Value>) -> Value {
    let mut summary = serde_json::Map::new();
    for field in SUMMARY_FIELDS {
        if let Some(value) = stored.execution.get(*field).filter(|v| !v.is_null()) {
            summary.insert((*field).to_owned(), value.clone());
        }
    }
    let started = summary
        .entry("startTime")
        .or_insert(stored.stored_at.into())
        .clone();
    summary.entry("lastUpdateTime").or_insert(started);
    if let Some(mode) = declared_mode {
        summary
            .entry("executionMode")
            .or_insert_with(|| mode.clone());
    }
    Value::Object(summary)
}

fn required<'a>(input: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    input
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::validation(format!("{field} is required")))
}

fn pipeline_not_found(name: &str) -> ApiError {
    ApiError::new(
        "PipelineNotFoundException",
        format!("pipeline {name} not found"),
    )
}

/// Finds the element of `parent[list]` whose `key` equals `name`. Fixtures
/// are hand-written, so a missing or oddly typed list is simply "not found".
fn find_named<'a>(parent: &'a Value, list: &str, key: &str, name: &str) -> Option<&'a Value> {
    parent
        .get(list)?
        .as_array()?
        .iter()
        .find(|item| item.get(key).and_then(Value::as_str) == Some(name))
}

/// [`find_named`], for changing the element found.
fn find_named_mut<'a>(
    parent: &'a mut Value,
    list: &str,
    key: &str,
    name: &str,
) -> Option<&'a mut Value> {
    parent
        .get_mut(list)?
        .as_array_mut()?
        .iter_mut()
        .find(|item| item.get(key).and_then(Value::as_str) == Some(name))
}

/// The action execution id CodePipeline shows for every action that ran; a fixture that
/// leaves it out gets `ae-STAGE-ACTION`.
fn give_action_execution_ids(state: &mut Value) {
    let stages = state.get_mut("stageStates").and_then(Value::as_array_mut);
    for stage in stages.into_iter().flatten() {
        let stage_name = stage
            .get("stageName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let actions = stage.get_mut("actionStates").and_then(Value::as_array_mut);
        for action in actions.into_iter().flatten() {
            let id = implied_action_execution_id(&stage_name, action);
            if let Some(execution) = action
                .get_mut("latestExecution")
                .and_then(Value::as_object_mut)
            {
                execution
                    .entry("actionExecutionId")
                    .or_insert(Value::String(id));
            }
        }
    }
}

fn implied_action_execution_id(stage: &str, action: &Value) -> String {
    let name = action
        .get("actionName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    format!("ae-{stage}-{name}")
}

/// The approvals waiting in `state` (an action `InProgress` with a token), as
/// ListActionExecutions lists them: in their stage's latest execution.
fn waiting_approvals(state: &Value) -> Vec<Value> {
    let mut state = state.clone();
    give_action_execution_ids(&mut state);
    let mut details = Vec::new();
    let stages = state.get("stageStates").and_then(Value::as_array);
    for stage in stages.into_iter().flatten() {
        let Some(execution_id) = stage.pointer("/latestExecution/pipelineExecutionId") else {
            continue;
        };
        let actions = stage.get("actionStates").and_then(Value::as_array);
        for action in actions.into_iter().flatten() {
            let Some(latest) = action.get("latestExecution") else {
                continue;
            };
            let waiting = latest.get("status").and_then(Value::as_str) == Some("InProgress")
                && latest.get("token").is_some_and(Value::is_string);
            if !waiting {
                continue;
            }
            let mut detail = json!({
                "pipelineExecutionId": execution_id,
                "actionExecutionId": latest.get("actionExecutionId"),
                "stageName": stage.get("stageName"),
                "actionName": action.get("actionName"),
                "status": "InProgress",
                "input": {"actionTypeId": {"category": "Approval", "owner": "AWS",
                                           "provider": "Manual", "version": "1"}},
            });
            if let Some(changed) = latest.get("lastStatusChange") {
                detail["startTime"] = changed.clone();
                detail["lastUpdateTime"] = changed.clone();
            }
            details.push(detail);
        }
    }
    details
}

/// Models the window in which CodePipeline has sent the approval notice but
/// GetPipelineState does not yet show the pending execution and its token.
fn hide_pending_executions(state: &mut Value) {
    let stages = state.get_mut("stageStates").and_then(Value::as_array_mut);
    for stage in stages.into_iter().flatten() {
        let actions = stage.get_mut("actionStates").and_then(Value::as_array_mut);
        for action in actions
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
        {
            let in_progress = action
                .get("latestExecution")
                .and_then(|e| e.get("status"))
                .and_then(Value::as_str)
                == Some("InProgress");
            if in_progress {
                action.remove("latestExecution");
            }
        }
    }
}

/// Removes the `token` of every action's latest execution: a PARALLEL pipeline's state
/// does not show the tokens of its approvals.
fn remove_tokens(state: &mut Value) {
    let stages = state.get_mut("stageStates").and_then(Value::as_array_mut);
    for stage in stages.into_iter().flatten() {
        let actions = stage.get_mut("actionStates").and_then(Value::as_array_mut);
        for action in actions.into_iter().flatten() {
            if let Some(execution) = action
                .get_mut("latestExecution")
                .and_then(Value::as_object_mut)
            {
                execution.remove("token");
            }
        }
    }
}

/// A declaration for a pipeline stored only as its state: its stages and actions, each
/// action a Manual approval with no `timeoutInMinutes` (so CodePipeline's default).
pub(crate) fn declare_from_state(name: &str, state: &Value) -> Value {
    let stages: Vec<Value> = state
        .get("stageStates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|stage| {
            let actions: Vec<Value> = stage
                .get("actionStates")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|action| {
                    json!({
                        "name": action.get("actionName").cloned().unwrap_or_default(),
                        "actionTypeId": {"category": "Approval", "owner": "AWS",
                                         "provider": "Manual", "version": "1"},
                    })
                })
                .collect();
            json!({"name": stage.get("stageName").cloned().unwrap_or_default(), "actions": actions})
        })
        .collect();
    json!({
        "name": name,
        "roleArn": "arn:aws:iam::123456789012:role/stand-in",
        "stages": stages,
        "version": state.get("pipelineVersion").cloned().unwrap_or(1.into()),
    })
}

/// The PipelineSummary ListPipelines reports for a stored pipeline state.
fn summarise(name: &str, state: &Value) -> Value {
    let now = epoch_seconds();
    let timestamp = |field: &str| {
        state
            .get(field)
            .filter(|v| v.is_number())
            .cloned()
            .unwrap_or(now.into())
    };
    json!({
        "name": name,
        "version": state.get("pipelineVersion").cloned().unwrap_or(1.into()),
        "pipelineType": "V2",
        "created": timestamp("created"),
        "updated": timestamp("updated"),
    })
}

/// Splits `items` into the page requested by `nextToken`/`maxResults`. The
/// token is simply the index of the next item; clients must treat it as
/// opaque anyway.
fn paginate(
    items: Vec<Value>,
    input: &Value,
    cap: Option<usize>,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let start = match input.get("nextToken").and_then(Value::as_str) {
        None => 0,
        Some(token) => token
            .parse::<usize>()
            .ok()
            .filter(|&start| start <= items.len())
            .ok_or_else(|| {
                ApiError::new("InvalidNextTokenException", "the next token is not valid")
            })?,
    };
    let size = input
        .get("maxResults")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(crate::world::DEFAULT_PAGE_SIZE)
        .min(cap.unwrap_or(usize::MAX))
        .max(1);
    let end = start.saturating_add(size).min(items.len());
    let next_token = (end < items.len()).then(|| end.to_string());
    let page = items.into_iter().skip(start).take(end - start).collect();
    Ok((page, next_token))
}

fn with_next_token(mut output: Value, next_token: Option<String>) -> Value {
    if let (Some(token), Some(object)) = (next_token, output.as_object_mut()) {
        object.insert("nextToken".into(), token.into());
    }
    output
}

/// The awsJson1.1 error body.
pub(crate) fn error_body(error: &ApiError) -> String {
    json!({ "__type": error.error_type, "message": error.message }).to_string()
}
