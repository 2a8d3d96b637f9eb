//! approval-gate-cli: write and check approval-gate policies. Validates them with the
//! function's own parser, prints their JSON Schema, explains what the gate would decide
//! about a pipeline's waiting approvals (never answering them), and lists when each rule's
//! windows let it approve. Exit codes: see `approval_gate::cli::exit`.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::string_slice
    )
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use approval_gate::cli::files::{
    FileAlarms, FileCalendars, FileError, FilesPipelines, Given, PipelineFiles, Problems,
};
use approval_gate::cli::functions::{AnswerGiven, FileFunctions, Requests};
use approval_gate::cli::{NoTopic, ReadOnly, calendar, exit, explain, parse_time, validate};
use approval_gate::conditions::Unavailable;
use approval_gate::config::Settings;
use approval_gate::handler::{Adapters, Explained, Gate, Ports};
use approval_gate::policy::Policy;
use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};

#[derive(Parser)]
#[command(
    name = "approval-gate-cli",
    version,
    about = "Write and check approval-gate policies: validate, schema, explain, calendar",
    after_help = "Exit codes: 0 done; 1 a policy is invalid (or, with explain --exit-code, an \
                  approval would not be approved); 2 usage error; 3 a file or CodePipeline \
                  could not be read."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate policy files with the function's own parser; prints every invalid file's
    /// error with its place (the first error of each file)
    Validate {
        /// Policy files (JSON)
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the policy's JSON Schema (what policy.schema.json holds)
    Schema,
    /// What the gate would decide about the approvals waiting in a pipeline, and why.
    /// Never answers an approval
    Explain(Box<ExplainArgs>),
    /// When each rule with windows may approve, is outside its windows or is frozen
    Calendar(CalendarArgs),
}

#[derive(Clone, Copy, Default, ValueEnum)]
enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Args)]
struct ExplainArgs {
    /// The policy file
    #[arg(long)]
    policy: PathBuf,
    /// The pipeline's name
    #[arg(long)]
    pipeline: String,
    /// Only the approval in this stage (with --action); default: every waiting approval
    #[arg(long, requires = "action")]
    stage: Option<String>,
    /// Only the approval action of this name (with --stage)
    #[arg(long, requires = "stage")]
    action: Option<String>,
    /// Decide at this time: RFC 3339 (2026-11-26T09:00:00Z) or a civil time with its zone
    /// (2026-11-26T10:00[Europe/Berlin]); default now
    #[arg(long, value_parser = parse_time)]
    at: Option<Timestamp>,
    /// `aws codepipeline get-pipeline-state --name P --output json` output
    #[arg(long, required_unless_present = "live", conflicts_with = "live")]
    state: Option<PathBuf>,
    /// `aws codepipeline get-pipeline-execution … --output json` output for the execution
    /// waiting at the approval (its id: the approval stage's
    /// `latestExecution.pipelineExecutionId` in the state); one file per execution
    #[arg(long, requires = "state", num_args = 1..)]
    execution: Vec<PathBuf>,
    /// `aws codepipeline list-action-executions --pipeline-name P --filter
    /// pipelineExecutionId=E --output json` output (several files for several pages)
    #[arg(long, requires = "state", num_args = 1..)]
    action_executions: Vec<PathBuf>,
    /// `aws codepipeline get-pipeline --name P --output json` output (the execution mode
    /// and the approval's timeout)
    #[arg(long, requires = "state")]
    declaration: Option<PathBuf>,
    /// `aws cloudwatch describe-alarms --alarm-types MetricAlarm CompositeAlarm … --output
    /// json` output, for rules with alarms (several files, or pages one after another)
    #[arg(long, requires = "state", num_args = 1..)]
    alarms: Vec<PathBuf>,
    /// `aws ssm get-calendar-state --calendar-names C --at-time T --output json` output, for
    /// rules with change calendars: CALENDAR=FILE, or FILE named after its calendar
    /// (`prod-freeze.json` for prod-freeze)
    #[arg(long, requires = "state", num_args = 1.., value_name = "[CALENDAR=]FILE")]
    calendars: Vec<String>,
    /// What the rule's check function answered, for rules with a `function`: the file
    /// `aws lambda invoke --function-name ARN --cli-binary-format raw-in-base64-out
    /// --payload file://request.json answer.json` writes, with the request explain prints
    /// when the function is asked and no answer is given
    #[arg(long, requires = "state", conflicts_with = "live", value_name = "FILE")]
    function_answer: Option<PathBuf>,
    /// Read CodePipeline, CloudWatch and SSM themselves, as the function does (read-only
    /// calls, the default AWS credential chain), and invoke rules' check functions
    #[arg(long)]
    live: bool,
    /// How often the function's sweep runs (GATE_SWEEP_MINUTES): deferrals depend on it
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=60))]
    sweep_minutes: u64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 unless every approval explained would be approved
    #[arg(long)]
    exit_code: bool,
}

