//! The policy's JSON Schema, generated from the very document types the parser reads, so
//! that an editor's view of the policy cannot drift from the gate's. The parser stays the
//! authority: the schema cannot say that a rule is covered by an earlier one, that a time
//! zone exists or that a regular expression compiles.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

use super::PolicyDocument;

/// The JSON Schema (draft 2020-12) of a policy document, as `policy.schema.json` holds it.
pub fn json_schema() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(refuse_null))
        .into_generator();
    let mut schema = generator.into_root_schema_for::<PolicyDocument>();
    schema.insert("title".into(), "approval-gate policy".into());
    schema.to_value()
}

/// The parser refuses `null` wherever a field is optional (leaving the field out is how to
/// not set it), so the schema must not offer it either. Numbers carry no `format`.
fn refuse_null(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if object.get("default").is_some_and(Value::is_null) {
        object.remove("default");
    }
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| kind != "null");
        if let [single] = types.as_slice() {
            let single = single.clone();
            object.insert("type".into(), single);
        }
    }
    if let Some(Value::Array(choices)) = object.get_mut("anyOf") {
        choices.retain(|choice| choice.get("type").is_none_or(|kind| kind != "null"));
        if let [single] = choices.as_slice() {
            let single = single.clone();
            object.remove("anyOf");
            if let Value::Object(inner) = single {
                object.extend(inner);
            }
        }
    }
    // schemars notes the Rust type of a number (`double`, `uint64`) as its format: an
    // annotation nothing validates, which AppConfig's draft-4 validator would not know.
    if object
        .get("type")
        .is_some_and(|kind| kind == "number" || kind == "integer")
    {
        object.remove("format");
    }
}
