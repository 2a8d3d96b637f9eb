//! A deliberately small JSON Schema validator for the keywords `policy.schema.json` and
//! `chat-notification.schema.json` use,
//! so that every example policy is checked against the schema without a validator crate
//! and its dozens of dependencies. It refuses any keyword it does not know, so a schema
//! that grows a new keyword fails the test instead of being half-checked.

use regex::Regex;
use serde_json::Value;

/// Keywords that assert nothing. `format` is one in draft 2020-12 unless a schema asks for the
/// format-assertion vocabulary, which `policy.schema.json` does not (schemars writes
/// `uint64` and `double` for a rule's numbers).
const ANNOTATIONS: [&str; 7] = [
    "$schema",
    "$comment",
    "title",
    "description",
    "default",
    "$defs",
    "format",
];

/// The problems of `instance` against `schema` (the root, for `$ref`s), each with its path.
pub fn errors(root: &Value, instance: &Value) -> Vec<String> {
    let mut found = Vec::new();
    check(root, root, instance, "$", &mut found);
    found
}

fn check(root: &Value, schema: &Value, instance: &Value, at: &str, found: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        found.push(format!("{at}: schema is not an object"));
        return;
    };
    for (keyword, value) in schema {
        match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => {
                let pointer = value.as_str().unwrap().trim_start_matches('#');
                let target = root.pointer(pointer).expect("a $ref that resolves");
                check(root, target, instance, at, found);
            }
            "type" => {
                let kinds: Vec<&str> = match value {
                    Value::String(kind) => vec![kind.as_str()],
                    Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
                    _ => panic!("{at}: odd type {value}"),
                };
                if !kinds.iter().any(|kind| is(kind, instance)) {
                    found.push(format!("{at}: expected {kinds:?}, got {instance}"));
                }
            }
            "properties" => {
                let (Some(properties), Some(object)) = (value.as_object(), instance.as_object())
                else {
                    continue;
                };
                for (name, field) in object {
                    if let Some(property) = properties.get(name) {
                        check(root, property, field, &format!("{at}.{name}"), found);
                    }
                }
            }
            "additionalProperties" => {
                let allowed = schema.get("properties").and_then(Value::as_object);
                let object = instance.as_object().into_iter().flatten();
                for (name, field) in object {
                    if allowed.is_some_and(|allowed| allowed.contains_key(name)) {
                        continue;
                    }
                    match value {
                        Value::Bool(false) => found.push(format!("{at}: unknown field {name}")),
                        Value::Object(_) => {
                            check(root, value, field, &format!("{at}.{name}"), found)
                        }
                        _ => panic!("{at}: additionalProperties is false or a schema"),
                    }
                }
            }
            "required" => {
                for name in value.as_array().unwrap().iter().filter_map(Value::as_str) {
                    if instance.as_object().is_some_and(|o| !o.contains_key(name)) {
                        found.push(format!("{at}: missing {name}"));
                    }
                }
            }
            "items" => {
                for (index, item) in instance.as_array().into_iter().flatten().enumerate() {
                    check(root, value, item, &format!("{at}[{index}]"), found);
                }
            }
            "enum" => {
                if !value.as_array().unwrap().contains(instance) {
                    found.push(format!("{at}: {instance} is not one of {value}"));
                }
            }
            "const" => {
                if value != instance {
                    found.push(format!("{at}: {instance} is not {value}"));
                }
            }
            "anyOf" => {
                let matching = value.as_array().unwrap().iter().any(|choice| {
                    let mut inner = Vec::new();
                    check(root, choice, instance, at, &mut inner);
                    inner.is_empty()
                });
                if !matching {
                    found.push(format!("{at}: {instance} matches none of anyOf"));
                }
            }
            "not" => {
                let mut inner = Vec::new();
                check(root, value, instance, at, &mut inner);
                if inner.is_empty() {
                    found.push(format!("{at}: {instance} matches what \"not\" refuses"));
                }
            }
            "oneOf" => {
                let matching = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|choice| {
                        let mut inner = Vec::new();
                        check(root, choice, instance, at, &mut inner);
                        inner.is_empty()
                    })
                    .count();
                if matching != 1 {
                    found.push(format!("{at}: {instance} matches {matching} of oneOf"));
                }
            }
            "pattern" => {
                let pattern = Regex::new(value.as_str().unwrap()).unwrap();
                if let Some(text) = instance.as_str()
                    && !pattern.is_match(text)
                {
                    found.push(format!("{at}: {text:?} does not match {pattern}"));
                }
            }
            "minLength" | "maxLength" => {
                let limit = value.as_u64().unwrap() as usize;
                if let Some(text) = instance.as_str() {
                    let length = text.chars().count();
                    let fits = if keyword == "minLength" {
                        length >= limit
                    } else {
                        length <= limit
                    };
                    if !fits {
                        found.push(format!("{at}: length {length} breaks {keyword} {limit}"));
                    }
                }
            }
            "minItems" | "maxItems" => {
                let limit = value.as_u64().unwrap() as usize;
                if let Some(items) = instance.as_array() {
                    let count = items.len();
                    let fits = if keyword == "minItems" {
                        count >= limit
                    } else {
                        count <= limit
                    };
                    if !fits {
                        found.push(format!("{at}: {count} items break {keyword} {limit}"));
                    }
                }
            }
            "minProperties" | "maxProperties" => {
                let limit = value.as_u64().unwrap() as usize;
                if let Some(object) = instance.as_object() {
                    let count = object.len();
                    let fits = if keyword == "minProperties" {
                        count >= limit
                    } else {
                        count <= limit
                    };
                    if !fits {
                        found.push(format!("{at}: {count} properties break {keyword} {limit}"));
                    }
                }
            }
            "minimum" | "maximum" => {
                let limit = value.as_f64().unwrap();
                if let Some(number) = instance.as_f64() {
                    let fits = if keyword == "minimum" {
                        number >= limit
                    } else {
                        number <= limit
                    };
                    if !fits {
                        found.push(format!("{at}: {number} breaks {keyword} {limit}"));
                    }
                }
            }
            other => panic!("{at}: the test validator does not know the keyword {other}"),
        }
    }
}

fn is(kind: &str, instance: &Value) -> bool {
    match kind {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "boolean" => instance.is_boolean(),
        "integer" => instance.is_i64() || instance.is_u64(),
        "number" => instance.is_number(),
        "null" => instance.is_null(),
        other => panic!("unknown type {other}"),
    }
}