#[derive(Args)]
struct CalendarArgs {
    /// The policy file
    #[arg(long)]
    policy: PathBuf,
    /// Only this rule (default: every rule with windows)
    #[arg(long)]
    rule: Option<String>,
    /// The first day (YYYY-MM-DD, in each rule's zone); default: from now
    #[arg(long)]
    from: Option<Date>,
    /// How many days to list
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(i64).range(1..=400))]
    days: i64,
    /// text: a listing for people; ics: one iCalendar (RFC 5545) file of every rule's
    /// periods, to import or subscribe to in a calendar
    #[arg(long, value_enum, default_value_t = CalendarFormat::Text)]
    format: CalendarFormat,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum CalendarFormat {
    #[default]
    Text,
    Ics,
}

/// A failure that ends the command with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate { policies, format } => run_validate(&policies, format),
        Command::Schema => print_schema(),
        Command::Explain(args) => run_explain(*args),
        Command::Calendar(args) => run_calendar(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("approval-gate-cli: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Writes to standard output; a reader that went away (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|error| Failure::new(exit::UNREADABLE, format!("{}: {error}", path.display())))
}

fn load_policy(path: &Path) -> Result<Policy, Failure> {
    Policy::from_json(&read(path)?)
        .map_err(|error| Failure::new(exit::FAILED, format!("{}: {error}", path.display())))
}

fn run_validate(policies: &[PathBuf], format: Format) -> Result<u8, Failure> {
    let mut findings = Vec::new();
    for path in policies {
        let text = read(path)?;
        findings.extend(validate::check(&path.display().to_string(), &text));
    }
    match format {
        Format::Text if findings.is_empty() => {
            println!("{} valid", plural(policies.len(), "policy", "policies"));
        }
        Format::Text => print!("{}", validate::text(&findings)),
        Format::Json => println!("{}", validate::json(&findings)),
    }
    Ok(if findings.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn print_schema() -> Result<u8, Failure> {
    let schema = approval_gate::policy::json_schema();
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|error| Failure::new(exit::FAILED, error.to_string()))?;
    emit(&format!("{text}\n"));
    Ok(exit::OK)
}

fn run_explain(args: ExplainArgs) -> Result<u8, Failure> {
    let policy = load_policy(&args.policy)?;
    let settings = Settings {
        // Belt and braces: explain never reaches an answer, and dry run stops one anyway.
        dry_run: true,
        sweep_every: Duration::from_secs(args.sweep_minutes * 60),
        ..Settings::default()
    };
    let at = args.at.unwrap_or_else(Timestamp::now);
    let only = args.stage.as_deref().zip(args.action.as_deref());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::new(exit::UNREADABLE, error.to_string()))?;
    let (explained, problems, requests) = if args.live {
        runtime.block_on(async {
            let sdk = approval_gate::aws::load_sdk_config().await;
            let gate = Gate::new(
                policy,
                settings,
                ReadOnly(approval_gate::aws::CodePipeline::new(&sdk)),
                None::<NoTopic>,
            )
            .with_conditions(
                approval_gate::aws::CloudWatch::new(&sdk),
                approval_gate::aws::Ssm::new(&sdk),
            )
            .with_functions(approval_gate::aws::Lambda::new(&sdk));
            (
                decide(&gate, &args.pipeline, only, at).await,
                Vec::new(),
                Vec::new(),
            )
        })
    } else {
        let problems = Problems::default();
        let (gate, requests) = gate_over_files(&args, policy, settings, at, &problems)?;
        let explained = runtime.block_on(decide(&gate, &args.pipeline, only, at));
        (explained, problems.list(), requests.list())
    };
    let explained = explained?;
    if !problems.is_empty() {
        // A verdict decided without evidence it needed is no explanation of what the
        // function would decide: the problems are the output.
        if matches!(args.format, Format::Json) {
            let mut document = serde_json::json!({"pipeline": args.pipeline, "errors": problems});
            // The requests, for a script to write request.json from.
            if !requests.is_empty() {
                document["function_requests"] = requests
                    .iter()
                    .map(|asked| {
                        serde_json::json!({"function": asked.function, "request": asked.request})
                    })
                    .collect();
            }
            emit(&format!("{document}\n"));
        }
        return Err(Failure::new(
            exit::UNREADABLE,
            format!(
                "the files do not give everything the decision reads:\n  - {}",
                problems.join("\n  - ")
            ),
        ));
    }
    if let Some(path) = &args.function_answer
        && requests.is_empty()
    {
        eprintln!(
            "approval-gate-cli: note: --function-answer {} was not used: {}",
            path.display(),
            explain::why_no_function_asked(&explained)
        );
    }
    match args.format {
        Format::Text => emit(&explain::text(&args.pipeline, &explained)),
        Format::Json => emit(&format!("{}\n", explain::json(&args.pipeline, &explained))),
    }
    Ok(if args.exit_code && !explain::all_approved(&explained) {
        exit::FAILED
    } else {
        exit::OK
    })
}

/// The gate's ports when `explain` reads files.
type FilePorts =
    Adapters<FilesPipelines, NoTopic, FileAlarms, FileCalendars, Unavailable, FileFunctions>;

/// The gate over the files given: every read it makes comes from them, and what they do
/// not give is recorded in `problems`; with the requests it makes of check functions.
fn gate_over_files(
    args: &ExplainArgs,
    policy: Policy,
    settings: Settings,
    at: Timestamp,
    problems: &Problems,
) -> Result<(Gate<FilePorts>, Requests), Failure> {
    let texts = |paths: &[PathBuf]| -> Result<Vec<(String, String)>, Failure> {
        paths
            .iter()
            .map(|path| Ok((path.display().to_string(), read(path)?)))
            .collect()
    };
    let state = texts(args.state.as_slice())?;
    let executions = texts(&args.execution)?;
    let actions = texts(&args.action_executions)?;
    let declaration = texts(args.declaration.as_slice())?;
    let alarms = texts(&args.alarms)?;
    let calendars: Vec<(String, (String, String))> = args
        .calendars
        .iter()
        .map(|given| {
            let (calendar, path) = calendar_file(given)?;
            Ok((calendar, (path.display().to_string(), read(&path)?)))
        })
        .collect::<Result<_, Failure>>()?;
    let unreadable = |error: FileError| Failure::new(exit::UNREADABLE, error.to_string());
    let pipelines = FilesPipelines::read(
        &args.pipeline,
        PipelineFiles {
            state: givens(&state).first().copied(),
            executions: &givens(&executions),
            action_executions: &givens(&actions),
            declaration: givens(&declaration).first().copied(),
        },
        problems.clone(),
    )
    .map_err(unreadable)?;
    let alarms = FileAlarms::read(&givens(&alarms), at, problems.clone()).map_err(unreadable)?;
    let calendar_givens: Vec<(&str, Given<'_>)> = calendars
        .iter()
        .map(|(calendar, (name, text))| (calendar.as_str(), Given { name, text }))
        .collect();
    let calendars = FileCalendars::read(&calendar_givens, problems.clone()).map_err(unreadable)?;
    let answer = match &args.function_answer {
        Some(path) => Some(AnswerGiven {
            name: path.display().to_string(),
            bytes: read_answer(path)?,
        }),
        None => None,
    };
    let functions = FileFunctions::new(answer, problems.clone());
    let requests = functions.requests();
    let gate = Gate::new(policy, settings, pipelines, None::<NoTopic>)
        .with_conditions(alarms, calendars)
        .with_functions(functions);
    Ok((gate, requests))
}

/// A function's answer file, read up to a bound: an answer the gate can use is at most
/// 4,096 bytes, and a device or a huge file must not be read whole.
fn read_answer(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    const MAX_FILE_BYTES: u64 = 1 << 20;
    let unreadable = |error: std::io::Error| {
        Failure::new(exit::UNREADABLE, format!("{}: {error}", path.display()))
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(unreadable)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Failure::new(
            exit::UNREADABLE,
            format!(
                "{}: more than 1 MiB, not read (an answer the gate uses has at most 4,096 \
                 bytes)",
                path.display()
            ),
        ));
    }
    Ok(bytes)
}

fn givens(texts: &[(String, String)]) -> Vec<Given<'_>> {
    texts
        .iter()
        .map(|(name, text)| Given { name, text })
        .collect()
}

