//! What the gate reads beyond the state, for the matched rule: the execution, its action
//! attempts, the pipeline's declaration (the approval's timeout, the actions' variable
//! namespaces), and the alarms and calendars the rule names, with the independent calls
//! made at once.

use futures_util::future::join_all;
use jiff::Timestamp;

use super::{Declarations, Gate, Ports};
use crate::check::Severity;
use crate::conditions::{
    AlarmQuery, AlarmReading, Alarms, CalendarReadings, Calendars, Conditions,
};
use crate::error::GateError;
use crate::evidence::{ExecutionFacts, LiveApproval, VariableName};
use crate::notice::Claims;
use crate::pipeline::{Declaration, Pipelines, ReadError};
use crate::policy::Rule;

impl<E: Ports> Gate<E> {
    /// Reads what the matched rule (and the notice's claims) need, with the independent
    /// calls made at once: the execution, its action attempts, the declared timeout of
    /// the approval when the rule may defer, and the alarms and calendars it names. What
    /// cannot be read for good stays unknown, which fails the checks that needed it;
    /// transient failures fail the invocation.
    pub(super) async fn read_evidence(
        &self,
        rule: &Rule,
        approval: &LiveApproval,
        claims: Option<&Claims>,
        declarations: &Declarations,
        read_at: Timestamp,
    ) -> Result<(ExecutionFacts, Option<Declaration>, Conditions), GateError> {
        let needs = rule
            .revisions
            .as_ref()
            .map(|revisions| revisions.needs())
            .unwrap_or_default();
        // A check function is shown the execution's revisions and variables.
        let asks = rule.function.is_some();
        let needs_execution = needs.execution
            || claims.is_some_and(|claims| claims.commit_id.is_some())
            || asks
            || rule
                .variables
                .iter()
                .any(|check| matches!(check.variable, VariableName::Pipeline(_)));
        // The attempts are read whenever anything about the execution is: they prove that
        // the approval waits in it (its own action execution is among them).
        let needs_actions = needs_execution
            || needs.action_executions
            || !rule.require_succeeded.is_empty()
            || !rule.variables.is_empty();
        // An output variable's namespace is resolved to its action by the declaration.
        let needs_namespaces = asks
            || rule
                .variables
                .iter()
                .any(|check| matches!(check.variable, VariableName::Output { .. }));
        // A deferral is kept only while a sweep can still approve before the expiry, which
        // takes the declared timeout.
        let needs_declaration = needs_namespaces
            || rule
                .windows
                .as_ref()
                .is_some_and(|windows| windows.outside() == Severity::Defer)
            || rule
                .alarms
                .as_ref()
                .is_some_and(|alarms| alarms.on_alarm == Severity::Defer)
            || rule
                .change_calendars
                .as_ref()
                .is_some_and(|calendars| calendars.on_closed == Severity::Defer);
        let pipeline = approval.target().pipeline.as_str();
        let execution_id = approval.execution().as_str();
        let (execution, actions, declaration, conditions) = tokio::join!(
            async {
                if needs_execution {
                    Some(self.pipelines.execution(pipeline, execution_id).await)
                } else {
                    None
                }
            },
            async {
                if needs_actions {
                    Some(self.pipelines.action_records(pipeline, execution_id).await)
                } else {
                    None
                }
            },
            async {
                if needs_declaration {
                    self.declaration(pipeline, declarations).await.map(Some)
                } else {
                    Ok(None)
                }
            },
            self.read_conditions(rule, approval.since(), read_at),
        );
        let mut facts = ExecutionFacts::of(approval);
        if let Some(record) = known_or_unknown(pipeline, execution)? {
            facts = facts.with_execution(record);
        }
        if let Some(records) = known_or_unknown(pipeline, actions)? {
            facts = facts.with_actions(records);
        }
        let declaration = declaration?.flatten();
        if needs_namespaces && let Some(declaration) = &declaration {
            facts = facts.with_namespaces(declaration);
        }
        Ok((facts, declaration, conditions?))
    }

