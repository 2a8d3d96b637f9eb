//! The docs cannot drift from the code: every policy shown in README.md and docs/*.md loads,
//! every JSON block is either a policy (or a fragment of one) or explicitly recognised as
//! something else, README stays short, and every relative link and anchor resolves.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use approval_gate::policy::Policy;
use serde_json::{Map, Value};

use crate::schema;

/// README is the guide a platform engineer reads first; the reference lives in docs/.
const README_MAX_LINES: usize = 260;

/// Members of a rule that a doc may show on their own, as `"revisions": {...}`.
const RULE_MEMBERS: [&str; 5] = [
    "match",
    "require_succeeded",
    "windows",
    "revisions",
    "on_fail",
];

/// A fenced code block: its info string, its text and the line its fence opens on.
struct Block {
    lang: String,
    text: String,
    line: usize,
}

/// One markdown file of the docs, read from the crate root.
struct Doc {
    path: PathBuf,
    text: String,
}

impl Doc {
    fn name(&self) -> String {
        self.path
            .strip_prefix(root())
            .unwrap_or(&self.path)
            .display()
            .to_string()
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, in a stable order.
fn docs() -> Vec<Doc> {
    let mut paths = vec![root().join("README.md")];
    let mut in_docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.expect("docs/ is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    in_docs.sort();
    paths.extend(in_docs);
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            Doc { path, text }
        })
        .collect()
}

fn fence(line: &str) -> Option<&str> {
    line.trim_start().strip_prefix("```")
}

/// The fenced blocks of a markdown text.
fn blocks(text: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in text.lines().enumerate() {
        match (open.take(), fence(line)) {
            (None, Some(info)) => {
                open = Some(Block {
                    lang: info.trim().to_owned(),
                    text: String::new(),
                    line: index + 1,
                })
            }
            (None, None) => {}
            (Some(block), Some(_)) => found.push(block),
            (Some(mut block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
                open = Some(block);
            }
        }
    }
    assert!(open.is_none(), "a code fence is never closed");
    found
}

/// The lines outside fenced blocks, with their line numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut inside = false;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if fence(line).is_some() {
            inside = !inside;
        } else if !inside {
            lines.push((index + 1, line));
        }
    }
    lines
}

