use super::*;
use crate::notice::{ApprovalTarget, ApprovalToken};
use crate::pipeline::ApprovalStatus;

const STATE: &str = r#"{"pipelineName": "web-shop", "pipelineVersion": 3, "stageStates": [
    {"stageName": "Approve", "latestExecution": {"pipelineExecutionId": "e-1", "status": "InProgress"},
     "actionStates": [{"actionName": "Manual", "latestExecution": {"status": "InProgress",
        "token": "t-1", "lastStatusChange": "2026-11-26T09:12:03.540000+00:00"}}]},
    {"stageName": "Source", "latestExecution": {"pipelineExecutionId": "e-1", "status": "Succeeded"},
     "actionStates": [{"actionName": "Git", "currentRevision": {"revisionId": "abc",
        "revisionChangeId": "abc", "created": 1795685400.5}}]}]}"#;

fn given(text: &str) -> Given<'_> {
    Given {
        name: "file.json",
        text,
    }
}

fn state_only(text: &str) -> Result<FilesPipelines, FileError> {
    FilesPipelines::read(
        "web-shop",
        PipelineFiles {
            state: Some(given(text)),
            ..PipelineFiles::default()
        },
        Problems::default(),
    )
}

fn answer() -> ApprovalAnswer {
    ApprovalAnswer {
        target: ApprovalTarget {
            pipeline: "web-shop".into(),
            stage: "Approve".into(),
            action: "Manual".into(),
        },
        token: ApprovalToken::new("t-1"),
        status: ApprovalStatus::Approved,
        summary: "no".into(),
    }
}

#[tokio::test]
async fn reads_cli_and_wire_times_with_the_sdks_own_deserializer() {
    let files = state_only(STATE).unwrap();
    let state = files.state("web-shop").await.unwrap();
    let approval = state.stages[0].actions[0].execution.clone().unwrap();
    assert_eq!(
        approval.last_status_change,
        Some("2026-11-26T09:12:03.54Z".parse().unwrap())
    );
    assert_eq!(approval.status, ActionStatus::InProgress);
    let revision = state.stages[1].actions[0].current_revision.clone().unwrap();
    assert_eq!(
        revision.created,
        Some(Timestamp::new(1_795_685_400, 500_000_000).unwrap())
    );
}

#[tokio::test]
async fn members_the_api_requires_are_read_as_the_sdk_reads_them() {
    // StageExecution.status is required by the model, and the SDK refuses an answer
    // without it: so does the file reader, naming the command.
    let no_status = STATE.replacen(r#", "status": "InProgress"}"#, "}", 1);
    let error = state_only(&no_status).unwrap_err();
    assert!(error.message.contains("get-pipeline-state"), "{error}");
    // ActionRevision.revisionChangeId is required too, but the SDK reads an answer without
    // it (as an empty id, which the gate does not use): so does the file reader.
    let no_change_id = STATE.replace(r#""revisionChangeId": "abc","#, "");
    let state = state_only(&no_change_id)
        .unwrap()
        .state("web-shop")
        .await
        .unwrap();
    let revision = state.stages[1].actions[0].current_revision.clone().unwrap();
    assert_eq!(revision.revision_id, "abc");
    let error = state_only("").unwrap_err();
    assert!(error.message.contains("is empty"), "{error}");
}

#[test]
fn a_time_without_an_offset_is_refused() {
    let state = STATE.replace("+00:00", "");
    assert!(state_only(&state).is_err());
}

#[test]
fn a_file_of_another_kind_or_pipeline_or_format_is_refused_naming_it() {
    let actions = r#"{"actionExecutionDetails": []}"#;
    let error = state_only(actions).unwrap_err();
    assert!(
        error
            .message
            .contains("looks like `aws codepipeline list-action-executions` output"),
        "{error}"
    );
    let other = STATE.replace("\"web-shop\"", "\"web-api\"");
    let error = state_only(&other).unwrap_err();
    assert!(
        error
            .message
            .contains(r#"pipeline "web-api", not "web-shop""#),
        "{error}"
    );
    for not_json in [
        "pipelineName: web-shop\nstageStates:\n- stageName: Source\n",
        "STAGESTATES\tSource\n",
        "1596000000.204\tweb-shop\n",
    ] {
        let error = state_only(not_json).unwrap_err();
        assert!(
            error.message.contains("--output json"),
            "{not_json:?}: {error}"
        );
    }
}

#[tokio::test]
async fn never_answers_and_what_no_file_gives_is_a_problem_naming_the_command() {
    let problems = Problems::default();
    let files = FilesPipelines::read(
        "web-shop",
        PipelineFiles {
            state: Some(given(STATE)),
            ..PipelineFiles::default()
        },
        problems.clone(),
    )
    .unwrap();
    assert!(matches!(
        files.answer(&answer()).await,
        Err(AnswerError::Refused(_))
    ));
    assert!(matches!(
        files.execution("web-shop", "e-1").await,
        Err(ReadError::Final(_))
    ));
    let listed = problems.list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0].contains(
            "aws codepipeline get-pipeline-execution --pipeline-name web-shop \
             --pipeline-execution-id e-1 --output json"
        ),
        "{listed:?}"
    );
    let live = crate::cli::ReadOnly(files);
    assert!(matches!(
        live.answer(&answer()).await,
        Err(AnswerError::Refused(_))
    ));
}

#[tokio::test]
async fn another_executions_files_are_problems_naming_both_ids() {
    let execution = r#"{"pipelineExecution": {"pipelineName": "web-shop",
        "pipelineExecutionId": "e-2", "status": "InProgress"}}"#;
    let actions = r#"{"actionExecutionDetails": [{"pipelineExecutionId": "e-2",
        "stageName": "Approve", "actionName": "Manual", "status": "InProgress"}]}"#;
    let problems = Problems::default();
    let files = FilesPipelines::read(
        "web-shop",
        PipelineFiles {
            state: Some(given(STATE)),
            executions: &[given(execution)],
            action_executions: &[given(actions)],
            declaration: None,
        },
        problems.clone(),
    )
    .unwrap();
    assert!(files.execution("web-shop", "e-1").await.is_err());
    assert!(files.action_records("web-shop", "e-1").await.is_err());
    assert!(files.action_records("web-shop", "e-2").await.is_ok());
    let listed = problems.list().join("\n");
    assert!(
        listed.contains("execution e-1, and the --execution output is about execution e-2"),
        "{listed}"
    );
    assert!(listed.contains("it is about execution e-2"), "{listed}");
}