/// `--calendars CALENDAR=FILE`, or `FILE` named after its calendar.
fn calendar_file(given: &str) -> Result<(String, PathBuf), Failure> {
    if let Some((calendar, path)) = given.split_once('=') {
        return Ok((calendar.to_owned(), PathBuf::from(path)));
    }
    let path = PathBuf::from(given);
    let calendar = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .filter(|stem| !stem.is_empty())
        .ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!("--calendars {given}: give it as CALENDAR=FILE"),
            )
        })?;
    Ok((calendar.to_owned(), path))
}

async fn decide<E: Ports>(
    gate: &Gate<E>,
    pipeline: &str,
    only: Option<(&str, &str)>,
    at: Timestamp,
) -> Result<Vec<Explained>, Failure> {
    gate.explain(pipeline, only, at).await.map_err(|error| {
        let mut message = format!("reading pipeline {pipeline} failed");
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Failure::new(exit::UNREADABLE, message)
    })
}

fn run_calendar(args: &CalendarArgs) -> Result<u8, Failure> {
    let policy = load_policy(&args.policy)?;
    let rules: Vec<_> = policy
        .rules
        .iter()
        .filter(|rule| args.rule.as_ref().is_none_or(|name| &rule.name == name))
        .collect();
    let ics = args.format == CalendarFormat::Ics;
    if let Some(name) = &args.rule {
        match rules.first() {
            None => {
                return Err(Failure::new(
                    exit::FAILED,
                    format!("no rule is named {name:?}"),
                ));
            }
            // An iCalendar object must hold a component: there is nothing to write.
            Some(rule) if rule.windows.is_none() && ics => {
                return Err(Failure::new(
                    exit::FAILED,
                    format!("rule {name} has no windows: it may approve at any time"),
                ));
            }
            Some(rule) if rule.windows.is_none() => {
                println!("rule {name} has no windows: it may approve at any time");
                return Ok(exit::OK);
            }
            Some(_) => {}
        }
    }
    let now = Timestamp::now();
    let mut listings = Vec::new();
    for rule in rules {
        let Some(windows) = &rule.windows else {
            continue;
        };
        let from = match args.from {
            None => now,
            Some(date) => TimeZone::get(windows.timezone_name())
                .and_then(|zone| date.to_zoned_datetime(zone))
                .map(|start| start.timestamp())
                .map_err(|error| Failure::new(exit::USAGE, format!("--from {date}: {error}")))?,
        };
        if !ics {
            if !listings.is_empty() {
                emit("\n");
            }
            emit(&calendar::rule_text(rule, windows, from, args.days));
        }
        listings.push(calendar::Listing {
            rule,
            windows,
            from,
            until: calendar::until(windows, from, args.days),
        });
    }
    let none = "no rule has windows: every rule may approve at any time";
    match (listings.is_empty(), ics) {
        (true, true) => return Err(Failure::new(exit::FAILED, none)),
        (true, false) => println!("{none}"),
        (false, true) => emit(&calendar::ics(&listings, now)),
        (false, false) => {}
    }
    Ok(exit::OK)
}