/// What a ```json block in the docs is.
#[derive(Debug)]
enum Example {
    /// A whole policy: loaded as written.
    Policy(String),
    /// Something else (an event, a notice, an IAM document), named for the report.
    NotAPolicy(&'static str),
}

/// Classifies a json block the way a reader would read it, or says why it cannot.
fn classify(text: &str) -> Result<Example, String> {
    let value = match serde_json::from_str::<Value>(text) {
        Ok(value) => value,
        // `"revisions": {...}`: a member of a rule, shown on its own.
        Err(whole) => {
            let member = serde_json::from_str::<Value>(&format!("{{{text}}}"))
                .map_err(|_| format!("neither JSON nor a JSON member: {whole}"))?;
            let object = member.as_object().expect("braces make an object");
            if object.is_empty()
                || !object
                    .keys()
                    .all(|key| RULE_MEMBERS.contains(&key.as_str()))
            {
                return Err(format!(
                    "a JSON member that is not a rule member ({:?}); rule members are {RULE_MEMBERS:?}",
                    object.keys().collect::<Vec<_>>()
                ));
            }
            return Ok(Example::Policy(format!(
                "{{\"rules\": [{{\"name\": \"doc\", {text}}}]}}"
            )));
        }
    };
    let Some(object) = value.as_object() else {
        return Err("a JSON block that is not an object".to_owned());
    };
    let has = |key: &str| object.contains_key(key);
    if has("rules") {
        return Ok(Example::Policy(text.to_owned()));
    }
    if has("schema") && has("execution_id") {
        return Ok(Example::NotAPolicy(
            "a check function's request (the committed sample: check_function_example::)",
        ));
    }
    if has("pass") && has("reason") {
        return Ok(Example::NotAPolicy("a check function's answer"));
    }
    if has("beforeEntry") {
        return Ok(Example::NotAPolicy("a CodePipeline stage condition"));
    }
    if has("name") {
        return Ok(Example::Policy(format!("{{\"rules\": [{text}]}}")));
    }
    if has("Version") && has("Statement") {
        return Ok(Example::NotAPolicy("an IAM or topic policy document"));
    }
    if has("Records") {
        return Ok(Example::NotAPolicy("a Lambda event"));
    }
    if has("approval") {
        return Ok(Example::NotAPolicy("a CodePipeline approval notice"));
    }
    if has("version") && has("source") && has("content") {
        return Ok(Example::NotAPolicy(
            "a chat notification (checked against its schema in chat::)",
        ));
    }
    if has("source") && has("detail-type") {
        return Ok(Example::NotAPolicy("an EventBridge event or event pattern"));
    }
    Err(format!("unrecognised keys {:?}", keys(object)))
}

fn keys(object: &Map<String, Value>) -> Vec<&String> {
    object.keys().collect()
}

#[test]
fn every_json_example_is_a_policy_that_loads_or_is_recognised_as_something_else() {
    let mut loaded = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for doc in docs() {
        for block in blocks(&doc.text) {
            let place = format!("{}:{}", doc.name(), block.line);
            if block.lang != "json" {
                // A JSON example outside a ```json fence would escape this test.
                let trimmed = block.text.trim_start();
                if trimmed.starts_with('{') && serde_json::from_str::<Value>(trimmed).is_ok() {
                    failures.push(format!("{place}: a JSON block not fenced as ```json"));
                }
                continue;
            }
            match classify(&block.text) {
                Ok(Example::Policy(policy)) => match Policy::from_json(&policy) {
                    Ok(_) => {
                        let value = serde_json::from_str(&policy).expect("a policy that loads is JSON");
                        for error in schema::errors(&policy_schema(), &value) {
                            failures.push(format!("{place}: the schema refuses the policy: {error}"));
                        }
                        loaded.push(place);
                    }
                    Err(error) => failures.push(format!("{place}: the policy does not load: {error}")),
                },
                Ok(Example::NotAPolicy(what)) => skipped.push(format!("{place}: {what}")),
                Err(why) => failures.push(format!(
                    "{place}: cannot classify this json block ({why}); teach tests/docs.rs what it is"
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("policies loaded: {loaded:#?}\nnot policies: {skipped:#?}");
    assert!(
        loaded.iter().any(|place| place.starts_with("README.md:")),
        "README shows no policy: {loaded:?}"
    );
    assert!(
        loaded
            .iter()
            .filter(|place| place.starts_with("docs/policy.md:"))
            .count()
            >= 5,
        "docs/policy.md shows fewer policies than expected, was the extraction broken? {loaded:?}"
    );
}

/// policy.schema.json as checked in.
fn policy_schema() -> Value {
    let text = fs::read_to_string(root().join("policy.schema.json")).expect("policy.schema.json");
    serde_json::from_str(&text).expect("policy.schema.json is JSON")
}

#[test]
fn the_checked_in_schema_is_the_one_the_document_types_generate() {
    let generated = serde_json::to_string_pretty(&approval_gate::policy::json_schema()).unwrap();
    let checked_in = fs::read_to_string(root().join("policy.schema.json")).unwrap();
    assert!(
        checked_in == format!("{generated}\n"),
        "policy.schema.json is out of date; regenerate it with\n    \
         cargo run --features cli --bin approval-gate-cli -- schema > policy.schema.json"
    );
}

#[test]
fn every_example_policy_loads_and_fits_the_schema() {
    let mut examples: Vec<PathBuf> = fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|entry| entry.expect("examples/ is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 5, "{examples:?}");
    let schema = policy_schema();
    let mut failures = Vec::new();
    for path in &examples {
        let text = fs::read_to_string(path).unwrap();
        let name = path.display();
        if let Err(error) = Policy::from_json(&text) {
            failures.push(format!("{name}: {error}"));
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["$schema"], "../policy.schema.json",
            "{name}: an editor finds the schema"
        );
        failures.extend(
            schema::errors(&schema, &value)
                .into_iter()
                .map(|e| format!("{name}: {e}")),
        );
        let explained = fs::read_to_string(root().join("examples/README.md")).unwrap();
        let file = path.file_name().unwrap().to_string_lossy();
        if !explained.contains(&format!("]({file})")) {
            failures.push(format!("examples/README.md does not explain {file}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_schema_refuses_what_the_parser_refuses_in_shape() {
    let schema = policy_schema();
    // And accepts what it loads: a function that defers under a rule that abstains.
    let accepted = r#"{"rules": [{"name": "a", "function": {"arn": "arn:aws:lambda:eu-west-1:111122223333:function:f", "on_fail": "defer"}}]}"#;
    Policy::from_json(accepted).expect("loads");
    assert_eq!(
        schema::errors(&schema, &serde_json::from_str(accepted).unwrap()),
        Vec::<String>::new()
    );
    let refused = [
        r#"{"rules": [{"name": "a", "on_fail": "defer"}]}"#,
        r#"{"rules": [{"name": "a", "windows": null}]}"#,
        r#"{"rules": [{"name": "a", "typo": 1}]}"#,
        r#"{"rules": [{"name": "a", "windows": {"timezone": "UTC", "allow": [{"days": ["monday"], "from": "09:00", "to": "10:00"}]}}]}"#,
        r#"{"rules": [{"name": "a", "windows": {"timezone": "UTC", "allow": [{"days": ["mon"], "from": "9:00", "to": "10:00"}]}}]}"#,
        r#"{"rules": [{"name": "a", "revisions": {"max_age": "1h30m"}}]}"#,
        r#"{"rules": [{"match": {}}]}"#,
        r#"{"rules": [{"name": "a", "windows": {"timezone": "UTC", "allow": [{"cron": "* * 9 ? * * *", "days": ["mon"]}]}}]}"#,
        r#"{"rules": [{"name": "a", "windows": {"timezone": "UTC", "allow": [{"days": ["mon"], "from": "09:00"}]}}]}"#,
        // A function's failure may not abstain, by its own on_fail or the rule's.
        r#"{"rules": [{"name": "a", "function": {"arn": "arn:aws:lambda:eu-west-1:111122223333:function:f"}}]}"#,
        r#"{"rules": [{"name": "a", "on_fail": "abstain", "function": {"arn": "arn:aws:lambda:eu-west-1:111122223333:function:f"}}]}"#,
        r#"{"rules": [{"name": "a", "on_fail": "reject", "function": {"arn": "arn:aws:lambda:eu-west-1:111122223333:function:f", "on_fail": "abstain"}}]}"#,
        r##"{"rules": [{"name": "a", "variables": [{"variable": "#{Scan.X}", "equals": "0", "at_most": 1}]}]}"##,
        r##"{"rules": [{"name": "a", "variables": [{"variable": "#{Scan.X}"}]}]}"##,
        r#"{"rules": [{"name": "a", "variables": []}]}"#,
        r#"{"rules": [{"name": "a", "on_fail": "reject", "function": {"arn": "arn:aws:lambda:eu-west-1:111122223333:function:f", "timeout_seconds": 11}}]}"#,
    ];
    for text in refused {
        assert!(
            Policy::from_json(text).is_err(),
            "the parser refuses {text}"
        );
        let value: Value = serde_json::from_str(text).unwrap();
        assert!(
            !schema::errors(&schema, &value).is_empty(),
            "the schema refuses {text}"
        );
    }
}

#[test]
fn the_classifier_wraps_fragments_and_refuses_the_unknown() {
    let rule = r#"{"name": "r", "match": {"stage": "Approve"}}"#;
    let Ok(Example::Policy(policy)) = classify(rule) else {
        panic!("a rule is a policy fragment")
    };
    Policy::from_json(&policy).expect("a wrapped rule loads");
    let member = r#""revisions": {"max_age": "14d"}"#;
    let Ok(Example::Policy(policy)) = classify(member) else {
        panic!("a revisions member is a policy fragment")
    };
    Policy::from_json(&policy).expect("a wrapped member loads");
    let broken = r#""revisions": {"max_age": "1h30m"}"#;
    let Ok(Example::Policy(policy)) = classify(broken) else {
        panic!("a revisions member is a policy fragment")
    };
    assert!(Policy::from_json(&policy).is_err(), "a wrong example fails");
    assert!(matches!(
        classify(r#"{"Version": "2012-10-17", "Statement": []}"#),
        Ok(Example::NotAPolicy(_))
    ));
    assert!(matches!(
        classify(r#"{"pass": true, "reason": "change CHG-1 is approved"}"#),
        Ok(Example::NotAPolicy(_))
    ));
    assert!(matches!(
        classify(r#"{"beforeEntry": {"conditions": []}}"#),
        Ok(Example::NotAPolicy(_))
    ));
    assert!(classify(r#"{"something": "else"}"#).is_err());
    assert!(classify(r#""timezone": "UTC""#).is_err());
    assert!(classify("[1, 2]").is_err());
    assert!(classify("not json").is_err());
}

#[test]
fn readme_stays_a_short_guide() {
    let readme = fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move reference material to docs/"
    );
}

/// GitHub's anchor for a heading: lowercase, punctuation other than '-' and '_' dropped,
/// spaces turned into '-'.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a markdown text defines: its headings (repeats get `-1`, `-2`, …, as on
/// GitHub) and explicit `<a id="…">` / `<a name="…">` targets.
fn anchors(text: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    for (_, line) in prose(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let base = anchor(line[hashes..].trim().trim_end_matches('#'));
            let mut candidate = base.clone();
            let mut repeat = 0;
            while found.contains(&candidate) {
                repeat += 1;
                candidate = format!("{base}-{repeat}");
            }
            found.insert(candidate);
        }
        for attribute in ["<a id=\"", "<a name=\""] {
            let mut rest = line;
            while let Some(start) = rest.find(attribute) {
                rest = &rest[start + attribute.len()..];
                if let Some(end) = rest.find('"') {
                    found.insert(rest[..end].to_owned());
                }
            }
        }
    }
    found
}

/// Inline code spans removed, so `web-[a-z]*` and the like are not read as links.
fn without_code(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        match after.find(&"`".repeat(ticks)) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The targets of the inline links `[text](target)` on a line.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code(line);
    let mut targets = Vec::new();
    let mut rest = line.as_str();
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        if let Some(end) = rest.find(')') {
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            targets.push(target.to_owned());
            rest = &rest[end..];
        }
    }
    targets
}

#[test]
fn every_relative_link_points_to_an_existing_file_and_heading() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for doc in docs() {
        let dir = doc.path.parent().expect("a file has a folder");
        for (line_number, line) in prose(&doc.text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let place = format!("{}:{line_number}: ({target})", doc.name());
                let (file, fragment) = match target.split_once('#') {
                    Some((file, fragment)) => (file, Some(fragment)),
                    None => (target.as_str(), None),
                };
                let path = if file.is_empty() {
                    doc.path.clone()
                } else {
                    dir.join(file)
                };
                if !path.exists() {
                    failures.push(format!("{place}: no file {}", path.display()));
                    continue;
                }
                let Some(fragment) = fragment else { continue };
                if path.extension().is_none_or(|ext| ext != "md") {
                    failures.push(format!(
                        "{place}: an anchor into a file that is not markdown"
                    ));
                    continue;
                }
                let text = fs::read_to_string(&path).expect("a linked file is readable");
                if !anchors(&text).contains(fragment) {
                    failures.push(format!("{place}: no heading with anchor #{fragment}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "broken links:\n{}",
        failures.join("\n")
    );
    assert!(
        checked > 10,
        "found only {checked} relative links: is the link scanner broken?"
    );
}

#[test]
fn anchors_follow_githubs_rules() {
    assert_eq!(
        anchor("Time windows and freezes (`rules[].windows`)"),
        "time-windows-and-freezes-ruleswindows"
    );
    assert_eq!(
        anchor("`artifacts`: checking some sources only"),
        "artifacts-checking-some-sources-only"
    );
    assert_eq!(anchor("`require_succeeded`"), "require_succeeded");
    let found =
        anchors("# A\n## Validation\n```\n# not a heading\n```\n### Validation\n<a id=\"x\"></a>");
    for expected in ["a", "validation", "validation-1", "x"] {
        assert!(found.contains(expected), "{expected} in {found:?}");
    }
    assert!(!found.contains("not-a-heading"));
    assert_eq!(
        link_targets("see [a](b.md#c) and `[x](y)` and [d](https://e)"),
        ["b.md#c", "https://e"]
    );
}