#[tokio::test]
async fn alarms_from_pages_and_kinds_and_what_they_lack() {
    let pages = r#"{"MetricAlarms": [{"AlarmName": "api-5xx", "StateValue": "OK",
            "StateUpdatedTimestamp": "2026-11-26T08:00:00.000Z"}], "CompositeAlarms": []}
        {"MetricAlarms": [], "CompositeAlarms": [{"AlarmName": "api-health",
            "StateValue": "ALARM", "StateReason": "Gr\u00fc\u00dfe \ud83d\ude80",
            "StateTransitionedTimestamp": 1795685400}]}"#;
    let problems = Problems::default();
    let alarms = FileAlarms::read(&[given(pages)], Timestamp::now(), problems.clone()).unwrap();
    let names = vec!["api-5xx".to_owned(), "api-health".to_owned()];
    let found = alarms.describe(AlarmQuery::Names(&names)).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].reason.as_deref(), Some("Grüße 🚀"));
    assert!(problems.list().is_empty());
    // No file shows that it lists every alarm under a prefix.
    assert!(alarms.describe(AlarmQuery::Prefix("api-")).await.is_err());
    assert!(
        problems.list()[0].contains("--live"),
        "{:?}",
        problems.list()
    );
    let absent = vec!["db-lag".to_owned()];
    assert!(alarms.describe(AlarmQuery::Names(&absent)).await.is_err());
    assert!(
        problems.list()[1].contains("--alarm-names db-lag"),
        "{:?}",
        problems.list()
    );
    let error =
        FileAlarms::read(&[given(STATE)], Timestamp::now(), Problems::default()).unwrap_err();
    assert!(
        error
            .message
            .contains("takes `aws cloudwatch describe-alarms` output"),
        "{error}"
    );
}

