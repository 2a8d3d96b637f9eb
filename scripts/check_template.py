#!/usr/bin/env python3
"""Checks the IAM permissions template.yaml gives the function, beyond what cfn-lint checks.

Every statement of every AWS::Serverless::Function's `Policies` must:
  - name only actions from ALLOWED_ACTIONS, none with a wildcard;
  - use the resource "*" only for codepipeline:ListPipelines (IAM accepts nothing else there);
  - for codepipeline:PutApprovalResult, name resources that end in "/*" after one pipeline
    name each (PIPELINE/* covers that pipeline's stages and actions, never all pipelines).
Policies that cannot be checked (managed policies, SAM policy templates, NotAction,
NotResource, intrinsic functions this script does not evaluate) fail the check too.

Resources built with intrinsic functions are rendered with sample parameter values, so
`!Split`/`!Sub`/`!Join` over `PipelineNames` are checked as CloudFormation would expand them.

Usage: .venv/bin/python scripts/check_template.py [template.yaml]
Exit status 0 when every statement passes, 1 otherwise (each problem on stderr).
"""

import sys
from pathlib import Path

from cfnlint.decode import decode

ALLOWED_ACTIONS = {
    "codepipeline:GetPipelineState",
    "codepipeline:PutApprovalResult",
    "codepipeline:GetPipelineExecution",
    "codepipeline:ListActionExecutions",
    "codepipeline:GetPipeline",
    "codepipeline:ListPipelines",
    "sns:Publish",
}
# IAM accepts no resource but "*" for these.
ANY_RESOURCE_ACTIONS = {"codepipeline:ListPipelines"}
PIPELINE_SCOPED_ACTIONS = {"codepipeline:PutApprovalResult"}

# Sample values for rendering resources; two pipelines, one of them a pattern.
SAMPLE_PIPELINES = ["web-shop", "api-*"]
PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "approval-gate",
    "AWS::URLSuffix": "amazonaws.com",
}


class Unverifiable(Exception):
    """Something this script cannot evaluate, so cannot vouch for."""


class Renderer:
    """Expands the intrinsic functions used in resources, with sample parameter values."""

    def __init__(self, template):
        self.parameters = {}
        for name, spec in (template.get("Parameters") or {}).items():
            kind = spec.get("Type", "String")
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                self.parameters[name] = list(SAMPLE_PIPELINES)
            else:
                self.parameters[name] = f"sample-{name}"
        for name in ("DecisionTopicArn", "ApprovalTopicArn"):
            if name in self.parameters:
                self.parameters[name] = f"arn:aws:sns:us-east-1:123456789012:{name}"
        self.resources = template.get("Resources") or {}

    def ref(self, name):
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return f"arn:aws:sample:us-east-1:123456789012:{name}"
        raise Unverifiable(f"Ref to unknown {name}")

    def render(self, value):
        """A string or a list of strings, as CloudFormation would produce."""
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            out = []
            for item in value:
                rendered = self.render(item)
                out.extend(rendered if isinstance(rendered, list) else [rendered])
            return out
        if isinstance(value, dict) and len(value) == 1:
            (function, args), = value.items()
            if function == "Ref":
                return self.ref(args)
            if function == "Fn::GetAtt":
                target = args if isinstance(args, list) else args.split(".", 1)
                return f"arn:aws:sample:us-east-1:123456789012:{target[0]}"
            if function == "Fn::Join":
                delimiter, items = args
                items = self.render(items)
                return delimiter.join(items if isinstance(items, list) else [items])
            if function == "Fn::Split":
                delimiter, text = args
                return self.render(text).split(delimiter)
            if function == "Fn::Select":
                index, items = args
                return self.render(items)[int(index)]
            if function == "Fn::Sub":
                if isinstance(args, str):
                    text, variables = args, {}
                else:
                    text, variables = args[0], args[1]
                return self.substitute(text, variables)
        raise Unverifiable(f"cannot evaluate {dict(value) if isinstance(value, dict) else value!r}")

    def substitute(self, text, variables):
        out, rest = "", text
        while "${" in rest:
            before, after = rest.split("${", 1)
            name, rest = after.split("}", 1)
            out += before
            if name.startswith("!"):
                out += "${" + name[1:] + "}"
                continue
            if name in variables:
                value = self.render(variables[name])
            elif "." in name:
                value = self.render({"Fn::GetAtt": name.split(".", 1)})
            else:
                value = self.ref(name)
            if isinstance(value, list):
                raise Unverifiable(f"${{{name}}} is a list inside Fn::Sub")
            out += value
        return out + rest


