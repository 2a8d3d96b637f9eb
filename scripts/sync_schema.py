#!/usr/bin/env python3
"""Writes the policy's JSON Schema into template.yaml as the AppConfig profile's validator.

AWS AppConfig's JSON_SCHEMA validator reads JSON Schema draft 4 only ("AWS AppConfig supports
JSON Schema version 4.X for inline schema", AWS AppConfig User Guide, "About validators").
policy.schema.json (what `approval-gate-cli schema` prints) is draft 2020-12, and a draft-4
reader would misread it: `const` is not a draft-4 keyword, so it would be ignored, and a
`oneOf` like [{"enum": ["reject"]}, {"const": "abstain"}] would then refuse "reject" (both
branches match) and accept any other string. So the validator is this faithful translation
of it, keyword by keyword, with the same meaning:

  - "$schema": the 2020-12 meta-schema -> "http://json-schema.org/draft-04/schema#";
  - "$defs" -> "definitions", and every "$ref": "#/$defs/NAME" -> "#/definitions/NAME";
  - "const": VALUE -> "enum": [VALUE] (one value; no "enum" beside it);
  - a "$ref" with sibling keywords (which 2020-12 applies and draft 4 ignores) ->
    "allOf": [{"$ref": ...}] beside those siblings;
  - every other keyword is kept as is: only keywords that mean the same in both drafts are
    accepted (type, enum, properties, required, additionalProperties, items, oneOf, anyOf,
    allOf, not, pattern, minLength, maxLength, minProperties, maxProperties, minItems,
    maxItems, uniqueItems, minimum, maximum, multipleOf, patternProperties, and the
    annotations title, description, default). Any other keyword (prefixItems, if/then/else,
    unevaluatedProperties, a numeric exclusiveMinimum, format, ...) stops this script: it
    needs a translation decided by a person, not a silent copy.

The result is written minified on the one line after `Content: |-` in the profile's
JSON_SCHEMA validator (the AppConfig validator's content is at most 32,768 characters).
scripts/check_template.py fails when the template's validator is not exactly what this
script makes of policy.schema.json; scripts/test_check_template.py proves both schemas
accept and refuse the same policies.

Usage: .venv/bin/python scripts/sync_schema.py [--check]   (or `make sync-schema`)
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "policy.schema.json"
TEMPLATE = ROOT / "template.yaml"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_04 = "http://json-schema.org/draft-04/schema#"
MAX_CONTENT = 32768
# The line the validator's content follows in template.yaml, and the content's indentation.
MARKER = "# The policy's JSON Schema, for AppConfig (draft 4): scripts/sync_schema.py writes it."
CONTENT_KEY = "Content: |-"

# Keywords whose value is one schema, a list of schemas, or a map of name -> schema.
ONE_SCHEMA = {"not", "additionalProperties", "items"}
SCHEMA_LIST = {"oneOf", "anyOf", "allOf"}
SCHEMA_MAP = {"properties", "patternProperties", "$defs"}
# Keywords with the same meaning in draft 2020-12 and draft 4, copied as they are.
SAME = {
    "type", "enum", "required", "pattern", "minLength", "maxLength", "minProperties",
    "maxProperties", "minItems", "maxItems", "uniqueItems", "minimum", "maximum",
    "multipleOf", "title", "description", "default",
}


class Untranslatable(Exception):
    """A keyword of policy.schema.json with no checked draft-4 translation here."""


def translate(schema, where="#", root=True):
    """The draft-4 schema that accepts exactly what `schema` (draft 2020-12) accepts."""
    if isinstance(schema, bool):
        # true/false schemas are draft 6+; draft 4 has only {} (anything) and {"not": {}}.
        return {} if schema else {"not": {}}
    if not isinstance(schema, dict):
        raise Untranslatable(f"{where}: {schema!r} is not a schema")
    out = {}
    for key, value in schema.items():
        at = f"{where}/{key}"
        if key == "$schema":
            if not root or value != DRAFT_2020_12:
                raise Untranslatable(f"{at}: {value!r} (expected {DRAFT_2020_12} at the root)")
            out["$schema"] = DRAFT_04
        elif key == "$ref":
            if not isinstance(value, str) or not value.startswith("#/$defs/"):
                raise Untranslatable(f"{at}: {value!r} is not a reference into #/$defs")
            out["$ref"] = "#/definitions/" + value[len("#/$defs/"):]
        elif key == "const":
            if "enum" in schema:
                raise Untranslatable(f"{at}: const beside enum")
            out["enum"] = [value]
        elif key in SCHEMA_MAP:
            if key == "$defs" and not root:
                raise Untranslatable(f"{at}: $defs below the root")
            name = "definitions" if key == "$defs" else key
            out[name] = {k: translate(v, f"{at}/{k}", False) for k, v in value.items()}
        elif key in SCHEMA_LIST:
            out[key] = [translate(v, f"{at}/{i}", False) for i, v in enumerate(value)]
        elif key in ONE_SCHEMA:
            if key == "items" and isinstance(value, list):
                raise Untranslatable(f"{at}: a list of items means prefixItems in 2020-12")
            if key == "additionalProperties" and isinstance(value, bool):
                out[key] = value
            else:
                out[key] = translate(value, at, False)
        elif key in SAME:
            out[key] = value
        else:
            raise Untranslatable(f"{at}: no draft-4 translation is defined for {key!r}")
    if "$ref" in out and len(out) > 1:
        # Draft 4 ignores a $ref's siblings; 2020-12 applies both.
        out["allOf"] = [{"$ref": out.pop("$ref")}] + out.get("allOf", [])
    return out


def validator_content(schema_text):
    """The validator's content: the translation, minified, keys in policy.schema.json's order."""
    content = json.dumps(translate(json.loads(schema_text)), separators=(",", ":"), ensure_ascii=True)
    if len(content) > MAX_CONTENT:
        raise Untranslatable(f"the validator is {len(content)} characters; AppConfig takes {MAX_CONTENT}")
    return content


def template_content(text):
    """(index of the content line, its indentation, the content) in template.yaml's lines."""
    lines = text.split("\n")
    marks = [i for i, line in enumerate(lines) if line.strip() == MARKER]
    if len(marks) != 1:
        raise Untranslatable(f"template.yaml has {len(marks)} lines {MARKER!r}, not one")
    # The marker is right above the validator: `- Type: JSON_SCHEMA`, then `Content: |-`.
    found = [i for i in range(marks[0] + 1, min(marks[0] + 4, len(lines) - 1)) if lines[i].strip() == CONTENT_KEY]
    if not found:
        raise Untranslatable(f"no {CONTENT_KEY!r} right after the marker in template.yaml")
    at = found[0]
    line = lines[at + 1]
    indent = line[: len(line) - len(line.lstrip())]
    return at + 1, indent, line.strip()


def main():
    check = sys.argv[1:] == ["--check"]
    try:
        content = validator_content(SCHEMA.read_text())
        text = TEMPLATE.read_text()
        index, indent, current = template_content(text)
    except Untranslatable as error:
        print(f"sync_schema: {error}", file=sys.stderr)
        return 1
    if current == content:
        print("sync_schema: template.yaml's validator is policy.schema.json's translation")
        return 0
    if check:
        print(
            "sync_schema: template.yaml's validator is not policy.schema.json's translation; "
            "run `make sync-schema`",
            file=sys.stderr,
        )
        return 1
    lines = text.split("\n")
    lines[index] = indent + content
    TEMPLATE.write_text("\n".join(lines))
    print(f"sync_schema: wrote the validator ({len(content)} characters) into template.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
