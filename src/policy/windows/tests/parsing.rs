//! What the parser refuses, and where it says so.

use super::*;

// --- parsing ---

#[test]
fn outside_defaults_to_abstain_and_reads_every_answer() {
    for (text, outside) in [
        ("reject", Severity::Reject),
        ("abstain", Severity::Abstain),
        ("defer", Severity::Defer),
    ] {
        let windows = windows(json!({"timezone": "UTC", "outside": text}));
        assert_eq!(windows.outside(), outside);
    }
    assert_eq!(
        windows(json!({"timezone": "UTC"})).outside(),
        Severity::Abstain
    );
}

#[test]
fn refuses_an_unknown_time_zone() {
    let error = parse(json!({"timezone": "Europe/Berln"})).err().unwrap();
    assert_eq!(error.path, "rules[0].windows.timezone");
    assert!(error.message.contains("Europe/Berln"), "{}", error.message);
    assert_eq!(
        error_path(json!({"timezone": ""})),
        "rules[0].windows.timezone"
    );
}

#[test]
fn refuses_a_missing_time_zone() {
    assert_eq!(error_path(json!({"allow": []})), "rules[0].windows");
}

#[test]
fn refuses_bad_days_where_they_are() {
    let with_days = |days: Value| {
        json!({
            "timezone": "UTC",
            "allow": [{"days": days, "from": "09:00", "to": "17:00"}]
        })
    };
    assert_eq!(
        error_path(with_days(json!(["mon", "Tue"]))),
        "rules[0].windows.allow[0].days[1]"
    );
    assert_eq!(
        error_path(with_days(json!(["mon", "mon"]))),
        "rules[0].windows.allow[0].days[1]"
    );
    assert_eq!(
        error_path(with_days(json!([]))),
        "rules[0].windows.allow[0].days"
    );
}

#[test]
fn refuses_bad_clock_times() {
    let window = |from: &str, to: &str| {
        json!({
            "timezone": "UTC",
            "allow": [{"days": ["mon"], "from": from, "to": to}]
        })
    };
    assert_eq!(
        error_path(window("25:00", "26:00")),
        "rules[0].windows.allow[0].from"
    );
    assert_eq!(
        error_path(window("9:00", "17:00")),
        "rules[0].windows.allow[0].from"
    );
    assert_eq!(
        error_path(window("24:00", "02:00")),
        "rules[0].windows.allow[0].from"
    );
    assert_eq!(
        error_path(window("09:00", "17:60")),
        "rules[0].windows.allow[0].to"
    );
    assert_eq!(
        error_path(window("09:00", "24:01")),
        "rules[0].windows.allow[0].to"
    );
    assert_eq!(
        error_path(window("09:00", "09:00")),
        "rules[0].windows.allow[0].to"
    );
    assert!(parse(window("00:00", "24:00")).is_ok());
}

#[test]
fn refuses_bad_freezes_where_they_are() {
    // A valid freeze first, so each path must name the second.
    let freeze = |freeze: Value| {
        json!({
            "timezone": "UTC",
            "freeze": [
                {"every": "week", "days": ["mon"], "from": "01:00", "to": "02:00"},
                freeze
            ]
        })
    };
    let day = "2026-12-21T00:00";
    let next_day = "2026-12-22T00:00";
    let cases = [
        (
            json!({"from": "2026-12-21T00:00", "to": "2026-12-21T00:00"}),
            "freeze[1].to",
        ),
        (
            json!({"from": "2026-12-21T00:00", "to": "2026-12-20T00:00"}),
            "freeze[1].to",
        ),
        (
            json!({"from": "2026-12-21 00:00", "to": "2026-12-22T00:00"}),
            "freeze[1].from",
        ),
        (
            json!({"from": "2026-02-30T00:00", "to": "2026-03-02T00:00"}),
            "freeze[1].from",
        ),
        (
            json!({"from": "2026-12-21T00:00+1", "to": "2026-12-22T00:00"}),
            "freeze[1].from",
        ),
        (
            json!({"every": "month", "from": "01", "to": "02"}),
            "freeze[1].every",
        ),
        (
            json!({"every": "year", "from": "02-30 00:00", "to": "03-02 00:00"}),
            "freeze[1].from",
        ),
        (
            json!({"every": "year", "from": "12-24 00:00", "to": "12-24 00:00"}),
            "freeze[1].to",
        ),
        (
            json!({"every": "year", "from": "12-24 00:00", "to": "12-31 24:00"}),
            "freeze[1].to",
        ),
        (
            json!({
                "every": "year",
                "days": ["mon"],
                "from": "12-24 00:00",
                "to": "12-25 00:00"
            }),
            "freeze[1].days",
        ),
        (
            json!({"every": "week", "from": "15:00", "to": "18:00"}),
            "freeze[1].days",
        ),
        (
            json!({"every": "week", "days": ["fr"], "from": "15:00", "to": "18:00"}),
            "freeze[1].days[0]",
        ),
        (
            json!({"every": "week", "days": ["fri"], "from": "15:00", "to": "15:00"}),
            "freeze[1].to",
        ),
        (
            json!({"from": day, "to": next_day, "reason": "two\nlines"}),
            "freeze[1].reason",
        ),
        (
            json!({"from": day, "to": next_day, "reason": "x".repeat(101)}),
            "freeze[1].reason",
        ),
        (
            json!({"from": day, "to": next_day, "why": "x"}),
            "freeze[1].why",
        ),
    ];
    for (document, path) in cases {
        assert_eq!(
            error_path(freeze(document.clone())),
            format!("rules[0].windows.{path}"),
            "{document}"
        );
    }
}

#[test]
fn refuses_unknown_fields_anywhere() {
    assert_eq!(
        error_path(json!({"timezone": "UTC", "timezones": "UTC"})),
        "rules[0].windows.timezones"
    );
    assert_eq!(
        error_path(json!({
            "timezone": "UTC",
            "allow": [{"days": ["mon"], "from": "09:00", "to": "10:00", "until": "x"}]
        })),
        "rules[0].windows.allow[0].until"
    );
    assert_eq!(
        error_path(json!({"timezone": "UTC", "outside": "approve"})),
        "rules[0].windows.outside"
    );
}

#[test]
fn works_without_system_zoneinfo() {
    // jiff is built without reading the system database; prove it by running this test
    // again in a child process whose TZDIR points at an empty directory.
    const CHILD: &str = "WINDOWS_TEST_EMPTY_TZDIR";
    if std::env::var_os(CHILD).is_some() {
        assert!(jiff::tz::db().get("Europe/Berlin").is_ok());
        let windows = windows(example());
        assert_eq!(
            next_open(&windows, "2026-11-25T19:00Z"),
            Some(utc("2026-11-26T08:00Z"))
        );
        println!("checked without zoneinfo");
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let path = module_path!();
    let module = path.split_once("::").map_or(path, |(_, rest)| rest);
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &format!("{module}::works_without_system_zoneinfo"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("TZDIR", empty.path())
        .env("TZ", "Europe/Berlin")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("checked without zoneinfo"), "{stdout}");
}