def as_list(value):
    return value if isinstance(value, list) else [value]


def documents(policy):
    """The policy documents a `Policies` entry can stand for (both branches of an Fn::If)."""
    if isinstance(policy, dict) and set(policy) == {"Fn::If"}:
        _, yes, no = policy["Fn::If"]
        return documents(yes) + documents(no)
    if isinstance(policy, dict) and set(policy) == {"Ref"} and policy["Ref"] == "AWS::NoValue":
        return []
    if isinstance(policy, dict) and "Statement" in policy:
        return [policy]
    raise Unverifiable(
        f"policy {policy!r} is not an inline policy document (managed policies and SAM "
        "policy templates grant what this check cannot see)"
    )


def statements(document):
    found = []
    for statement in as_list(document["Statement"]):
        if isinstance(statement, dict) and set(statement) == {"Fn::If"}:
            _, yes, no = statement["Fn::If"]
            found += [s for s in (yes, no) if s != {"Ref": "AWS::NoValue"}]
        else:
            found.append(statement)
    return found


def check_statement(statement, renderer):
    """The problems of one statement (empty when it passes)."""
    problems = []
    for key in ("NotAction", "NotResource", "NotPrincipal"):
        if key in statement:
            problems.append(f"uses {key}, which grants everything it does not name")
    if statement.get("Effect") != "Allow":
        return problems
    actions = as_list(statement.get("Action", []))
    if not actions or not all(isinstance(a, str) for a in actions):
        return problems + [f"Action {statement.get('Action')!r} is not a list of names"]
    allowed = {a.lower(): a for a in ALLOWED_ACTIONS}
    for action in actions:
        if "*" in action or "?" in action:
            problems.append(f"Action {action!r} has a wildcard")
        elif action.lower() not in allowed:
            problems.append(f"Action {action!r} is not one of {sorted(ALLOWED_ACTIONS)}")
    try:
        resources = as_list(renderer.render(statement.get("Resource", [])))
    except Unverifiable as error:
        return problems + [f"Resource cannot be checked: {error}"]
    if not resources:
        problems.append("no Resource")
    canonical = {allowed.get(a.lower(), a) for a in actions}
    if "*" in resources and canonical - ANY_RESOURCE_ACTIONS:
        problems.append(
            f'Resource "*" for {sorted(canonical - ANY_RESOURCE_ACTIONS)}; only '
            f"{sorted(ANY_RESOURCE_ACTIONS)} may use it"
        )
    if canonical & PIPELINE_SCOPED_ACTIONS:
        pipelines = set()
        for resource in resources:
            parts = resource.split(":", 5)
            name = parts[5] if len(parts) == 6 else ""
            pipeline = name[: -len("/*")] if name.endswith("/*") else None
            is_codepipeline = len(parts) == 6 and parts[0] == "arn" and parts[2] == "codepipeline"
            if not is_codepipeline or pipeline in (None, "", "*"):
                problems.append(
                    f"PutApprovalResult resource {resource!r} is not "
                    "arn:...:codepipeline:...:PIPELINE/* for one pipeline"
                )
            else:
                pipelines.add(pipeline)
        if not problems and pipelines != set(SAMPLE_PIPELINES):
            problems.append(
                f"PutApprovalResult resources name {sorted(pipelines)}, not one each of the "
                f"pipelines given ({SAMPLE_PIPELINES} as a sample)"
            )
    return problems


def main():
    root = Path(__file__).resolve().parent.parent
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "template.yaml"
    template, matches = decode(str(path))
    if matches or template is None:
        for match in matches:
            print(f"template IAM: {path}: {match}", file=sys.stderr)
        print(f"template IAM: {path} could not be read", file=sys.stderr)
        return 1
    renderer = Renderer(template)
    checked, problems = 0, []
    functions = {
        name: resource
        for name, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }
    if not functions:
        problems.append("no AWS::Serverless::Function in the template")
    for name, function in functions.items():
        for index, policy in enumerate((function.get("Properties") or {}).get("Policies") or []):
            try:
                found = [s for document in documents(policy) for s in statements(document)]
            except Unverifiable as error:
                problems.append(f"{name}.Policies[{index}]: {error}")
                continue
            for statement in found:
                checked += 1
                where = f"{name}.Policies[{index}] {statement.get('Sid', '(no Sid)')}"
                problems += [f"{where}: {p}" for p in check_statement(statement, renderer)]
    if problems:
        for problem in problems:
            print(f"template IAM: {problem}", file=sys.stderr)
        print(f"template IAM: {checked} statements checked, {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"template IAM: {checked} statements checked, ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