    /// The alarms and calendars the rule names, all read at once. Calendars are also read
    /// at the moment the approval started waiting when the rule needs to judge that
    /// moment (see [`crate::policy::calendars::ChangeCalendars::needs_the_past`]).
    async fn read_conditions(
        &self,
        rule: &Rule,
        since: Option<Timestamp>,
        read_at: Timestamp,
    ) -> Result<Conditions, GateError> {
        if rule.alarms.is_none() && rule.change_calendars.is_none() {
            return Ok(Conditions::none());
        }
        let alarms = async {
            let Some(required) = &rule.alarms else {
                return Ok(None);
            };
            let by_name = async {
                if required.names.is_empty() {
                    return Ok(None);
                }
                let read = self
                    .alarms
                    .describe(AlarmQuery::Names(&required.names))
                    .await;
                known_condition("CloudWatch alarms", read).map(Some)
            };
            let by_prefix = join_all(required.prefixes.iter().map(|prefix| async move {
                let read = self.alarms.describe(AlarmQuery::Prefix(prefix)).await;
                known_condition("CloudWatch alarms", read).map(|found| (prefix.clone(), found))
            }));
            let (by_name, by_prefix) = tokio::join!(by_name, by_prefix);
            Ok::<_, GateError>(Some(AlarmReading {
                by_name: by_name?,
                by_prefix: by_prefix.into_iter().collect::<Result<_, _>>()?,
            }))
        };
        let calendars = async {
            let Some(calendars) = &rule.change_calendars else {
                return Ok(Vec::new());
            };
            let past = since.filter(|since| calendars.needs_the_past() && *since < read_at);
            join_all(calendars.names.iter().map(|name| async move {
                let what = "Change Calendars";
                let mut readings = vec![known_condition(
                    what,
                    self.calendars.state(name, read_at).await,
                )?];
                if let Some(since) = past {
                    readings.push(known_condition(
                        what,
                        self.calendars.state(name, since).await,
                    )?);
                }
                Ok::<_, GateError>(CalendarReadings {
                    calendar: name.clone(),
                    readings,
                })
            }))
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
        };
        let (alarms, calendars) = tokio::join!(alarms, calendars);
        Ok(Conditions::read(read_at, alarms?, calendars?))
    }

    /// The pipeline's declaration, read at most once per invocation.
    pub(super) async fn declaration(
        &self,
        pipeline: &str,
        declarations: &Declarations,
    ) -> Result<Option<Declaration>, GateError> {
        // The lock is not held across the read: one slow GetPipeline must not hold up the
        // other approvals of the sweep (each is a bulkhead with its own budget). Two
        // approvals of one pipeline may then both read it; both find the same.
        if let Some(known) = declarations.lock().await.get(pipeline) {
            return Ok(known.clone());
        }
        let read = match self.pipelines.declaration(pipeline).await {
            Ok(declaration) => Some(declaration),
            Err(ReadError::Final(reason)) => {
                tracing::warn!(
                    pipeline,
                    reason,
                    "the pipeline's declaration could not be read; its approvals' expiry and its execution mode are unknown, so none is rejected for expiry and only the state itself can prove an approval live"
                );
                None
            }
            Err(error) => {
                return Err(GateError::ReadFailed {
                    pipeline: pipeline.to_owned(),
                    source: error,
                });
            }
        };
        declarations
            .lock()
            .await
            .insert(pipeline.to_owned(), read.clone());
        Ok(read)
    }
}

/// An alarm or calendar read: transient failures fail the invocation; final ones (missing,
/// access denied, a page cap reached) are kept as the reason the check fails.
fn known_condition<V>(
    what: &str,
    read: Result<V, ReadError>,
) -> Result<Result<V, String>, GateError> {
    match read {
        Ok(value) => Ok(Ok(value)),
        Err(ReadError::Final(reason)) => {
            tracing::warn!(
                what,
                reason,
                "a condition could not be read; its check fails"
            );
            Ok(Err(reason))
        }
        Err(error) => Err(GateError::ConditionReadFailed {
            what: what.to_owned(),
            source: error,
        }),
    }
}

/// A read that was needed: transient failures fail the invocation; final ones leave the
/// fact unknown (so the checks that needed it fail).
fn known_or_unknown<V>(
    pipeline: &str,
    read: Option<Result<V, ReadError>>,
) -> Result<Option<V>, GateError> {
    match read {
        None => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(ReadError::Final(reason))) => {
            tracing::warn!(
                pipeline,
                reason,
                "revisions could not be read; the checks that need them fail"
            );
            Ok(None)
        }
        Some(Err(error)) => Err(GateError::ReadFailed {
            pipeline: pipeline.to_owned(),
            source: error,
        }),
    }
}
