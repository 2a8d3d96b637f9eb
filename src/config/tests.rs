//! Unit tests of the configuration: settings from the environment and the policy source.

use super::*;

const POLICY: &str = r#"{"rules":[{"name":"all"}]}"#;
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:codepipeline-approvals";

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn error_text(vars: &[(&str, &str)]) -> String {
    config(vars).unwrap_err().to_string()
}

#[test]
fn reads_every_setting() {
    let config = config(&[
        ("GATE_POLICY", POLICY),
        ("GATE_DRY_RUN", "true"),
        (
            "GATE_ALLOWED_TOPIC_ARNS",
            "arn:aws:sns:us-east-1:123456789012:a , arn:aws:sns:us-east-1:123456789012:b",
        ),
        ("GATE_TOKEN_WAIT_SECONDS", "3"),
        (
            "GATE_DECISION_TOPIC_ARN",
            " arn:aws:sns:us-east-1:123456789012:decisions ",
        ),
        ("GATE_SWEEP_MINUTES", "15"),
        ("GATE_SWEEP_READS_PER_SECOND", "4"),
        ("GATE_SWEEP_MARGIN_SECONDS", "30"),
        ("AWS_REGION", "eu-central-1"),
    ])
    .unwrap();
    assert!(config.settings.dry_run);
    assert_eq!(config.settings.sweep_every, Duration::from_secs(15 * 60));
    assert_eq!(
        config.settings.sweep_read_interval,
        Duration::from_millis(250)
    );
    assert_eq!(config.settings.sweep_margin, Duration::from_secs(30));
    assert_eq!(config.settings.region.as_deref(), Some("eu-central-1"));
    assert_eq!(
        config.settings.allowed_topics,
        Some(vec![
            "arn:aws:sns:us-east-1:123456789012:a".to_string(),
            "arn:aws:sns:us-east-1:123456789012:b".to_string()
        ])
    );
    assert_eq!(config.settings.token_wait, Duration::from_secs(3));
    assert_eq!(
        config.decision_topic_arn.as_deref(),
        Some("arn:aws:sns:us-east-1:123456789012:decisions")
    );
    assert_eq!(config.policy.rules[0].name, "all");
}

#[test]
fn defaults_are_live_answers_any_topic_a_ten_second_wait_and_a_fifteen_minute_sweep() {
    let config = config(&[("GATE_POLICY", POLICY), ("GATE_DECISION_TOPIC_ARN", "")]).unwrap();
    assert!(!config.settings.dry_run);
    assert_eq!(config.settings.allowed_topics, None);
    assert_eq!(config.settings.token_wait, Duration::from_secs(10));
    assert_eq!(config.decision_topic_arn, None);
    assert_eq!(config.settings.sweep_every, Duration::from_secs(15 * 60));
    assert_eq!(
        config.settings.sweep_read_interval,
        Duration::from_millis(100)
    );
    assert_eq!(config.settings.sweep_margin, Duration::from_secs(20));
    assert_eq!(config.settings.region, None);
}

#[test]
fn an_empty_switch_is_an_error_not_unset() {
    for name in [
        "GATE_MODE",
        "GATE_DRY_RUN",
        "GATE_ALLOWED_TOPIC_ARNS",
        "GATE_DECISION_FORMAT",
        "GATE_SWEEP_MINUTES",
        "GATE_SWEEP_READS_PER_SECOND",
        "GATE_SWEEP_MARGIN_SECONDS",
    ] {
        for blank in ["", "  ", "\t\n"] {
            // Given a switch set to an empty value, as a template's missing parameter
            // When the configuration is read
            let error = config(&[("GATE_POLICY", POLICY), (name, blank)]).unwrap_err();
            // Then the function does not start, and the error says why
            let text = error.to_string();
            assert_eq!(error.error_type(), "ApprovalGate.InvalidConfiguration");
            assert!(text.starts_with(&format!("{name} is invalid")), "{text}");
            assert!(text.contains("not \"unset\""), "{text}");
            assert!(text.contains("CloudFormation and Terraform"), "{text}");
        }
    }
}

