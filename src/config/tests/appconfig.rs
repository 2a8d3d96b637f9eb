//! Unit tests of the AppConfig settings: where the policy lives, how often it is read,
//! and that exactly one policy source is set.

use super::*;

#[test]
fn reads_the_policy_location_in_appconfig_and_its_refresh_interval() {
    let config = config(&[
        ("GATE_POLICY_APPCONFIG", " web / prod / gate-policy "),
        ("GATE_POLICY_REFRESH_SECONDS", "30"),
    ])
    .unwrap();
    let appconfig = config.appconfig.unwrap();
    assert_eq!(
        appconfig,
        AppConfigSetting {
            application: "web".into(),
            environment: "prod".into(),
            profile: "gate-policy".into(),
            refresh_every: Duration::from_secs(30),
        }
    );
    assert_eq!(appconfig.location(), "AppConfig web/prod/gate-policy");
    // Nothing is decided by the placeholder: main reads the policy from AppConfig.
    assert!(config.policy.rules.is_empty());
    let default = self::config(&[("GATE_POLICY_APPCONFIG", "a1b2c3d/e4f5g6h/i7j8k9l")]).unwrap();
    assert_eq!(default.appconfig.unwrap().refresh_every, DEFAULT_REFRESH);
}

#[test]
fn exactly_one_policy_source_may_be_set() {
    let appconfig = ("GATE_POLICY_APPCONFIG", "web/prod/gate-policy");
    for two in [
        vec![("GATE_POLICY", POLICY), appconfig],
        vec![("GATE_POLICY_FILE", "/p.json"), appconfig],
        vec![
            ("GATE_POLICY", POLICY),
            ("GATE_POLICY_FILE", "/p.json"),
            appconfig,
        ],
    ] {
        assert!(
            matches!(config(&two), Err(ConfigError::TwoPolicies)),
            "{two:?}"
        );
    }
    assert!(error_text(&[("GATE_POLICY", POLICY), appconfig]).contains("GATE_POLICY_APPCONFIG"));
}

#[test]
fn a_malformed_appconfig_location_is_an_error_naming_the_variable() {
    for bad in [
        "",
        "  ",
        "web/prod",
        "web/prod/gate-policy/extra",
        "web//gate-policy",
        "web/prod env/gate-policy",
        "/prod/gate-policy",
    ] {
        let text = error_text(&[("GATE_POLICY_APPCONFIG", bad)]);
        assert!(
            text.starts_with("GATE_POLICY_APPCONFIG is invalid"),
            "{bad:?}: {text}"
        );
    }
    let long = format!("web/prod/{}", "p".repeat(129));
    assert!(error_text(&[("GATE_POLICY_APPCONFIG", &long)]).contains("configuration profile"));
}

#[test]
fn the_refresh_interval_is_checked_and_needs_appconfig() {
    let appconfig = ("GATE_POLICY_APPCONFIG", "web/prod/gate-policy");
    for bad in ["", " ", "14", "3601", "60s", "-60", "1.5"] {
        let text = error_text(&[appconfig, ("GATE_POLICY_REFRESH_SECONDS", bad)]);
        assert!(
            text.starts_with("GATE_POLICY_REFRESH_SECONDS is invalid"),
            "{bad:?}: {text}"
        );
    }
    for good in ["15", "3600"] {
        assert!(config(&[appconfig, ("GATE_POLICY_REFRESH_SECONDS", good)]).is_ok());
    }
    let text = error_text(&[
        ("GATE_POLICY", POLICY),
        ("GATE_POLICY_REFRESH_SECONDS", "60"),
    ]);
    assert!(
        text.contains("only applies to a policy from GATE_POLICY_APPCONFIG"),
        "{text}"
    );
}

#[test]
fn the_kill_switch_reads_no_appconfig_setting() {
    let off = config(&[
        ("GATE_MODE", "off"),
        ("GATE_POLICY_APPCONFIG", "not a location"),
        ("GATE_POLICY_REFRESH_SECONDS", "0"),
    ])
    .unwrap();
    assert!(off.settings.off && off.appconfig.is_none());
}