#[tokio::test]
async fn a_calendar_file_answers_from_its_time_until_its_next_transition() {
    let reading = r#"{"State": "CLOSED", "AtTime": "2026-11-26T09:00:00Z",
        "NextTransitionTime": "2026-11-26T12:00:00Z"}"#;
    let problems = Problems::default();
    let calendars = FileCalendars::read(&[("freeze", given(reading))], problems.clone()).unwrap();
    let at = |text: &str| text.parse::<Timestamp>().unwrap();
    let inside = calendars
        .state("freeze", at("2026-11-26T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(inside.state, CalendarState::Closed);
    assert_eq!(inside.next_transition, Some(at("2026-11-26T12:00:00Z")));
    assert!(problems.list().is_empty());
    for outside in ["2026-11-26T08:59:59Z", "2026-11-26T12:00:00Z"] {
        assert!(calendars.state("freeze", at(outside)).await.is_err());
    }
    assert!(
        calendars
            .state("other", at("2026-11-26T10:00:00Z"))
            .await
            .is_err()
    );
    let listed = problems.list().join("\n");
    assert!(
        listed.contains("--at-time 2026-11-26T08:59:59Z"),
        "{listed}"
    );
    assert!(listed.contains("--calendars other=FILE"), "{listed}");
}

#[tokio::test]
async fn an_alarm_that_changed_after_the_moment_decided_at_is_no_reading_of_it() {
    let alarm = r#"{"MetricAlarms": [{"AlarmName": "api-5xx", "StateValue": "OK",
        "StateUpdatedTimestamp": "2026-11-26T09:50:00Z"}]}"#;
    let names = vec!["api-5xx".to_owned()];
    let at = |text: &str| text.parse::<Timestamp>().unwrap();
    let before = FileAlarms::read(
        &[given(alarm)],
        at("2026-11-26T09:40:00Z"),
        Problems::default(),
    )
    .unwrap();
    assert!(before.describe(AlarmQuery::Names(&names)).await.is_err());
    let after = FileAlarms::read(
        &[given(alarm)],
        at("2026-11-26T10:00:00Z"),
        Problems::default(),
    )
    .unwrap();
    assert!(after.describe(AlarmQuery::Names(&names)).await.is_ok());
}

#[test]
fn conflicting_or_partial_files_are_refused() {
    // Two states in one file (>> instead of >): which is meant cannot be known.
    let twice = format!("{STATE}\n{STATE}");
    let error = state_only(&twice).unwrap_err();
    assert!(error.message.contains("holds 2 documents"), "{error}");
    // A page that names a next one: not every page was read.
    let partial = r#"{"actionExecutionDetails": [], "nextToken": "page-2"}"#;
    let with_actions = |actions: &str| {
        FilesPipelines::read(
            "web-shop",
            PipelineFiles {
                state: Some(given(STATE)),
                action_executions: &[given(actions)],
                ..PipelineFiles::default()
            },
            Problems::default(),
        )
    };
    let error = with_actions(partial).unwrap_err();
    assert!(error.message.contains("not every page was read"), "{error}");
    // Pages one after another, the last without a token, are one answer.
    let pages = format!("{partial}\n{}", r#"{"actionExecutionDetails": []}"#);
    assert!(with_actions(&pages).is_ok());
    // Two readings of one execution that disagree.
    let running = r#"{"pipelineExecution": {"pipelineName": "web-shop",
        "pipelineExecutionId": "e-1", "status": "InProgress"}}"#;
    let stopped = running.replace("InProgress", "Stopped");
    let error = FilesPipelines::read(
        "web-shop",
        PipelineFiles {
            state: Some(given(STATE)),
            executions: &[given(running), given(&stopped)],
            ..PipelineFiles::default()
        },
        Problems::default(),
    )
    .unwrap_err();
    assert!(error.message.contains("says otherwise"), "{error}");
    // Two readings of one alarm that disagree.
    let ok = r#"{"MetricAlarms": [{"AlarmName": "a", "StateValue": "OK"}]}"#;
    let alarm = ok.replace("\"OK\"", "\"ALARM\"");
    let files = [given(ok), given(&alarm)];
    assert!(FileAlarms::read(&files, Timestamp::now(), Problems::default()).is_err());
    let error = state_only(&format!("\u{feff}{STATE}")).unwrap_err();
    assert!(error.message.contains("byte-order mark"), "{error}");
}

#[tokio::test]
async fn calendar_files_that_disagree_about_a_moment_are_a_problem() {
    let open = r#"{"State": "OPEN", "AtTime": "2026-11-26T09:00:00Z"}"#;
    let closed = open.replace("OPEN", "CLOSED");
    let problems = Problems::default();
    let calendars = FileCalendars::read(
        &[("freeze", given(open)), ("freeze", given(&closed))],
        problems.clone(),
    )
    .unwrap();
    let at = "2026-11-26T10:00:00Z".parse().unwrap();
    assert!(calendars.state("freeze", at).await.is_err());
    assert!(
        problems.list()[0].contains("disagree"),
        "{:?}",
        problems.list()
    );
}