#[test]
fn switches_are_trimmed_before_they_are_compared() {
    let on = config(&[
        ("GATE_POLICY", POLICY),
        ("GATE_MODE", " on "),
        ("GATE_DRY_RUN", "true\n"),
        ("GATE_SWEEP_MINUTES", " 2 "),
    ])
    .unwrap();
    assert!(!on.settings.off && on.settings.dry_run);
    assert_eq!(on.settings.sweep_every, Duration::from_secs(2 * 60));
    let off = config(&[("GATE_POLICY", POLICY), ("GATE_MODE", " off\n")]).unwrap();
    assert!(off.settings.off);
}

#[test]
fn an_allowed_topic_list_without_an_arn_is_an_error() {
    for list in [",", " , ,"] {
        let error =
            config(&[("GATE_POLICY", POLICY), ("GATE_ALLOWED_TOPIC_ARNS", list)]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("GATE_ALLOWED_TOPIC_ARNS is invalid"),
            "{error}"
        );
    }
}

#[test]
fn empty_policy_file_decision_topic_and_token_wait_still_count_as_unset() {
    // Given the variables a template passes empty when their parameter is not set
    let config = config(&[
        ("GATE_POLICY", POLICY),
        ("GATE_POLICY_FILE", ""),
        ("GATE_DECISION_TOPIC_ARN", " "),
        ("GATE_TOKEN_WAIT_SECONDS", ""),
    ])
    .unwrap();
    // Then they take their defaults
    assert_eq!(config.decision_topic_arn, None);
    assert_eq!(config.settings.token_wait, Duration::from_secs(10));
}

