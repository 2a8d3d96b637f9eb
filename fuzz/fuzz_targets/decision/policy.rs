//! Policies as JSON, so that only what `Policy::from_json` accepts is decided: windows
//! (weekly and cron allow windows, freezes of every kind), revision checks, alarms and
//! Change Calendars, variable comparisons and a check function.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use serde_json::{Value, json};

use crate::text::{seconds, text};

const CRONS: &[&str] = &[
    "* * * ? * * *",
    "* * * * * ? *",
    "* * * ? * *",
    "* * * * * ?",
    "* 0-59 0-23 ? * 1-7 *",
    "* 0/2 * ? * * *",
    "0/2 * * ? * * *",
    "* */2 * ? * * *",
    "* 1/2 * ? * * *",
    "* * 9-16 ? * MON-THU *",
    "* * 9-17 ? * MON-FRI *",
    "* * 2 ? * * *",
    "* 30 2 ? * SUN *",
    "* 0-29 1-2 ? * 1 *",
    "* * * L * ? *",
    "* * * LW * ? *",
    "* * * 15W * ? *",
    "* * * 1W * ? *",
    "* * * ? * 6#3 *",
    "* * * ? * 2#5 *",
    "* * * ? * 2L *",
    "* * * ? * FRI#1 *",
    "* * * 29 2 ? *",
    "* * * 30 2 ? *",
    "* * * 31 * ? *",
    "* * * ? * * 2027",
    "* * * ? * * */3",
    "* * * ? * * 2199",
    "* * * ? * * 1970",
    "* 59 23 31 12 ? *",
    "* 0 0 1 1 ? *",
];
const CRON_MINUTES: &[&str] = &["*", "0", "59", "0/15", "*/7", "5-10", "0,30", "30"];
const CRON_HOURS: &[&str] = &[
    "*",
    "0",
    "1",
    "2",
    "3",
    "23",
    "9-16",
    "0/3",
    "1-3",
    "22-23,0-2",
];
const CRON_DAYS: &[&str] = &["?", "*", "1", "29", "31", "L", "LW", "15W", "L-3", "1-7"];
const CRON_MONTHS: &[&str] = &["*", "1", "2", "3", "10", "11", "12", "JAN-MAR", "*/4"];
const CRON_WEEKDAYS: &[&str] = &[
    "?", "*", "1", "7", "MON-FRI", "SUN", "6#3", "1#5", "2L", "SAT,SUN",
];
const CRON_YEARS: &[&str] = &["", "*", "2026", "2026-2027", "*/3", "2100", "2199", "1970"];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const REGEXES: &[&str] = &[
    "(?i)^wip",
    "(?i)\\[skip[ -]auto[ -]?approve\\]",
    "[A-Z]+-[0-9]+",
    "ß",
    "(?i)straße",
    "😀",
    "(?s)^.{80,}$",
    "\\n",
    "(?m)^Signed-off-by",
    "^[0-9a-f]{40}$",
    "^0{40}$",
    "\\p{Han}",
    "…",
];

fn severity(
    u: &mut Unstructured<'_>,
    field: &str,
    rule: &mut serde_json::Map<String, Value>,
    defer: bool,
) -> Result<()> {
    let answers: &[&str] = if defer {
        &["defer", "abstain", "reject"]
    } else {
        &["abstain", "reject"]
    };
    if u.arbitrary()? {
        rule.insert(field.into(), json!(*u.choose(answers)?));
    }
    Ok(())
}

pub(crate) fn policy(
    u: &mut Unstructured<'_>,
    zone: &str,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<Value> {
    let mut rule = serde_json::Map::new();
    rule.insert(
        "name".into(),
        json!(*u.choose(&["prod", "prod-gate ✓", "Ünïcödé 😀 rule", "r"])?),
    );
    let matches = [
        json!({}),
        json!({"pipeline": "web-*"}),
        json!({"stage": "Approve-?rod", "action": "*"}),
        json!({"pipeline": "web-shop", "stage": "Approve-Prod", "action": "Manual"}),
    ];
    rule.insert("match".into(), u.choose(&matches)?.clone());
    if u.arbitrary()? {
        let required = [
            "Build/Unit",
            "Build/IntegrationTests",
            "Source/App",
            "Approve-Prod/Manual",
        ];
        let count = u.int_in_range(1..=2)?;
        let list: Vec<&str> = (0..count)
            .map(|_| u.choose(&required).copied())
            .collect::<Result<_>>()?;
        rule.insert("require_succeeded".into(), json!(list));
    }
    severity(u, "on_fail", &mut rule, false)?;
    if u.ratio(2, 3)? {
        rule.insert("windows".into(), windows(u, zone, tz, now)?);
    }
    if u.arbitrary()? {
        rule.insert("revisions".into(), revisions(u)?);
    }
    if u.arbitrary()? {
        let mut alarms = serde_json::Map::new();
        for field in ["names", "prefixes"] {
            if u.arbitrary()? {
                let names: Vec<String> = (0..u.int_in_range(1..=3)?)
                    .map(|_| alarm_name(u))
                    .collect::<Result<_>>()?;
                alarms.insert(field.into(), json!(names));
            }
        }
        severity(u, "on_alarm", &mut alarms, true)?;
        if u.arbitrary()? {
            alarms.insert(
                "insufficient_data".into(),
                json!(*u.choose(&["ok", "fail"])?),
            );
        }
        rule.insert("alarms".into(), Value::Object(alarms));
    }
    if u.arbitrary()? {
        let calendars = [
            "prod-freeze",
            "org.freeze_2026",
            "arn:aws:ssm:us-east-1:111122223333:document/org-freeze",
        ];
        let names: Vec<&str> = (0..u.int_in_range(1..=2)?)
            .map(|_| u.choose(&calendars).copied())
            .collect::<Result<_>>()?;
        let mut object = serde_json::Map::new();
        object.insert("names".into(), json!(names));
        severity(u, "on_closed", &mut object, true)?;
        rule.insert("change_calendars".into(), Value::Object(object));
    }
    if u.ratio(2, 5)? {
        rule.insert("variables".into(), variables(u)?);
    }
    if u.ratio(2, 5)? {
        let mut function = serde_json::Map::new();
        function.insert("arn".into(), json!(*u.choose(FUNCTION_ARNS)?));
        if u.arbitrary()? {
            function.insert("timeout_seconds".into(), json!(u.int_in_range(1..=10u64)?));
        }
        severity(u, "on_fail", &mut function, true)?;
        rule.insert("function".into(), Value::Object(function));
    }
    let mut rules = vec![Value::Object(rule)];
    if u.arbitrary()? {
        rules.insert(
            0,
            json!({"name": "elsewhere", "match": {"pipeline": "other-*"}}),
        );
    }
    Ok(json!({ "rules": rules }))
}

const FUNCTION_ARNS: &[&str] = &[
    "arn:aws:lambda:eu-west-1:111122223333:function:change-ticket",
    "arn:aws:lambda:eu-west-1:111122223333:function:change-ticket:prod",
    "arn:aws-cn:lambda:cn-north-1:111122223333:function:f:$LATEST",
];

/// The variables comparisons name: pipeline-level ones, output variables of the
/// namespaces `world::pipeline` declares (and of one it never declares).
const VARIABLES: &[&str] = &[
    "#{variables.RELEASE_TYPE}",
    "#{variables.TICKET}",
    "#{Scan.CRITICAL_FINDINGS}",
    "#{Scan.REPORT}",
    "#{Build_2.VERSION}",
    "#{Lint.WARNINGS}",
];

/// Operands, text and numbers, as a VariableCheck rule might carry them over.
const OPERANDS: &[&str] = &["standard", "0", "", "ä😀", "…", "CHG-", " 0", "1e3"];
const VARIABLE_REGEXES: &[&str] = &[
    "[0-9]+",
    "standard|minor",
    "(?i)chg-[0-9]+",
    ".*",
    "(?s).+",
    "\\p{Han}+",
    "ß|ẞ",
    "a{1,1000}",
];

/// `variables`: one to three comparisons, each with exactly one operator.
fn variables(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut list = Vec::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let variable = *u.choose(VARIABLES)?;
        let comparison = match u.int_in_range(0..=5)? {
            0 => json!({"variable": variable, "equals": *u.choose(OPERANDS)?}),
            1 => json!({"variable": variable, "not_equals": *u.choose(OPERANDS)?}),
            2 => json!({"variable": variable, "contains": *u.choose(&OPERANDS[..2])?}),
            3 => json!({"variable": variable, "matches": *u.choose(VARIABLE_REGEXES)?}),
            4 => json!({"variable": variable, "at_least": bound(u)?}),
            _ => json!({"variable": variable, "at_most": bound(u)?}),
        };
        list.push(comparison);
    }
    Ok(Value::Array(list))
}