#[test]
fn the_sweep_period_is_whole_minutes_from_one_to_sixty() {
    for (text, minutes) in [("1", 1), ("5", 5), ("60", 60)] {
        let config = config(&[("GATE_POLICY", POLICY), ("GATE_SWEEP_MINUTES", text)]).unwrap();
        assert_eq!(
            config.settings.sweep_every,
            Duration::from_secs(minutes * 60)
        );
    }
    for bad in ["0", "61", "-1", "5.5", "5m", "five", "+5 5"] {
        let error = config(&[("GATE_POLICY", POLICY), ("GATE_SWEEP_MINUTES", bad)]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("GATE_SWEEP_MINUTES is invalid"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn the_sweep_rate_is_whole_reads_per_second_from_one_to_a_hundred() {
    for (text, interval) in [("1", 1000), ("10", 100), (" 100 ", 10)] {
        let config = config(&[
            ("GATE_POLICY", POLICY),
            ("GATE_SWEEP_READS_PER_SECOND", text),
        ])
        .unwrap();
        assert_eq!(
            config.settings.sweep_read_interval,
            Duration::from_millis(interval),
            "{text}"
        );
    }
    for bad in ["0", "101", "-1", "2.5", "10/s", "ten", "1e2"] {
        let text = error_text(&[
            ("GATE_POLICY", POLICY),
            ("GATE_SWEEP_READS_PER_SECOND", bad),
        ]);
        assert!(
            text.starts_with("GATE_SWEEP_READS_PER_SECOND is invalid: expected whole reads"),
            "{bad}: {text}"
        );
    }
}

#[test]
fn the_sweep_margin_is_whole_seconds_from_five_to_six_hundred() {
    for (text, seconds) in [("5", 5), ("20", 20), ("600", 600)] {
        let config =
            config(&[("GATE_POLICY", POLICY), ("GATE_SWEEP_MARGIN_SECONDS", text)]).unwrap();
        assert_eq!(
            config.settings.sweep_margin,
            Duration::from_secs(seconds),
            "{text}"
        );
    }
    for bad in ["0", "4", "601", "-20", "20s", "twenty"] {
        let text = error_text(&[("GATE_POLICY", POLICY), ("GATE_SWEEP_MARGIN_SECONDS", bad)]);
        assert!(
            text.starts_with("GATE_SWEEP_MARGIN_SECONDS is invalid: expected whole seconds"),
            "{bad}: {text}"
        );
    }
}

#[test]
fn the_region_is_kept_only_when_it_looks_like_one() {
    for region in [
        "us-east-1",
        "eu-central-2",
        "us-gov-west-1",
        "cn-northwest-1",
    ] {
        let config = config(&[("GATE_POLICY", POLICY), ("AWS_REGION", region)]).unwrap();
        assert_eq!(config.settings.region.as_deref(), Some(region));
    }
    for odd in [
        "",
        "US-EAST-1",
        "us east 1",
        "us-east-1/x",
        "evil.example/?",
        "-us-1",
        "local",
    ] {
        let config = config(&[("GATE_POLICY", POLICY), ("AWS_REGION", odd)]).unwrap();
        assert_eq!(config.settings.region, None, "{odd:?}");
    }
}

#[test]
fn no_policy_or_two_policies_is_an_error() {
    assert!(matches!(config(&[]), Err(ConfigError::NoPolicy)));
    assert!(matches!(
        config(&[("GATE_POLICY", POLICY), ("GATE_POLICY_FILE", "/p.json")]),
        Err(ConfigError::TwoPolicies)
    ));
}

#[test]
fn reads_the_policy_file_or_says_which_file_failed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    std::fs::write(&path, POLICY).unwrap();
    let loaded = config(&[("GATE_POLICY_FILE", path.to_str().unwrap())]).unwrap();
    assert_eq!(loaded.policy.rules.len(), 1);
    std::fs::remove_file(&path).unwrap();
    let error = config(&[("GATE_POLICY_FILE", path.to_str().unwrap())]).unwrap_err();
    assert!(error.to_string().contains(path.to_str().unwrap()));
}

#[test]
fn gate_mode_switches_the_gate_off_or_to_dry_run() {
    let off = config(&[("GATE_POLICY", POLICY), ("GATE_MODE", "off")]).unwrap();
    assert!(off.settings.off);
    let dry = config(&[
        ("GATE_POLICY", POLICY),
        ("GATE_MODE", "dry-run"),
        ("GATE_DRY_RUN", "false"),
    ])
    .unwrap();
    assert!(dry.settings.dry_run && !dry.settings.off);
    let on = config(&[
        ("GATE_POLICY", POLICY),
        ("GATE_MODE", "on"),
        ("GATE_DRY_RUN", "true"),
    ])
    .unwrap();
    assert!(on.settings.dry_run, "the more cautious switch wins");
    let error = config(&[("GATE_POLICY", POLICY), ("GATE_MODE", "of")]).unwrap_err();
    assert!(
        error.to_string().starts_with("GATE_MODE is invalid"),
        "{error}"
    );
}

#[test]
fn the_decision_format_is_plain_unless_chat_is_asked_for() {
    let plain = config(&[("GATE_POLICY", POLICY)]).unwrap();
    assert_eq!(plain.settings.decision_format, DecisionFormat::Plain);
    for (value, format) in [
        ("plain", DecisionFormat::Plain),
        (" chat\n", DecisionFormat::Chat),
    ] {
        let config = config(&[("GATE_POLICY", POLICY), ("GATE_DECISION_FORMAT", value)]).unwrap();
        assert_eq!(config.settings.decision_format, format, "{value:?}");
    }
    for doubtful in ["Chat", "slack", "json", "plain,chat", "chat\u{1b}[31m"] {
        let error =
            config(&[("GATE_POLICY", POLICY), ("GATE_DECISION_FORMAT", doubtful)]).unwrap_err();
        let text = error.to_string();
        assert_eq!(error.error_type(), "ApprovalGate.InvalidConfiguration");
        assert!(
            text.starts_with("GATE_DECISION_FORMAT is invalid: expected plain"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
    }
}

#[test]
fn a_doubtful_dry_run_switch_is_an_error_not_false() {
    let error = config(&[("GATE_POLICY", POLICY), ("GATE_DRY_RUN", "yes")]).unwrap_err();
    assert!(
        error.to_string().starts_with("GATE_DRY_RUN is invalid"),
        "{error}"
    );
}

#[test]
fn invalid_policy_is_an_init_error_with_its_place() {
    let error = config(&[("GATE_POLICY", r#"{"rules":[{"name":""}]}"#)]).unwrap_err();
    assert_eq!(error.error_type(), "ApprovalGate.InvalidPolicy");
    assert!(error.to_string().contains("rules[0].name"), "{error}");
}

#[test]
fn every_allowed_topic_is_a_trimmed_sns_topic_arn() {
    // Given a list with spaces around its items, a FIFO topic, other partitions and
    // the longest topic name SNS allows
    let longest = format!("arn:aws:sns:eu-west-1:123456789012:{}", "t".repeat(256));
    let list = format!(
        " {TOPIC} ,arn:aws-cn:sns:cn-north-1:123456789012:orders.fifo,\
         arn:aws-us-gov:sns:us-gov-west-1:123456789012:A_b-9, {longest}"
    );
    // When the configuration is read
    let config = config(&[("GATE_POLICY", POLICY), ("GATE_ALLOWED_TOPIC_ARNS", &list)]).unwrap();
    // Then every ARN is kept, trimmed
    let topics = config.settings.allowed_topics.unwrap();
    assert_eq!(topics.len(), 4);
    assert_eq!(topics[0], TOPIC);
    assert_eq!(topics[3], longest);
}

#[test]
fn an_allowed_topic_that_is_not_a_topic_arn_is_an_error_naming_it() {
    let account = "arn:aws:sns:us-east-1:123456789012";
    let cases = [
        (format!("{TOPIC},"), 2, "empty item"),
        (format!("{TOPIC},,{TOPIC}"), 2, "empty item"),
        (format!("{account}:*"), 1, "wildcards"),
        (format!("{TOPIC}, {account}:web-?"), 2, "wildcards"),
        (
            "arn:aws:sns:*:123456789012:approvals".to_owned(),
            1,
            "wildcards",
        ),
        (format!("{TOPIC};{account}:other"), 1, "not ';'"),
        ("codepipeline-approvals".to_owned(), 1, "expected arn:"),
        (format!("{TOPIC}:subscription-id"), 1, "expected arn:"),
        (
            "arn:aws:sqs:us-east-1:123456789012:q".to_owned(),
            1,
            "not an SNS ARN",
        ),
        (
            "arn:gcp:sns:us-east-1:123456789012:q".to_owned(),
            1,
            "arn:aws:",
        ),
        (
            "arn:aws:sns:US-EAST-1:123456789012:q".to_owned(),
            1,
            "region",
        ),
        ("arn:aws:sns::123456789012:q".to_owned(), 1, "region"),
        (
            "arn:aws:sns:us-east-1:12345678901:q".to_owned(),
            1,
            "12 digits",
        ),
        (
            "arn:aws:sns:us-east-1:12345678901x:q".to_owned(),
            1,
            "12 digits",
        ),
        (format!("{account}:"), 1, "topic name"),
        (format!("{account}:.fifo"), 1, "topic name"),
        (format!("{account}:two words"), 1, "topic name"),
        (format!("{account}:{}", "t".repeat(257)), 1, "topic name"),
        (
            format!("{account}:{}.fifo", "t".repeat(252)),
            1,
            "topic name",
        ),
    ];
    for (list, item, problem) in cases {
        // Given an allowed-topics list with an item that can never equal a TopicArn
        // When the configuration is read
        let text = error_text(&[("GATE_POLICY", POLICY), ("GATE_ALLOWED_TOPIC_ARNS", &list)]);
        // Then the function does not start, and the error names the item and why
        assert!(
            text.starts_with(&format!(
                "GATE_ALLOWED_TOPIC_ARNS is invalid: item {item} ("
            )),
            "{list}: {text}"
        );
        assert!(text.contains(problem), "{list}: {text}");
    }
}

#[test]
fn an_invalid_topic_item_is_quoted_printable_and_cut_short() {
    let item = format!("\u{1b}[31m{}", "x".repeat(500));
    let text = error_text(&[("GATE_POLICY", POLICY), ("GATE_ALLOWED_TOPIC_ARNS", &item)]);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains('…'), "{text}");
    assert!(text.len() < 300, "{text}");
}

#[test]
fn a_decision_topic_is_a_trimmed_sns_topic_arn_or_an_error() {
    // Given a decision topic with spaces around it, it is kept trimmed
    let config = config(&[
        ("GATE_POLICY", POLICY),
        ("GATE_DECISION_TOPIC_ARN", &format!("\t{TOPIC} ")),
    ])
    .unwrap();
    assert_eq!(config.decision_topic_arn.as_deref(), Some(TOPIC));
    // Given one that is not a topic ARN, the function does not start
    for bad in [
        "approval-decisions",
        "arn:aws:sns:us-east-1:123456789012:approval decisions",
        "arn:aws:sns:us-east-1:123456789012:*",
        "arn:aws:sns:us-east-1:123456789012:a,arn:aws:sns:us-east-1:123456789012:b",
    ] {
        let text = error_text(&[("GATE_POLICY", POLICY), ("GATE_DECISION_TOPIC_ARN", bad)]);
        assert!(
            text.starts_with("GATE_DECISION_TOPIC_ARN is invalid: "),
            "{bad}: {text}"
        );
        assert!(text.contains("is not an SNS topic ARN"), "{bad}: {text}");
    }
}

#[test]
fn an_unknown_gate_variable_is_an_error_naming_the_closest_known_one() {
    for (typo, meant) in [
        ("GATE_DRYRUN", "GATE_DRY_RUN"),
        ("GATE_DRY_RUNS", "GATE_DRY_RUN"),
        ("GATE_POLICY_FIEL", "GATE_POLICY_FILE"),
        ("GATE_MOD", "GATE_MODE"),
        ("gate_mode", "GATE_MODE"),
        ("Gate_Sweep_Minutes", "GATE_SWEEP_MINUTES"),
        ("GATE_SWEEP_READS", "GATE_SWEEP_READS_PER_SECOND"),
        ("GATE_SWEEP_MARGIN", "GATE_SWEEP_MARGIN_SECONDS"),
        ("GATE_TOKEN_WAIT", "GATE_TOKEN_WAIT_SECONDS"),
        ("GATE_ALLOWED_TOPICS", "GATE_ALLOWED_TOPIC_ARNS"),
        ("GATE_DECISION_TOPIC", "GATE_DECISION_TOPIC_ARN"),
    ] {
        // Given a misspelt setting next to a valid configuration
        // When the configuration is read
        let error = config(&[("GATE_POLICY", POLICY), (typo, "true")]).unwrap_err();
        // Then the function does not start, and the error suggests the known name
        let text = error.to_string();
        assert_eq!(error.error_type(), "ApprovalGate.InvalidConfiguration");
        assert!(
            text.starts_with(&format!("{typo} is not a setting of approval-gate")),
            "{text}"
        );
        assert!(text.contains(&format!("did you mean {meant}?")), "{text}");
    }
}

#[test]
fn variables_of_others_are_not_checked() {
    let config = config(&[
        ("GATE_POLICY", POLICY),
        ("GATEWAY", "x"),
        ("AWS_GATE_MODE", "x"),
        ("GATE", "x"),
        ("PATH", "/bin"),
    ]);
    assert!(config.is_ok());
}

#[test]
fn edit_distance_counts_insertions_deletions_and_substitutions() {
    assert_eq!(edit_distance("GATE_DRYRUN", "GATE_DRY_RUN"), 1);
    assert_eq!(edit_distance("GATE_MODE", "GATE_MODE"), 0);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("abc", ""), 3);
}

#[cfg(unix)]
#[test]
fn a_gate_variable_that_is_not_unicode_is_an_error() {
    use std::os::unix::ffi::OsStringExt;
    let os = |bytes: &[u8]| OsString::from_vec(bytes.to_vec());
    // Given a GATE_ variable whose name or value is not UTF-8
    for (name, value) in [
        (os(b"GATE_MODE"), os(b"of\xfff")),
        (os(b"GATE_\xff"), os(b"on")),
    ] {
        // When the environment is read
        let error =
            unicode_vars([(os(b"GATE_POLICY"), os(POLICY.as_bytes())), (name, value)]).unwrap_err();
        // Then the function does not start
        assert!(matches!(error, ConfigError::NotUnicode { .. }), "{error}");
        assert!(error.to_string().contains("not valid UTF-8"), "{error}");
    }
    // Given someone else's variable that is not UTF-8, it is left out
    let vars = unicode_vars([(os(b"AWS_REGION"), os(b"\xff")), (os(b"A"), os(b"b"))]).unwrap();
    assert_eq!(vars, vec![("A".to_owned(), "b".to_owned())]);
}

#[test]
fn off_starts_whatever_else_is_wrong_and_reads_no_policy() {
    let broken: [&[(&str, &str)]; 6] = [
        &[("GATE_POLICY", r#"{"rules":[{"name":""}]}"#)],
        &[("GATE_POLICY", "not json")],
        &[],
        &[("GATE_POLICY_FILE", "/no/such/policy.json")],
        &[
            ("GATE_POLICY", POLICY),
            ("GATE_DRYRUN", "true"),
            ("GATE_DRY_RUN", ""),
        ],
        &[
            ("GATE_POLICY", POLICY),
            ("GATE_ALLOWED_TOPIC_ARNS", "*"),
            ("GATE_DECISION_TOPIC_ARN", "decisions"),
        ],
    ];
    for vars in broken {
        // Given the kill switch off, and a configuration that would not start on
        assert!(config(vars).is_err(), "{vars:?}");
        let mut vars = vars.to_vec();
        vars.push(("GATE_MODE", "off"));
        // When the configuration is read
        let config = config(&vars).unwrap();
        // Then the gate starts off: no rule, no topic, nothing to answer with
        assert!(config.settings.off, "{vars:?}");
        assert!(config.policy.rules.is_empty());
        assert_eq!(config.decision_topic_arn, None);
    }
    // A kill switch that cannot be read is still an error
    for mode in ["Off", "", "of"] {
        let text = error_text(&[("GATE_POLICY", "not json"), ("GATE_MODE", mode)]);
        assert!(text.starts_with("GATE_MODE is invalid"), "{text}");
    }
}

#[test]
fn the_metrics_namespace_defaults_and_follows_cloudwatchs_rules() {
    let namespace = |value: &str| {
        config(&[("GATE_POLICY", POLICY), ("GATE_METRICS_NAMESPACE", value)])
            .map(|config| config.settings.metrics_namespace)
    };
    assert_eq!(
        config(&[("GATE_POLICY", POLICY)])
            .unwrap()
            .settings
            .metrics_namespace,
        "ApprovalGate"
    );
    assert_eq!(namespace("").unwrap(), "ApprovalGate", "empty is unset");
    assert_eq!(
        namespace("Shop/Release Gate#2").unwrap(),
        "Shop/Release Gate#2"
    );
    for bad in [
        "AWS/Lambda",
        ":gate",
        "gate\u{e9}",
        " gate",
        &"n".repeat(256),
    ] {
        let error = namespace(bad).unwrap_err().to_string();
        assert!(
            error.starts_with("GATE_METRICS_NAMESPACE is invalid"),
            "{bad:?}: {error}"
        );
    }
}

mod appconfig;

#[test]
fn wake_ups_need_their_group_and_role_together() {
    const ROLE: &str = "arn:aws:iam::123456789012:role/approval-gate-WakeUpRole-1A2B3C";
    let read = config(&[
        ("GATE_POLICY", POLICY),
        ("GATE_WAKEUP_GROUP", "approval-gate-wake-ups"),
        ("GATE_WAKEUP_ROLE_ARN", ROLE),
    ])
    .unwrap();
    assert_eq!(
        read.wakeups,
        Some(WakeupSetting {
            group: "approval-gate-wake-ups".into(),
            role_arn: ROLE.into(),
        })
    );
    assert_eq!(config(&[("GATE_POLICY", POLICY)]).unwrap().wakeups, None);
    assert!(
        error_text(&[("GATE_POLICY", POLICY), ("GATE_WAKEUP_GROUP", "g")]).contains("go together")
    );
    assert!(
        error_text(&[("GATE_POLICY", POLICY), ("GATE_WAKEUP_ROLE_ARN", ROLE)])
            .contains("go together")
    );
    for (group, role) in [
        ("wake/ups", ROLE),
        (&"g".repeat(65), ROLE),
        ("g", "arn:aws:iam::123456789012:user/someone"),
        ("g", "arn:aws:iam::12345:role/r"),
        ("g", "arn:aws:lambda:us-east-1:123456789012:function:f"),
    ] {
        let refused = config(&[
            ("GATE_POLICY", POLICY),
            ("GATE_WAKEUP_GROUP", group),
            ("GATE_WAKEUP_ROLE_ARN", role),
        ]);
        assert!(refused.is_err(), "{group} {role}");
    }
}