fn bound(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=3)? {
        0 => json!(0),
        1 => json!(u.int_in_range(-5..=5i64)?),
        2 => json!(0.5),
        _ => json!(f64::from(u.arbitrary::<i32>()?) / 7.0),
    })
}

/// An alarm name as a policy may write it: arbitrary Unicode without control characters,
/// up to CloudWatch's 255 characters.
fn alarm_name(u: &mut Unstructured<'_>) -> Result<String> {
    let mut name: String = text(u, "web-prod-5xx")?
        .chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect();
    if name.trim().is_empty() {
        name = (*u.choose(&["web-prod-5xx", "web-prod-", "ÄÖÜ-😀", "日本"])?).to_owned();
    }
    Ok(name)
}

fn hhmm(u: &mut Unstructured<'_>, end: bool) -> Result<String> {
    if end && u.ratio(1, 6)? {
        return Ok("24:00".into());
    }
    let hour = *u.choose(&[0, 1, 2, 3, 9, 12, 16, 22, 23])?;
    let hour = if u.arbitrary()? {
        hour
    } else {
        u.int_in_range(0..=23)?
    };
    let minute = *u.choose(&[0, 0, 30, 59, 15])?;
    Ok(format!("{hour:02}:{minute:02}"))
}

fn days(u: &mut Unstructured<'_>) -> Result<Vec<&'static str>> {
    let mask = u.int_in_range(1..=127u8)?;
    Ok(DAYS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, d)| *d)
        .collect())
}

fn cron(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(2, 3)? {
        return Ok((*u.choose(CRONS)?).to_owned());
    }
    let (day, weekday) = if u.arbitrary()? {
        ("?", *u.choose(CRON_WEEKDAYS)?)
    } else {
        (*u.choose(CRON_DAYS)?, "?")
    };
    Ok(format!(
        "* {} {} {day} {} {weekday} {}",
        u.choose(CRON_MINUTES)?,
        u.choose(CRON_HOURS)?,
        u.choose(CRON_MONTHS)?,
        u.choose(CRON_YEARS)?
    )
    .trim_end()
    .to_owned())
}

/// A moment written as a one-off freeze's bound: on the rule's clock, in UTC or with an
/// offset.
fn instant_text(u: &mut Unstructured<'_>, tz: &TimeZone, at: Timestamp) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 | 1 => tz.to_datetime(at).strftime("%Y-%m-%dT%H:%M").to_string(),
        2 => format!("{}Z", at.strftime("%Y-%m-%dT%H:%M")),
        _ => {
            let offsets = [
                ("+05:30", 330),
                ("-03:30", -210),
                ("+13:45", 825),
                ("+00:00", 0),
                ("-12:00", -720),
            ];
            let (offset, minutes) = *u.choose(&offsets)?;
            let local = at
                .checked_add(SignedDuration::from_mins(minutes))
                .unwrap_or(at);
            format!("{}{offset}", local.strftime("%Y-%m-%dT%H:%M"))
        }
    })
}

fn windows(u: &mut Unstructured<'_>, zone: &str, tz: &TimeZone, now: Timestamp) -> Result<Value> {
    let mut allow = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        allow.push(if u.arbitrary()? {
            json!({"cron": cron(u)?})
        } else {
            json!({"days": days(u)?, "from": hhmm(u, false)?, "to": hhmm(u, true)?})
        });
    }
    let mut freeze = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let mut item = match u.int_in_range(0..=2)? {
            0 => {
                // Often covering now; sometimes for years, or until the calendar ends.
                let before = seconds(u, -400 * 86_400..=400 * 86_400)?;
                let before = if u.arbitrary()? { before.abs() } else { before };
                let length = match u.int_in_range(0..=4)? {
                    0 => seconds(u, 60..=3_600)?,
                    1 => seconds(u, 3_600..=40 * 86_400)?,
                    2 => seconds(u, 400 * 86_400..=50 * 365 * 86_400)?,
                    3 => SignedDuration::from_hours(24 * 365 * 9_000),
                    _ => seconds(u, 0..=800 * 86_400)?,
                };
                let from = now.checked_sub(before).unwrap_or(now);
                let to = from.checked_add(length).unwrap_or(Timestamp::MAX);
                json!({"from": instant_text(u, tz, from)?, "to": instant_text(u, tz, to)?})
            }
            1 => {
                let mut point = || -> Result<String> {
                    Ok(format!(
                        "{:02}-{:02} {}",
                        u.int_in_range(1..=12)?,
                        u.choose(&[1, 24, 27, 28, 29, 30, 31])?,
                        hhmm(u, false)?
                    ))
                };
                json!({"every": "year", "from": point()?, "to": point()?})
            }
            _ => {
                json!({"every": "week", "days": days(u)?, "from": hhmm(u, false)?, "to": hhmm(u, true)?})
            }
        };
        if u.arbitrary()? {
            let reason: String = text(u, "freeze")?
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            if !reason.trim().is_empty() {
                item["reason"] = json!(reason);
            }
        }
        freeze.push(item);
    }
    let mut windows = json!({"timezone": zone, "allow": allow, "freeze": freeze});
    if u.arbitrary()? {
        windows["outside"] = json!(*u.choose(&["defer", "abstain", "reject"])?);
    }
    Ok(windows)
}

fn revisions(u: &mut Unstructured<'_>) -> Result<Value> {
    let mut revisions = serde_json::Map::new();
    if u.arbitrary()? {
        revisions.insert("latest".into(), json!(u.arbitrary::<bool>()?));
    }
    if u.arbitrary()? {
        revisions.insert(
            "max_age".into(),
            json!(*u.choose(&["90m", "72h", "14d", "365d", "1m"])?),
        );
    }
    if u.arbitrary()? {
        let key = *u.choose(&["allow", "deny"])?;
        revisions.insert("revision_id".into(), json!({ key: patterns(u)? }));
    }
    if u.arbitrary()? {
        let mut message = serde_json::Map::new();
        if u.arbitrary()? {
            message.insert("deny".into(), json!(patterns(u)?));
            severity(u, "on_match", &mut message, false)?;
        }
        if u.arbitrary()? {
            message.insert("require".into(), json!(patterns(u)?));
        }
        revisions.insert("commit_message".into(), Value::Object(message));
    }
    if u.arbitrary()? {
        revisions.insert("branches".into(), json!(["main", "release/*"]));
    }
    if u.arbitrary()? {
        revisions.insert(
            "artifacts".into(),
            json!([*u.choose(&["App*", "Source*", "*"])?]),
        );
    }
    Ok(Value::Object(revisions))
}

fn patterns(u: &mut Unstructured<'_>) -> Result<Vec<&'static str>> {
    (0..u.int_in_range(1..=2)?)
        .map(|_| u.choose(REGEXES).copied())
        .collect()
}
