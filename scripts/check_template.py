#!/usr/bin/env python3
"""Checks the IAM permissions template.yaml gives the function, beyond what cfn-lint checks.

The function's permissions are its role's, so first the role must be one this script can
read whole:
  - every AWS::Serverless::Function has `Role: !GetAtt ROLE.Arn`, ROLE an AWS::IAM::Role of
    this template (without it SAM makes a role with the managed policy
    AWSLambdaBasicExecutionRole, logs on "*", and policies of its own);
  - the function has no `Policies` (managed policy names or ARNs, SAM policy templates, or
    documents SAM would ignore beside a Role) and no `Connectors`;
  - the role trusts lambda.amazonaws.com only, has no `ManagedPolicyArns`, and only inline
    `Policies` documents (a `PermissionsBoundary` is fine: it can only narrow);
  - the template has no AWS::IAM::ManagedPolicy or AWS::Serverless::Connector, and no
    AWS::IAM::Policy or AWS::IAM::RolePolicy but the wake-up role's (below): any of them could
    attach more to the role.
Then every statement of the role's policies (both branches of each Fn::If) must:
  - name only actions from ALLOWED_ACTIONS, none with a wildcard, and no NotAction,
    NotResource or NotPrincipal;
  - use the resource "*" only for codepipeline:ListPipelines (IAM accepts nothing else there)
    and cloudwatch:DescribeAlarms (composite alarms are returned only with "*");
  - grant ssm:GetCalendarState on exactly the ARNs of ChangeCalendarArns;
  - grant lambda:InvokeFunction (alone in its statement, no Condition) on exactly the ARNs of
    CheckFunctionArns: no other lambda: action, no wildcard action or resource;
  - for the pipeline actions, name one ARN per pipeline given (PipelineNames), PIPELINE for
    the reads and PIPELINE/* for PutApprovalResult; a pipeline segment that is or starts with
    a wildcard (arn:*:codepipeline:*:*:*) fails;
  - pin the region with `aws:RequestedRegion` = AWS::Region where a codepipeline ARN's
    region segment does not;
  - publish (sns:Publish) only to the function's decision topic (GATE_DECISION_TOPIC_ARN);
  - send (sqs:SendMessage) only to the function's OnFailure destination;
  - read AppConfig (StartConfigurationSession, GetLatestConfiguration) only from the
    configuration profile the function's GATE_POLICY_APPCONFIG names, by its exact ARN,
    from parameters whose AllowedPattern refuses wildcards (and see the policy's sources
    below);
  - write logs (CreateLogStream, PutLogEvents) only to the function's log group
    (LoggingConfig.LogGroup) and its log streams;
  - create schedules (scheduler:CreateSchedule, alone in its statement, no Condition) only in
    the wake-up group: exactly arn:PARTITION:scheduler:REGION:ACCOUNT:schedule/GROUP/*, GROUP
    the AWS::Scheduler::ScheduleGroup of this template that GATE_WAKEUP_GROUP names (`!Ref`);
  - pass (iam:PassRole, alone in its statement) exactly the wake-up role, the AWS::IAM::Role of
    this template that GATE_WAKEUP_ROLE_ARN names (`!GetAtt ROLE.Arn`), to EventBridge
    Scheduler only: Condition exactly StringEquals iam:PassedToService =
    scheduler.amazonaws.com.
The wake-up role (EventBridge Scheduler runs the function's wake-up schedules with it):
  - is not the function's role; trusts scheduler.amazonaws.com only, each trust statement with
    the Condition exactly StringEquals aws:SourceAccount = AWS::AccountId and aws:SourceArn =
    the wake-up group's ARN (arn:PARTITION:scheduler:REGION:ACCOUNT:schedule-group/GROUP, the
    group GATE_WAKEUP_GROUP names), so only schedules of that group can use it;
  - has no ManagedPolicyArns, and among its inline Policies and the AWS::IAM::RolePolicy or
    AWS::IAM::Policy resources attached to it (to it alone) exactly one kind of grant:
    lambda:InvokeFunction, alone in its statement, no Condition, on exactly the function's ARN
    and its qualified form (ARN:*).
The check functions (CheckFunctionArns), with the template's Conditions evaluated as
CloudFormation would, in every branch of the role's Fn::Ifs that they allow:
  - with CheckFunctionArns empty (its default "", which CloudFormation gives as [""]), the
    function's role may invoke nothing: no statement that covers lambda:InvokeFunction;
  - with it given (two different values, so a written-out list fails), the role may invoke
    exactly those ARNs, whatever the other parameters;
  - its AllowedPattern refuses wildcards (* and ?, which IAM reads in an ARN) and IAM policy
    variables, and accepts "" and the ARNs this check renders with.
(The wake-up role's own lambda:InvokeFunction on the function is checked above, apart.)
Nothing else in the template (another role, user or group, inline or attached) may grant an
action that matches scheduler:* or iam:PassRole (wildcards and NotAction included), nor carry
managed policies this script cannot read.
And, since failure records hold approval tokens and a flood must not starve the account:
  - the function sets ReservedConcurrentExecutions (at least 1);
  - its OnFailure queue has a queue policy that denies sqs:ReceiveMessage, DeleteMessage and
    ChangeMessageVisibility to every principal but the account root and one given by a
    parameter (StringNotEquals aws:PrincipalArn: no wildcards), and allows nothing else;
  - the parameters that name pipelines refuse a name that starts with a wildcard.
And its triggers: SNS, its schedule, and EventBridge rules on the default bus whose pattern is
exactly (as EventBridge receives it: an object, or the JSON string the intrinsics build) one of
  - CodePipeline's "Action Execution State Change" for approvals that STARTED in the covered
    pipelines: detail.pipeline is one {"wildcard": NAME} per PipelineNames entry, in order,
    built from the parameter (the pattern is rendered with two different PipelineNames values,
    so a literal list fails), and nothing else;
  - CloudWatch's "Alarm State Change" to OK, or SSM's "Calendar State Change" to OPEN;
and PipelineNames' AllowedPattern refuses what would break or widen that string: characters
JSON escapes (double quote, backslash, control characters), ? (EventBridge's wildcard reads
it as a literal ?) and ** (EventBridge refuses consecutive wildcard characters).
And the policy's sources, with the parameters of each (Policy, the three AppConfig IDs,
CreatePolicyStore) set and the template's Conditions and Rules evaluated as CloudFormation
would: the Rules accept exactly Policy alone, the three IDs alone, and CreatePolicyStore
"true" with Policy (every other combination is refused), and in each of the three:
  - exactly one of GATE_POLICY (Policy) and GATE_POLICY_APPCONFIG is set;
  - the role's AppConfig grant is exactly StartConfigurationSession and
    GetLatestConfiguration on exactly the ARN of the profile GATE_POLICY_APPCONFIG names
    (none with Policy alone);
  - the template creates AppConfig resources only with CreatePolicyStore "true", and then
    GATE_POLICY_APPCONFIG names its own application, environment and hosted AWS.Freeform
    profile (of that application), whose one validator is JSON_SCHEMA with exactly the
    draft-4 translation of policy.schema.json that scripts/sync_schema.py writes; its
    first hosted version is Policy (application/json), deployed to that environment.
Anything this script cannot evaluate fails the check too.

Resources built with intrinsic functions are rendered with sample parameter values, so
`!Split`/`!Sub`/`!Join` over `PipelineNames` are checked as CloudFormation would expand them.

Usage: .venv/bin/python scripts/check_template.py [template.yaml]
Exit status 0 when every check passes, 1 otherwise (each problem on stderr).
"""

import fnmatch
import json
import re
import sys
from pathlib import Path

from cfnlint.decode import decode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_schema  # noqa: E402

ALLOWED_ACTIONS = {
    "codepipeline:GetPipelineState",
    "codepipeline:PutApprovalResult",
    "codepipeline:GetPipelineExecution",
    "codepipeline:ListActionExecutions",
    "codepipeline:GetPipeline",
    "codepipeline:ListPipelineExecutions",
    "codepipeline:ListPipelines",
    "cloudwatch:DescribeAlarms",
    "ssm:GetCalendarState",
    "sns:Publish",
    "sqs:SendMessage",
    "appconfig:StartConfigurationSession",
    "appconfig:GetLatestConfiguration",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "scheduler:CreateSchedule",
    "iam:PassRole",
    "lambda:InvokeFunction",
}
# IAM accepts no resource but "*" for ListPipelines; DescribeAlarms returns composite
# alarms only to a role allowed it on "*".
ANY_RESOURCE_ACTIONS = {"codepipeline:ListPipelines", "cloudwatch:DescribeAlarms"}
# Sample values of ChangeCalendarArns: ssm:GetCalendarState may name these only.
SAMPLE_CALENDARS = [
    "arn:aws:ssm:us-east-1:123456789012:document/prod-freeze",
    "arn:aws:ssm:us-east-1:111122223333:document/org-freeze",
]
# The check functions: the parameter that lists them, the one action on them, and values of it.
# An empty CommaDelimitedList default ("") reaches the template as [""].
CHECK_FUNCTIONS_PARAMETER = "CheckFunctionArns"
INVOKE = "lambda:InvokeFunction"
NO_CHECK_FUNCTIONS = [""]
SAMPLE_CHECK_FUNCTIONS = [
    "arn:aws:lambda:us-east-1:123456789012:function:change-ticket-open",
    "arn:aws:lambda:us-east-1:111122223333:function:org-release-check:prod",
]
ALTERNATE_CHECK_FUNCTIONS = [
    "arn:aws:lambda:eu-west-1:123456789012:function:soak_test:7",
    "arn:aws:lambda:us-east-1:123456789012:function:change-ticket-open",
    "arn:aws:lambda:us-east-1:123456789012:function:x:$LATEST",
]
# Entries CheckFunctionArns must refuse: IAM reads * and ? in a resource ARN as wildcards, and
# ${...} as a policy variable.
WILDCARD_FUNCTION_ARNS = [
    "*",
    "arn:aws:lambda:*:*:function:*",
    "arn:aws:lambda:us-east-1:123456789012:function:*",
    "arn:aws:lambda:us-east-1:123456789012:function:check-*",
    "arn:aws:lambda:us-east-1:123456789012:function:check?",
    "arn:aws:lambda:us-east-1:123456789012:function:check:*",
    "arn:aws:lambda:us-east-1:*:function:check",
    "arn:aws:lambda:*:123456789012:function:check",
    "arn:aws:lambda:us-east-1:123456789012:function:${aws:username}",
]
# Resource: one pipeline ARN per pipeline given.
PIPELINE_ACTIONS = {
    "codepipeline:GetPipelineState",
    "codepipeline:GetPipelineExecution",
    "codepipeline:ListActionExecutions",
    "codepipeline:GetPipeline",
    "codepipeline:ListPipelineExecutions",
}
# Resource: PIPELINE/* (the pipeline's stages and actions) per pipeline given.
PIPELINE_SCOPED_ACTIONS = {"codepipeline:PutApprovalResult"}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Resource: the ARN of the configuration profile in GATE_POLICY_APPCONFIG.
APPCONFIG_ACTIONS = {"appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"}
# Resources that attach policies to roles beside the role's own inline Policies.
POLICY_RESOURCES = {
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
    "AWS::Serverless::Connector",
}
# Wake-ups: the function creates one-time EventBridge Scheduler schedules in the template's
# schedule group (GATE_WAKEUP_GROUP), run with the wake-up role (GATE_WAKEUP_ROLE_ARN), whose
# one permission is invoking the function.
WAKEUP_GROUP_ENV, WAKEUP_ROLE_ENV = "GATE_WAKEUP_GROUP", "GATE_WAKEUP_ROLE_ARN"
WAKEUP_ACTIONS = {"scheduler:CreateSchedule", "iam:PassRole"}
SCHEDULER = "scheduler.amazonaws.com"
SCHEDULE_GROUP_NAME = re.compile(r"^[0-9a-zA-Z_.-]{1,64}$")
# Documents of these resources may grant scheduler:* or iam:PassRole to someone.
IDENTITY_RESOURCES = {"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"}
# Who may read the failed-decisions queue is what its policy must restrict.
QUEUE_READ_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"}
# Names a pipeline parameter's AllowedPattern must refuse.
WILDCARD_LEADING_NAMES = ["*", "*-prod", "**", "?*", "*?"]

# Sample values for rendering resources; two pipelines, one of them a pattern.
SAMPLE_PIPELINES = ["web-shop", "api-*"]
# The parameter that names the covered pipelines, and a second, different value of it: the
# approval rule's pipeline filter must follow the parameter, not repeat the first sample.
PIPELINES_PARAMETER = "PipelineNames"
ALTERNATE_PIPELINES = ["ops.deploy@eu", "team_a-*-prod", "x"]
# Entries PipelineNames must refuse, since the approval rule's pattern is a JSON string built
# from them: JSON's special characters could end the string and add fields, ? is a literal
# to EventBridge's wildcard, and EventBridge refuses consecutive wildcard characters.
EVENT_UNSAFE_NAMES = [
    'web"shop',
    'web-*"}, {"prefix": "',
    "web\\shop",
    "web\\*",
    "web-?",
    "web-**",
    "web-*?",
    "web\nshop",
    "web\tshop",
    "web shop",
    "web}",
]
REGION, ACCOUNT, PARTITION = "us-east-1", "123456789012", "aws"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": PARTITION,
    "AWS::StackName": "approval-gate",
    "AWS::StackId": (
        f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/approval-gate/"
        "51af3dc0-da77-11e4-872e-1234567db123"
    ),
    "AWS::URLSuffix": "amazonaws.com",
}
ROOT = f"arn:{PARTITION}:iam::{ACCOUNT}:root"
NO_VALUE = object()
MAX_VARIANTS = 256


class Unverifiable(Exception):
    """Something this script cannot evaluate, so cannot vouch for."""


class Renderer:
    """Expands the intrinsic functions used in resources, with sample parameter values."""

    def __init__(self, template, pipelines=None):
        self.parameters = {}
        for name, spec in (template.get("Parameters") or {}).items():
            kind = spec.get("Type", "String")
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                self.parameters[name] = list(SAMPLE_PIPELINES)
            else:
                self.parameters[name] = f"sample-{name}"
        if "ChangeCalendarArns" in self.parameters:
            self.parameters["ChangeCalendarArns"] = list(SAMPLE_CALENDARS)
        if CHECK_FUNCTIONS_PARAMETER in self.parameters:
            self.parameters[CHECK_FUNCTIONS_PARAMETER] = list(SAMPLE_CHECK_FUNCTIONS)
        if pipelines is not None and PIPELINES_PARAMETER in self.parameters:
            self.parameters[PIPELINES_PARAMETER] = list(pipelines)
        for name in ("DecisionTopicArn", "ApprovalTopicArn"):
            if name in self.parameters:
                self.parameters[name] = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        self.resources = template.get("Resources") or {}

    def ref(self, name):
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            kind = self.resources[name].get("Type")
            properties = self.resources[name].get("Properties") or {}
            if kind == "AWS::Logs::LogGroup":
                if "LogGroupName" in properties:
                    return self.render(properties["LogGroupName"])
                return f"sample-log-group-{name}"
            if kind == "AWS::SQS::Queue":
                return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
            if kind == "AWS::Scheduler::ScheduleGroup":
                # Ref gives the group's name.
                if "Name" in properties:
                    return self.render(properties["Name"])
                return f"sample-schedule-group-{name}"
            if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
                return name
            return f"arn:aws:sample:{REGION}:{ACCOUNT}:{name}"
        raise Unverifiable(f"Ref to unknown {name}")

    def get_att(self, name, attribute):
        if name not in self.resources:
            raise Unverifiable(f"Fn::GetAtt of unknown {name}")
        kind = self.resources[name].get("Type")
        if attribute == "Arn" and kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if attribute == "Arn" and kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{name}"
        if attribute == "Arn" and kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}"
        if attribute == "Arn" and kind == "AWS::Scheduler::ScheduleGroup":
            return schedule_group_arn(self.ref(name))
        if attribute == "Arn":
            return f"arn:aws:sample:{REGION}:{ACCOUNT}:{name}"
        return f"sample-{name}.{attribute}"

    def render(self, value):
        """A string or a list of strings, as CloudFormation would produce."""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, (int, float)):
            return str(value)
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
                return self.get_att(target[0], target[1] if len(target) > 1 else "")
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
        raise Unverifiable(f"cannot evaluate {plain(value)!r}")

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


def schedule_group_arn(group):
    return f"arn:{PARTITION}:scheduler:{REGION}:{ACCOUNT}:schedule-group/{group}"


def plain(value):
    """The decoded template's nodes as plain dicts, lists and strings (for messages)."""
    return json.loads(json.dumps(value))


def as_list(value):
    return value if isinstance(value, list) else [value]


def variants(value):
    """Every value `value` can take, each condition of its Fn::Ifs taken both ways (the same
    way wherever it recurs), with AWS::NoValue removed."""
    return [v for v, _ in choices(value, {})]


def choices(value, conditions):
    """(value, conditions) pairs: each value under the condition values that give it."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] == "AWS::NoValue":
        return [(NO_VALUE, conditions)]
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        args = value["Fn::If"]
        if not isinstance(args, list) or len(args) != 3 or not isinstance(args[0], str):
            raise Unverifiable(f"malformed Fn::If {plain(value)!r}")
        condition, yes, no = args
        if condition in conditions:
            return choices(yes if conditions[condition] else no, conditions)
        return choices(yes, {**conditions, condition: True}) + choices(
            no, {**conditions, condition: False}
        )
    if isinstance(value, (dict, list)):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        partials = [([], conditions)]
        for key, item in items:
            grown = []
            for partial, known in partials:
                for choice, now in choices(item, known):
                    grown.append((partial + [(key, choice)], now))
            if len(grown) > MAX_VARIANTS:
                raise Unverifiable(f"more than {MAX_VARIANTS} combinations of Fn::If")
            partials = grown
        out = []
        for partial, known in partials:
            kept = [(k, v) for k, v in partial if v is not NO_VALUE]
            out.append((dict(kept) if isinstance(value, dict) else [v for _, v in kept], known))
        return out
    return [(value, conditions)]


def unique(items):
    seen, out = set(), []
    for item in items:
        key = json.dumps(item, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def statements_of(document):
    if not isinstance(document, dict) or "Statement" not in document:
        raise Unverifiable(f"{plain(document)!r} is not a policy document")
    return [s for s in as_list(document["Statement"]) if s is not NO_VALUE]


class Context:
    """What one function may touch: its decision topic, failure queue and log group."""

    def __init__(self, function, renderer):
        properties = function.get("Properties") or {}
        environment = ((properties.get("Environment") or {}).get("Variables")) or {}
        self.decision_topics = set()
        if "GATE_DECISION_TOPIC_ARN" in environment:
            for topic in variants(environment["GATE_DECISION_TOPIC_ARN"]):
                if topic is not NO_VALUE:
                    self.decision_topics.update(as_list(renderer.render(topic)))
        self.decision_topics.discard("")
        self.failure_destination = failure_destination(function)
        self.failure_queues = set()
        if self.failure_destination is not None:
            self.failure_queues.update(as_list(renderer.render(self.failure_destination)))
        # application/environment/profile -> the profile's ARN, as IAM scopes both actions.
        self.appconfig_arns = set()
        for location in variants(environment.get("GATE_POLICY_APPCONFIG", NO_VALUE)):
            if location is NO_VALUE:
                continue
            parts = renderer.render(location)
            parts = parts.split("/") if isinstance(parts, str) else []
            if len(parts) == 3 and all(parts):
                app, env, profile = parts
                self.appconfig_arns.add(
                    f"arn:{PARTITION}:appconfig:{REGION}:{ACCOUNT}:application/{app}"
                    f"/environment/{env}/configuration/{profile}"
                )
        log_group = (properties.get("LoggingConfig") or {}).get("LogGroup")
        self.log_group = renderer.render(log_group) if log_group is not None else None
        self.log_arns = set()
        if isinstance(self.log_group, str):
            group = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{self.log_group}"
            self.log_arns = {group, f"{group}:*", f"{group}:log-stream:*"}
        # Wake-ups: the schedules of the group GATE_WAKEUP_GROUP names, and the role
        # GATE_WAKEUP_ROLE_ARN names (each empty when the variable names nothing checkable).
        self.wakeup_group, self.wakeup_role, self.wakeup_problems = wakeup_targets(
            function, renderer.resources
        )
        self.schedule_arns, self.wakeup_role_arns = set(), set()
        if self.wakeup_group is not None:
            group = renderer.ref(self.wakeup_group)
            self.schedule_arns = {
                f"arn:{PARTITION}:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/*"
            }
            if not isinstance(group, str) or not SCHEDULE_GROUP_NAME.fullmatch(group):
                self.wakeup_problems.append(
                    f"{self.wakeup_group}: the schedule group's name {group!r} is not 1-64 "
                    "characters of [0-9a-zA-Z-_.]"
                )
        if self.wakeup_role is not None:
            self.wakeup_role_arns = {renderer.get_att(self.wakeup_role, "Arn")}


def wakeup_targets(function, resources):
    """(group, role, problems): the logical names of the AWS::Scheduler::ScheduleGroup that
    GATE_WAKEUP_GROUP names (exactly `!Ref GROUP`) and of the AWS::IAM::Role that
    GATE_WAKEUP_ROLE_ARN names (exactly `!GetAtt ROLE.Arn`), both of this template; None for a
    variable the function does not have, or one that names something else (a problem)."""
    properties = function.get("Properties") or {}
    environment = ((properties.get("Environment") or {}).get("Variables")) or {}
    group = role = None
    problems = []
    if WAKEUP_GROUP_ENV in environment:
        value = environment[WAKEUP_GROUP_ENV]
        target = value.get("Ref") if isinstance(value, dict) and set(value) == {"Ref"} else None
        if (resources.get(target) or {}).get("Type") == "AWS::Scheduler::ScheduleGroup":
            group = target
        else:
            problems.append(
                f"{WAKEUP_GROUP_ENV} {plain(value)!r} is not !Ref of an "
                "AWS::Scheduler::ScheduleGroup of this template: the function would create "
                "schedules in a group the template does not hold (the account's default one)"
            )
    if WAKEUP_ROLE_ENV in environment:
        value = environment[WAKEUP_ROLE_ENV]
        target = None
        if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
        target = target if isinstance(target, list) or target is None else str(target).split(".", 1)
        if (
            target
            and len(target) == 2
            and target[1] == "Arn"
            and (resources.get(target[0]) or {}).get("Type") == "AWS::IAM::Role"
        ):
            role = target[0]
        else:
            problems.append(
                f"{WAKEUP_ROLE_ENV} {plain(value)!r} is not !GetAtt ROLE.Arn of an AWS::IAM::Role "
                "of this template: this check cannot see what the wake-up schedules may do"
            )
    if (WAKEUP_GROUP_ENV in environment) != (WAKEUP_ROLE_ENV in environment):
        problems.append(
            f"the function has one of {WAKEUP_GROUP_ENV} and {WAKEUP_ROLE_ENV} without the other"
        )
    if role is not None and role_target(function, resources)[0] == role:
        problems.append(
            f"{WAKEUP_ROLE_ENV} names the function's own role {role}: Scheduler would run the "
            "wake-ups with every permission of the function"
        )
        role = None
    return group, role, problems


def failure_destination(function):
    properties = function.get("Properties") or {}
    config = ((properties.get("EventInvokeConfig") or {}).get("DestinationConfig")) or {}
    return (config.get("OnFailure") or {}).get("Destination")


def pipeline_segment(resource):
    """(resource part after the account, True) for a codepipeline ARN, else (None, False)."""
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "codepipeline":
        return parts[5], True
    return None, False


def check_statement(statement, renderer, context):
    """The problems of one statement of the function's role (empty when it passes)."""
    problems = []
    if not isinstance(statement, dict):
        return [f"statement {plain(statement)!r} is not an object"]
    for key in ("NotAction", "NotResource", "NotPrincipal"):
        if key in statement:
            problems.append(f"uses {key}, which grants everything it does not name")
    if statement.get("Effect") != "Allow":
        return problems
    actions = as_list(statement.get("Action", []))
    if not actions or not all(isinstance(a, str) for a in actions):
        return problems + [f"Action {plain(statement.get('Action'))!r} is not a list of names"]
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
    canonical = {allowed[a.lower()] for a in actions if a.lower() in allowed}
    if "*" in resources and canonical - ANY_RESOURCE_ACTIONS:
        problems.append(
            f'Resource "*" for {sorted(canonical - ANY_RESOURCE_ACTIONS)}; only '
            f"{sorted(ANY_RESOURCE_ACTIONS)} may use it"
        )
    specific = [r for r in resources if r != "*"]
    if "*" not in resources:
        for action in sorted(canonical & (PIPELINE_ACTIONS | PIPELINE_SCOPED_ACTIONS)):
            problems += check_pipeline_resources(action, specific)
    if "sns:Publish" in canonical:
        for resource in specific:
            if resource not in context.decision_topics:
                problems.append(
                    f"sns:Publish on {resource!r}, which is not the decision topic (the "
                    f"function's GATE_DECISION_TOPIC_ARN: {sorted(context.decision_topics)})"
                )
    if "sqs:SendMessage" in canonical:
        for resource in specific:
            if resource not in context.failure_queues:
                problems.append(
                    f"sqs:SendMessage on {resource!r}, which is not the function's OnFailure "
                    f"destination ({sorted(context.failure_queues)})"
                )
    for action in sorted(canonical & APPCONFIG_ACTIONS):
        for resource in specific:
            if resource not in context.appconfig_arns or "*" in resource or "?" in resource:
                problems.append(
                    f"{action} on {resource!r}, which is not the configuration profile the "
                    f"function's GATE_POLICY_APPCONFIG names ({sorted(context.appconfig_arns)})"
                )
    if "ssm:GetCalendarState" in canonical:
        if sorted(specific) != sorted(SAMPLE_CALENDARS) or "*" in resources:
            problems.append(
                f"ssm:GetCalendarState on {sorted(resources)}, not exactly the calendars of "
                f"ChangeCalendarArns ({SAMPLE_CALENDARS} as a sample)"
            )
    if INVOKE in canonical:
        problems += check_invoke_statement(statement, actions, resources)
    for action in sorted(canonical & LOG_ACTIONS):
        for resource in specific:
            if resource not in context.log_arns:
                problems.append(
                    f"{action} on {resource!r}, which is not the function's log group "
                    f"({context.log_group!r}: {sorted(context.log_arns)})"
                )
    if any(a.startswith("codepipeline:") for a in canonical):
        problems += check_region_pinned(statement, resources, renderer)
    if canonical & WAKEUP_ACTIONS:
        problems += check_wakeup_statement(
            statement, actions, canonical, resources, renderer, context
        )
    return problems


def check_invoke_statement(statement, actions, resources):
    """lambda:InvokeFunction, alone in its statement and with no condition, on exactly the check
    functions (CheckFunctionArns, rendered with its sample value)."""
    problems = []
    if len(actions) != 1:
        problems.append(
            f"grants {plain(actions)!r} in one statement: {INVOKE} takes a statement of its own, "
            "with no other action"
        )
    if sorted(resources) != sorted(SAMPLE_CHECK_FUNCTIONS):
        problems.append(
            f"{INVOKE} on {sorted(resources)}, not exactly the functions of "
            f"{CHECK_FUNCTIONS_PARAMETER} ({SAMPLE_CHECK_FUNCTIONS} as a sample)"
        )
    if "Condition" in statement:
        problems.append(
            f"{INVOKE} with Condition {plain(statement['Condition'])!r}: the grant is exactly "
            f"{INVOKE} on the functions of {CHECK_FUNCTIONS_PARAMETER}, with no condition"
        )
    return problems


def check_wakeup_statement(statement, actions, canonical, resources, renderer, context):
    """scheduler:CreateSchedule on the wake-up group's schedules, and iam:PassRole of the
    wake-up role to Scheduler: each exactly, alone in its statement."""
    if len(actions) != 1:
        return [
            f"grants {plain(actions)!r} in one statement: scheduler:CreateSchedule and "
            "iam:PassRole each take a statement of their own, with no other action"
        ]
    (action,) = canonical
    condition = statement.get("Condition")
    problems = []
    if action == "scheduler:CreateSchedule":
        if not context.schedule_arns or sorted(resources) != sorted(context.schedule_arns):
            problems.append(
                f"scheduler:CreateSchedule on {sorted(resources)}, not exactly the schedules of "
                f"the wake-up group GATE_WAKEUP_GROUP names ({sorted(context.schedule_arns)})"
            )
        if condition is not None:
            problems.append(
                f"scheduler:CreateSchedule with Condition {plain(condition)!r}: the grant is "
                "exactly CreateSchedule on the wake-up group's schedules, with no condition"
            )
        return problems
    if not context.wakeup_role_arns or sorted(resources) != sorted(context.wakeup_role_arns):
        problems.append(
            f"iam:PassRole on {sorted(resources)}, not exactly the wake-up role "
            f"GATE_WAKEUP_ROLE_ARN names ({sorted(context.wakeup_role_arns)}): no other role may "
            "be passed"
        )
    if not passed_to_scheduler_only(condition, renderer):
        problems.append(
            f"iam:PassRole with Condition {plain(condition)!r}, not exactly StringEquals "
            f"iam:PassedToService = {SCHEDULER}: the role could be passed to another service"
        )
    return problems


def passed_to_scheduler_only(condition, renderer):
    if not isinstance(condition, dict) or list(condition) != ["StringEquals"]:
        return False
    keys = condition["StringEquals"]
    if not isinstance(keys, dict) or [k.lower() for k in keys] != ["iam:passedtoservice"]:
        return False
    try:
        return as_list(renderer.render(next(iter(keys.values())))) == [SCHEDULER]
    except Unverifiable:
        return False


def check_pipeline_resources(action, resources):
    problems, pipelines = [], []
    scoped = action in PIPELINE_SCOPED_ACTIONS
    shape = "arn:...:codepipeline:...:PIPELINE" + ("/*" if scoped else "")
    for resource in resources:
        rest, is_codepipeline = pipeline_segment(resource)
        if not is_codepipeline:
            problems.append(f"{action} resource {resource!r} is not {shape}")
            continue
        pipeline = rest.split("/", 1)[0]
        if pipeline.startswith(("*", "?")) and "*" in pipeline:
            problems.append(
                f"{action} resource {resource!r} covers every pipeline: its pipeline segment "
                f"{pipeline!r} is or starts with a wildcard"
            )
            continue
        if scoped:
            name = rest[: -len("/*")] if rest.endswith("/*") else None
        else:
            name = rest if "/" not in rest else None
        if name in (None, ""):
            problems.append(f"{action} resource {resource!r} is not {shape} for one pipeline")
        else:
            pipelines.append(name)
    if not problems and sorted(pipelines) != sorted(SAMPLE_PIPELINES):
        problems.append(
            f"{action} resources name {sorted(pipelines)}, not one each of the pipelines "
            f"given ({SAMPLE_PIPELINES} as a sample)"
        )
    return problems


def check_region_pinned(statement, resources, renderer):
    unpinned = []
    for resource in resources:
        parts = resource.split(":")
        if resource == "*" or len(parts) < 4 or parts[3] != REGION:
            unpinned.append(resource)
    if not unpinned:
        return []
    condition = statement.get("Condition") or {}
    value = (condition.get("StringEquals") or {}).get("aws:RequestedRegion")
    try:
        pinned = value is not None and as_list(renderer.render(value)) == [REGION]
    except Unverifiable:
        pinned = False
    if pinned:
        return []
    return [
        f"codepipeline resources {unpinned} hold no region, and the statement has no "
        "condition StringEquals aws:RequestedRegion = AWS::Region: it grants every region"
    ]


def role_target(function, resources):
    """The logical name of the function's role in this template, or a problem."""
    role = (function.get("Properties") or {}).get("Role")
    if role is None:
        return None, (
            "no Role: SAM would make one with the managed policy AWSLambdaBasicExecutionRole "
            '(logs:CreateLogGroup, CreateLogStream, PutLogEvents on "*") and policies of its '
            "own; give it this template's AWS::IAM::Role"
        )
    if isinstance(role, dict) and set(role) == {"Fn::GetAtt"}:
        target = role["Fn::GetAtt"]
        target = target if isinstance(target, list) else str(target).split(".", 1)
        if (
            len(target) == 2
            and target[1] == "Arn"
            and (resources.get(target[0]) or {}).get("Type") == "AWS::IAM::Role"
        ):
            return target[0], None
    return None, (
        f"Role {plain(role)!r} points elsewhere than an AWS::IAM::Role of this template "
        "(!GetAtt ROLE.Arn): this check cannot see what it grants"
    )


def describe_policy_entry(entry):
    if isinstance(entry, str):
        return f"managed policy {entry!r}"
    if isinstance(entry, dict) and "Statement" in entry:
        return "an inline policy document (SAM ignores Policies beside a Role)"
    if isinstance(entry, dict) and len(entry) == 1 and not next(iter(entry)).startswith("Fn::"):
        return f"SAM policy template {next(iter(entry))}"
    return f"policy {plain(entry)!r}"


def check_trust(name, role, service="lambda.amazonaws.com", whose="the function's role"):
    problems = []
    document = (role.get("Properties") or {}).get("AssumeRolePolicyDocument")
    try:
        found = unique(s for d in variants(document) for s in statements_of(d))
    except Unverifiable as error:
        return [f"{name}.AssumeRolePolicyDocument: {error}"]
    for statement in found:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        actions = as_list(statement.get("Action", []))
        if (
            set(principal or {}) != {"Service"}
            or as_list(services) != [service]
            or actions != ["sts:AssumeRole"]
            or "NotPrincipal" in statement
            or "NotAction" in statement
        ):
            problems.append(
                f"{name}.AssumeRolePolicyDocument lets {plain(principal)!r} "
                f"{plain(statement.get('Action'))!r}: only {service} may "
                f"sts:AssumeRole {whose}"
            )
    return problems


def check_role(name, role, renderer, context):
    """(statements checked, problems) of the function's role."""
    properties = role.get("Properties") or {}
    problems = check_trust(name, role)
    if properties.get("ManagedPolicyArns"):
        problems.append(
            f"{name}.ManagedPolicyArns {plain(properties['ManagedPolicyArns'])!r}: managed "
            "policies grant what this check cannot see; put statements in Policies"
        )
    checked = 0
    try:
        entries = unique(e for v in variants(properties.get("Policies") or []) for e in v)
    except Unverifiable as error:
        return checked, problems + [f"{name}.Policies: {error}"]
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"PolicyName", "PolicyDocument"}:
            problems.append(
                f"{name}.Policies entry {plain(entry)!r} is not an inline policy "
                "(PolicyName and PolicyDocument only)"
            )
            continue
        label = f"{name}.Policies[{plain(entry['PolicyName'])}]"
        try:
            found = statements_of(entry["PolicyDocument"])
        except Unverifiable as error:
            problems.append(f"{label}: {error}")
            continue
        for statement in found:
            checked += 1
            sid = statement.get("Sid", "(no Sid)") if isinstance(statement, dict) else ""
            where = f"{label} {sid}"
            problems += [f"{where}: {p}" for p in check_statement(statement, renderer, context)]
    return checked, problems


def check_concurrency(name, function, parameters):
    value = (function.get("Properties") or {}).get("ReservedConcurrentExecutions")
    if value is None:
        return [
            f"{name}: no ReservedConcurrentExecutions: a flood of notices could take the "
            "account's whole concurrency and CodePipeline request quota"
        ]
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        spec = parameters[value["Ref"]]
        minimum = spec.get("MinValue")
        if spec.get("Type") != "Number" or minimum is None or float(minimum) < 1:
            return [
                f"{name}: ReservedConcurrentExecutions parameter {value['Ref']} must be a "
                "Number with MinValue 1 or more"
            ]
        return []
    if isinstance(value, (int, str)) and str(value).isdigit() and int(value) >= 1:
        return []
    return [f"{name}: ReservedConcurrentExecutions {plain(value)!r} is not a number of 1 or more"]


def check_failure_queue(name, function, template, renderer):
    """The OnFailure queue's policy must keep failure records (approval tokens) to one reader."""
    destination = failure_destination(function)
    if destination is None:
        return []
    resources = template.get("Resources") or {}
    target = destination.get("Fn::GetAtt") if isinstance(destination, dict) else None
    target = target if isinstance(target, list) or target is None else str(target).split(".", 1)
    if (
        not target
        or len(target) != 2
        or (resources.get(target[0]) or {}).get("Type") != "AWS::SQS::Queue"
    ):
        return [
            f"{name}: OnFailure destination {plain(destination)!r} is not a queue of this "
            "template: who reads the failure records (approval tokens) cannot be checked"
        ]
    queue = target[0]
    queue_arn = renderer.get_att(queue, "Arn")
    policies = [
        (policy_name, resource)
        for policy_name, resource in resources.items()
        if resource.get("Type") == "AWS::SQS::QueuePolicy"
        and {"Ref": queue} in as_list((resource.get("Properties") or {}).get("Queues") or [])
    ]
    if not policies:
        return [
            f"{queue}: no AWS::SQS::QueuePolicy restricting sqs:ReceiveMessage: failure "
            "records hold approval tokens"
        ]
    exemptable = {ROOT} | {v for v in renderer.parameters.values() if isinstance(v, str)}
    problems = []
    for policy_name, resource in policies:
        document = (resource.get("Properties") or {}).get("PolicyDocument")
        try:
            documents = variants(document)
        except Unverifiable as error:
            problems.append(f"{policy_name}: {error}")
            continue
        for variant in documents:
            try:
                found = statements_of(variant)
                problems += check_queue_statements(
                    policy_name, found, renderer, queue_arn, exemptable
                )
            except Unverifiable as error:
                problems.append(f"{policy_name}: {error}")
    return unique(problems)


def check_queue_statements(policy_name, statements, renderer, queue_arn, exemptable):
    problems, exempt, restricted = [], None, False
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        actions = {str(a).lower() for a in as_list(statement.get("Action", []))}
        covers = "sqs:*" in actions or {a.lower() for a in QUEUE_READ_ACTIONS} <= actions
        principal = statement.get("Principal")
        everyone = principal == "*" or principal == {"AWS": "*"}
        if not covers or not everyone or "NotAction" in statement:
            continue
        if not set(as_list(renderer.render(statement.get("Resource", [])))) & {queue_arn, "*"}:
            continue
        condition = statement.get("Condition") or {}
        operators = list(condition)
        # Only StringNotEquals: ArnNotEquals, like ArnNotLike, reads * and ? as wildcards.
        if operators != ["StringNotEquals"]:
            continue
        keys = condition[operators[0]]
        if not isinstance(keys, dict) or [k.lower() for k in keys] != ["aws:principalarn"]:
            continue
        values = as_list(renderer.render(next(iter(keys.values()))))
        restricted = True
        # Every Deny applies: a principal may read only if each one spares it.
        exempt = set(values) if exempt is None else exempt & set(values)
        for value in values:
            if value not in exemptable:
                problems.append(
                    f"{policy_name}: the read Deny exempts {value!r}: only the account root and "
                    "a principal given as a parameter may read failure records"
                )
    if not restricted:
        problems.append(
            f"{policy_name}: no Deny of {sorted(QUEUE_READ_ACTIONS)} to every principal "
            "(Principal \"*\") but those named in a StringNotEquals aws:PrincipalArn condition: "
            "failure records hold approval tokens"
        )
        return problems
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        principals = as_list(principal.get("AWS")) if isinstance(principal, dict) else [principal]
        rendered = set(as_list(renderer.render(principals))) if principals else {"*"}
        actions = as_list(statement.get("Action", []))
        if (
            "NotAction" in statement
            or "NotPrincipal" in statement
            or not rendered <= exempt
            or not {str(a).lower() for a in actions} <= {a.lower() for a in QUEUE_READ_ACTIONS}
        ):
            problems.append(
                f"{policy_name} {statement.get('Sid', '(no Sid)')}: allows {plain(actions)!r} to "
                f"{plain(principal)!r}: the queue policy may allow only the reader to read"
            )
    return problems


def refs_in(value):
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            return {value["Ref"]}
        found = set()
        for item in value.values():
            found |= refs_in(item)
        if set(value) == {"Fn::Sub"}:
            args = value["Fn::Sub"]
            text = args if isinstance(args, str) else args[0]
            found |= {n for n in re.findall(r"\$\{([^!}][^}]*)\}", str(text)) if "." not in n}
        return found
    if isinstance(value, list):
        found = set()
        for item in value:
            found |= refs_in(item)
        return found
    return set()


def check_pipeline_parameters(statements, parameters):
    """Parameters that name pipelines in the role's codepipeline resources refuse `*...`."""
    used = set()
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        actions = [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]
        if any(a.lower().startswith("codepipeline:") for a in actions):
            used |= refs_in(statement.get("Resource"))
    problems = []
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        actions = [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]
        if not any(a.lower().startswith("appconfig:") for a in actions):
            continue
        for name in sorted(refs_in(statement.get("Resource")) & set(parameters)):
            pattern = parameters[name].get("AllowedPattern")
            accepted = [n for n in ["*", "a*", "?", "ab?"] if pattern is None or re.fullmatch(pattern, n)]
            if accepted:
                problems.append(
                    f"parameter {name} accepts {accepted}: a wildcard in the AppConfig ARN "
                    "reaches other applications' configurations (its AllowedPattern must "
                    "refuse them)"
                )
    for name in sorted(used & set(parameters)):
        pattern = parameters[name].get("AllowedPattern")
        accepted = [
            n for n in WILDCARD_LEADING_NAMES if pattern is None or re.fullmatch(pattern, n)
        ]
        if accepted:
            problems.append(
                f"parameter {name} accepts {accepted}: a pipeline segment that starts with a "
                "wildcard covers every pipeline (its AllowedPattern must refuse them)"
            )
    return problems


def attached_roles(resource):
    """The logical names of the roles an AWS::IAM::Policy or AWS::IAM::RolePolicy attaches to
    (each given as `!Ref ROLE`), or None when it attaches to anything else or cannot be read."""
    kind = resource.get("Type")
    properties = resource.get("Properties") or {}
    if kind == "AWS::IAM::RolePolicy":
        targets = [properties.get("RoleName")]
    elif kind == "AWS::IAM::Policy" and not (properties.get("Users") or properties.get("Groups")):
        targets = as_list(properties.get("Roles") or [])
    else:
        return None
    names = []
    for target in targets:
        if not isinstance(target, dict) or set(target) != {"Ref"}:
            return None
        if not isinstance(target["Ref"], str):
            return None
        names.append(target["Ref"])
    return names or None


def policy_documents(name, resource):
    """(label, document) of every identity policy a resource holds: the inline Policies of a
    role, user or group, and the PolicyDocument of a policy resource; each Fn::If both ways."""
    kind = resource.get("Type")
    properties = resource.get("Properties") or {}
    found = []
    if kind in IDENTITY_RESOURCES:
        for entry in unique(e for v in variants(properties.get("Policies") or []) for e in v):
            if not isinstance(entry, dict) or "PolicyDocument" not in entry:
                raise Unverifiable(
                    f"{name}.Policies entry {plain(entry)!r} is not an inline policy"
                )
            label = f"{name}.Policies[{plain(entry.get('PolicyName'))}]"
            found.append((label, entry["PolicyDocument"]))
    elif kind in POLICY_RESOURCES and "PolicyDocument" in properties:
        for document in variants(properties["PolicyDocument"]):
            found.append((name, document))
    return found


def check_wakeup_role(role_name, function_name, template, renderer, group=None):
    """(statements checked, problems) of the role Scheduler runs the wake-ups with: trusted by
    scheduler.amazonaws.com for the schedules of this account's wake-up group (the
    AWS::Scheduler::ScheduleGroup `group`) only; allowed to invoke the function (its ARN and
    ARN:*) and nothing else."""
    resources = template.get("Resources") or {}
    role = resources[role_name]
    properties = role.get("Properties") or {}
    problems = check_trust(role_name, role, SCHEDULER, "the wake-up role")
    problems += check_source_account(role_name, role, renderer, group)
    if properties.get("ManagedPolicyArns"):
        problems.append(
            f"{role_name}.ManagedPolicyArns {plain(properties['ManagedPolicyArns'])!r}: the "
            "wake-up role may invoke the function and nothing else"
        )
    documents = []
    try:
        documents += policy_documents(role_name, role)
        for name, resource in resources.items():
            if role_name in (attached_roles(resource) or []):
                documents += policy_documents(name, resource)
    except Unverifiable as error:
        return 0, problems + [f"{role_name}: {error}"]
    function_arn = renderer.get_att(function_name, "Arn")
    expected = sorted([function_arn, f"{function_arn}:*"])
    checked, grants = 0, 0
    for label, document in documents:
        try:
            statements = statements_of(document)
        except Unverifiable as error:
            problems.append(f"{label}: {error}")
            continue
        for statement in statements:
            checked += 1
            if not isinstance(statement, dict):
                problems.append(f"{label}: statement {plain(statement)!r} is not an object")
                continue
            where = f"{label} {statement.get('Sid', '(no Sid)')}"
            for key in ("NotAction", "NotResource", "NotPrincipal"):
                if key in statement:
                    problems.append(
                        f"{where}: uses {key}, which grants everything it does not name"
                    )
            if statement.get("Effect") != "Allow":
                continue
            grants += 1
            actions = as_list(statement.get("Action", []))
            if [str(a).lower() for a in actions] != ["lambda:invokefunction"]:
                problems.append(
                    f"{where}: Action {plain(statement.get('Action'))!r}: the wake-up role may "
                    "do exactly lambda:InvokeFunction"
                )
            try:
                rendered = sorted(as_list(renderer.render(statement.get("Resource", []))))
            except Unverifiable as error:
                problems.append(f"{where}: Resource cannot be checked: {error}")
                continue
            if rendered != expected:
                problems.append(
                    f"{where}: lambda:InvokeFunction on {rendered}, not exactly the function "
                    f"{function_name} and its qualified form ({expected})"
                )
            if "Condition" in statement:
                problems.append(
                    f"{where}: Condition {plain(statement['Condition'])!r}: the grant is exactly "
                    "lambda:InvokeFunction on the function, with no condition"
                )
    if not grants:
        problems.append(
            f"{role_name}: the wake-up role is not allowed lambda:InvokeFunction on the function: "
            "its schedules would fire and fail"
        )
    return checked, problems


def check_source_account(name, role, renderer, group=None):
    """Each statement that lets Scheduler assume the role holds it to the schedules of this
    account's wake-up group: Condition exactly StringEquals aws:SourceAccount = AWS::AccountId
    and aws:SourceArn = the group's ARN (EventBridge Scheduler's confused deputy prevention: the
    source ARN is the schedule group's, arn:PARTITION:scheduler:REGION:ACCOUNT:schedule-group/
    GROUP). StringEquals, not ArnLike or ArnEquals: those read * and ? in the value as
    wildcards."""
    document = (role.get("Properties") or {}).get("AssumeRolePolicyDocument")
    try:
        found = unique(s for d in variants(document) for s in statements_of(d))
    except Unverifiable as error:
        return [f"{name}.AssumeRolePolicyDocument: {error}"]
    group_arn = None
    if group is not None:
        group_arn = schedule_group_arn(renderer.ref(group))
    wanted = {"aws:sourceaccount": [ACCOUNT], "aws:sourcearn": [group_arn]}
    problems, trusts = [], 0
    for statement in found:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        trusts += 1
        condition = statement.get("Condition")
        keys = condition.get("StringEquals") if isinstance(condition, dict) else None
        exact = (
            group_arn is not None
            and isinstance(condition, dict)
            and list(condition) == ["StringEquals"]
            and isinstance(keys, dict)
            and sorted(k.lower() for k in keys) == sorted(wanted)
        )
        if exact:
            try:
                exact = all(
                    as_list(renderer.render(value)) == wanted[key.lower()]
                    for key, value in keys.items()
                )
            except Unverifiable:
                exact = False
        if not exact:
            problems.append(
                f"{name}.AssumeRolePolicyDocument: Condition {plain(condition)!r} is not exactly "
                "StringEquals aws:SourceAccount = AWS::AccountId and aws:SourceArn = the wake-up "
                f"group's ARN ({group_arn or 'no wake-up group named by GATE_WAKEUP_GROUP'}): "
                "Scheduler could assume the wake-up role for another account's schedules, or "
                "for schedules outside the wake-up group"
            )
    if not trusts:
        problems.append(f"{name}.AssumeRolePolicyDocument lets no one assume the wake-up role")
    return problems


def may_grant_wakeup(action):
    """Whether an action name (wildcards read as IAM reads them) covers iam:PassRole or any
    scheduler: action."""
    action = str(action).lower()
    service, colon, _ = action.partition(":")
    if not colon:
        return fnmatch.fnmatchcase("iam", service) or fnmatch.fnmatchcase("scheduler", service)
    return fnmatch.fnmatchcase("iam:passrole", action) or fnmatch.fnmatchcase("scheduler", service)


def check_wakeup_grants_elsewhere(template, function_roles, wakeup_roles):
    """Nothing but the function's role (whose statements check_statement holds exactly) grants
    scheduler:* or iam:PassRole, and no other role, user or group carries managed policies (a
    wake-up role's are check_wakeup_role's to report)."""
    problems = []
    for name, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type")
        if kind not in IDENTITY_RESOURCES | POLICY_RESOURCES or name in function_roles:
            continue
        managed = (resource.get("Properties") or {}).get("ManagedPolicyArns")
        if kind in IDENTITY_RESOURCES and managed and name not in wakeup_roles:
            problems.append(
                f"{name}.ManagedPolicyArns: managed policies may grant scheduler:* or "
                "iam:PassRole, which this check cannot see"
            )
        try:
            documents = policy_documents(name, resource)
        except Unverifiable as error:
            problems.append(f"{name}: {error}")
            continue
        for label, document in documents:
            try:
                statements = statements_of(document)
            except Unverifiable as error:
                problems.append(f"{label}: {error}")
                continue
            for statement in statements:
                if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                    continue
                where = f"{label} {statement.get('Sid', '(no Sid)')}"
                if "NotAction" in statement:
                    problems.append(
                        f"{where}: uses NotAction, which may grant scheduler:* or iam:PassRole: "
                        "only the function's role may, by its two exact statements"
                    )
                    continue
                granted = [a for a in as_list(statement.get("Action", [])) if may_grant_wakeup(a)]
                if granted:
                    problems.append(
                        f"{where}: grants {plain(granted)!r}: only the function's role may create "
                        "schedules or pass roles, by its two exact statements"
                    )
    return problems


class KnownOnly(Renderer):
    """A renderer that knows the given parameters only: a Ref to anything else (another
    parameter, a pseudo parameter, a resource) cannot be evaluated."""

    def __init__(self, template, known):
        super().__init__(template)
        self.known = known

    def ref(self, name):
        if name in self.known:
            return self.known[name]
        raise Unverifiable(f"{name} is not known here")


def decided(expression, renderer, conditions, seen=()):
    """A condition's value (True or False) when it follows from the parameters renderer knows,
    None when it depends on others (three-valued: And is False once one part is False, Or True
    once one part is True, whatever the unknown parts are)."""
    if isinstance(expression, bool):
        return expression
    if isinstance(expression, dict) and len(expression) == 1:
        (function, args), = expression.items()
        if function == "Condition":
            if args in seen or args not in conditions:
                raise Unverifiable(f"condition {args!r} is unknown or refers to itself")
            return decided(conditions[args], renderer, conditions, seen + (args,))
        if function == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
            try:
                left, right = (renderer.render(arg) for arg in args)
            except Unverifiable:
                return None
            return left == right
        if function == "Fn::Not" and isinstance(args, list) and len(args) == 1:
            value = decided(args[0], renderer, conditions, seen)
            return None if value is None else not value
        if function in ("Fn::And", "Fn::Or") and isinstance(args, list):
            values = [decided(arg, renderer, conditions, seen) for arg in args]
            settles = function == "Fn::Or"
            if settles in values:
                return settles
            return None if None in values else not settles
    raise Unverifiable(f"cannot evaluate the condition {plain(expression)!r}")


def may_invoke(statement):
    """Whether an Allow statement covers lambda:InvokeFunction (wildcards read as IAM reads them;
    NotAction counts, since it covers everything it does not name)."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return True
    return any(
        fnmatch.fnmatchcase(INVOKE.lower(), str(action).lower())
        for action in as_list(statement.get("Action", []))
    )


def check_function_grants(template, role_name):
    """In every branch of the role's Fn::Ifs that the template's Conditions allow with
    CheckFunctionArns empty ([""]), the role may invoke nothing; in every branch they allow with
    it given (two different values), it may invoke exactly those ARNs."""
    parameters = template.get("Parameters") or {}
    if CHECK_FUNCTIONS_PARAMETER not in parameters:
        return [
            f"the template has no parameter {CHECK_FUNCTIONS_PARAMETER}: which functions the role "
            f"may invoke cannot be checked"
        ]
    spec = template.get("Conditions") or {}
    policies = ((template.get("Resources") or {})[role_name].get("Properties") or {}).get("Policies")
    branches = choices(policies or [], {})
    problems = []
    for value in (NO_CHECK_FUNCTIONS, SAMPLE_CHECK_FUNCTIONS, ALTERNATE_CHECK_FUNCTIONS):
        known = KnownOnly(template, {CHECK_FUNCTIONS_PARAMETER: list(value)})
        renderer = Renderer(template)
        renderer.parameters[CHECK_FUNCTIONS_PARAMETER] = list(value)
        expected = set() if value == NO_CHECK_FUNCTIONS else set(value)
        # What the role may invoke -> the conditions (left open by the value) of the branches
        # where it may: each wrong grant is reported once, with the conditions all share.
        wrong = {}
        for variant, taken in branches:
            settled = {c: decided({"Condition": c}, known, spec) for c in taken}
            if any(settled[c] is not None and settled[c] != way for c, way in taken.items()):
                continue  # this branch cannot be taken with this value
            granted = set()
            for entry in variant:
                if not isinstance(entry, dict):
                    continue  # check_role reports it
                for statement in statements_of(entry.get("PolicyDocument")):
                    if may_invoke(statement):
                        granted.update(as_list(renderer.render(statement.get("Resource", []))))
            if granted != expected:
                open_ways = {(c, w) for c, w in taken.items() if settled[c] is None}
                key = tuple(sorted(granted))
                wrong[key] = wrong[key] & open_ways if key in wrong else open_ways
        for granted, open_ways in wrong.items():
            when = ", ".join(f"{c} {str(w).lower()}" for c, w in sorted(open_ways))
            when = f" (with {when})" if when else ""
            if value == NO_CHECK_FUNCTIONS:
                problems.append(
                    f"{role_name}: with {CHECK_FUNCTIONS_PARAMETER} empty (its default, which "
                    f"CloudFormation gives as [\"\"]){when} the role may {INVOKE} on "
                    f"{list(granted)}: the grant must be under a condition that is false then"
                )
            else:
                problems.append(
                    f"{role_name}: with {CHECK_FUNCTIONS_PARAMETER} = {value}{when} the role may "
                    f"{INVOKE} on {list(granted)}, not exactly those functions"
                )
    return unique(problems)


def check_function_parameter(parameters):
    """CheckFunctionArns is a list whose AllowedPattern refuses wildcards and policy variables,
    and accepts its empty default and the ARNs this check renders with."""
    spec = parameters.get(CHECK_FUNCTIONS_PARAMETER)
    if spec is None:
        return []  # check_function_grants reports it
    pattern = spec.get("AllowedPattern")
    if spec.get("Type") != "CommaDelimitedList" or not isinstance(pattern, str):
        return [
            f"parameter {CHECK_FUNCTIONS_PARAMETER} is not a CommaDelimitedList with an "
            f"AllowedPattern: a wildcard in it would let the role invoke functions nobody listed"
        ]
    try:
        accepted = [arn for arn in WILDCARD_FUNCTION_ARNS if re.fullmatch(pattern, arn)]
        refused = [
            arn
            for arn in NO_CHECK_FUNCTIONS + SAMPLE_CHECK_FUNCTIONS + ALTERNATE_CHECK_FUNCTIONS
            if not re.fullmatch(pattern, arn)
        ]
    except re.error as error:
        return [f"parameter {CHECK_FUNCTIONS_PARAMETER}: AllowedPattern {pattern!r} is not a regex ({error})"]
    problems = []
    if accepted:
        problems.append(
            f"parameter {CHECK_FUNCTIONS_PARAMETER} accepts {accepted}: IAM reads * and ? in a "
            "function ARN as wildcards and ${...} as a policy variable, so the role could invoke "
            "functions nobody listed (its AllowedPattern must refuse them)"
        )
    if refused:
        problems.append(
            f"parameter {CHECK_FUNCTIONS_PARAMETER} refuses {refused}: its empty default, or ARNs "
            "this check renders the template with"
        )
    return problems


def merged_functions(template):
    """Each AWS::Serverless::Function with the Globals it inherits (local values win)."""
    defaults = ((template.get("Globals") or {}).get("Function")) or {}
    functions = {}
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = dict(defaults)
        for key, value in (resource.get("Properties") or {}).items():
            if key in ("Policies",) and key in properties:
                value = as_list(properties[key]) + as_list(value)
            properties[key] = value
        functions[name] = dict(resource, Properties=properties)
    return functions


# Where the approval rule's pipeline filter goes in EVENT_PATTERNS: one EventBridge
# {"wildcard": NAME} per entry of PipelineNames, in order (see event_patterns).
COVERED_PIPELINES = "<one {\"wildcard\": NAME} per PipelineNames entry>"

# The EventBridge patterns the function may be invoked by: CodePipeline's own events about a
# Manual approval that started in a covered pipeline, CloudWatch's about an alarm back to OK,
# and SSM's about a Change Calendar that opened. A wider pattern would invoke it for every
# event of a source (or every approval of the account).
EVENT_PATTERNS = [
    {
        "source": ["aws.codepipeline"],
        "detail-type": ["CodePipeline Action Execution State Change"],
        "detail": {
            "type": {"category": ["Approval"]},
            "state": ["STARTED"],
            "pipeline": COVERED_PIPELINES,
        },
    },
    {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"state": {"value": ["OK"]}},
    },
    {
        "source": ["aws.ssm"],
        "detail-type": ["Calendar State Change"],
        "detail": {"state": ["OPEN"]},
    },
]
EVENT_SOURCE_TYPES = {"SNS", "Schedule", "EventBridgeRule"}


def event_patterns(pipelines):
    """EVENT_PATTERNS with the approval rule's filter for these PipelineNames entries."""

    def fill(value):
        if value == COVERED_PIPELINES:
            return [{"wildcard": pipeline} for pipeline in pipelines]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return fill(EVENT_PATTERNS)


def rendered_pattern(pattern, renderer):
    """An event pattern as EventBridge receives it: an object as written, or the JSON string a
    literal or the intrinsic functions give (rendered with renderer's parameter values)."""
    if pattern is NO_VALUE or pattern is None:
        raise Unverifiable("no Pattern")
    intrinsic = isinstance(pattern, dict) and len(pattern) == 1 and (
        "Ref" in pattern or next(iter(pattern)).startswith("Fn::")
    )
    if not intrinsic and not isinstance(pattern, str):
        return plain(pattern)
    text = renderer.render(pattern) if intrinsic else pattern
    if not isinstance(text, str):
        raise Unverifiable(f"{plain(pattern)!r} is not a string or an object")
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as error:
        raise Unverifiable(f"{text!r} is not valid JSON ({error})") from None


def unique_keys(pairs):
    """A JSON object's members, refused when a key repeats (which one would EventBridge use?)."""
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise Unverifiable(f"the key(s) {repeated} repeat in one object")
    return dict(pairs)


def check_event_sources(name, function, renderer, alternate):
    """The function's triggers: SNS notices, its schedule, and EventBridge rules on the default
    bus whose pattern, in each branch of its Fn::Ifs, is exactly one of EVENT_PATTERNS, the
    approval rule's pipeline filter following PipelineNames (rendered with both renderer's and
    alternate's value of it)."""
    problems = []
    expected = event_patterns(SAMPLE_PIPELINES)
    expected_alternate = event_patterns(ALTERNATE_PIPELINES)
    shown = "; ".join(json.dumps(pattern) for pattern in EVENT_PATTERNS)
    events = (function.get("Properties") or {}).get("Events") or {}
    for event_name, event in events.items():
        kind = event.get("Type")
        properties = event.get("Properties") or {}
        where = f"{name}.Events.{event_name}"
        if kind not in EVENT_SOURCE_TYPES:
            problems.append(f"{where}: a {kind} trigger is not one the function handles")
        elif kind == "EventBridgeRule":
            try:
                patterns = variants(properties.get("Pattern", NO_VALUE))
            except Unverifiable as error:
                problems.append(f"{where}: the pattern cannot be checked: {error}")
                patterns = []
            for pattern in patterns:
                try:
                    found = rendered_pattern(pattern, renderer)
                    found_alternate = rendered_pattern(pattern, alternate)
                except Unverifiable as error:
                    problems.append(f"{where}: the pattern cannot be checked: {error}")
                    continue
                if found not in expected:
                    problems.append(
                        f"{where}: the pattern is not exactly one of those the function handles "
                        f"({shown}); with {PIPELINES_PARAMETER} = {SAMPLE_PIPELINES} it reads "
                        f"{json.dumps(found)}"
                    )
                elif found_alternate != expected_alternate[expected.index(found)]:
                    problems.append(
                        f"{where}: the pattern does not follow {PIPELINES_PARAMETER} (one "
                        f"{{\"wildcard\": NAME}} per entry): with {PIPELINES_PARAMETER} = "
                        f"{ALTERNATE_PIPELINES} it reads {json.dumps(found_alternate)}"
                    )
            if properties.get("EventBusName") not in (None, "default"):
                problems.append(f"{where}: a bus other than the default one, where only AWS sends aws.* events")
    return problems


def check_pipeline_names_for_events(parameters):
    """PipelineNames refuses entries that would break or widen the approval rule's JSON pattern,
    and accepts the names this check renders it with."""
    spec = parameters.get(PIPELINES_PARAMETER)
    if spec is None:
        return []
    pattern = spec.get("AllowedPattern")
    if spec.get("Type") != "CommaDelimitedList" or not isinstance(pattern, str):
        return [
            f"parameter {PIPELINES_PARAMETER} is not a CommaDelimitedList with an AllowedPattern: "
            "its entries go into the approval rule's JSON pattern unchecked"
        ]
    try:
        accepted = [n for n in EVENT_UNSAFE_NAMES if re.fullmatch(pattern, n)]
        refused = [n for n in SAMPLE_PIPELINES + ALTERNATE_PIPELINES if not re.fullmatch(pattern, n)]
    except re.error as error:
        return [f"parameter {PIPELINES_PARAMETER}: AllowedPattern {pattern!r} is not a regex ({error})"]
    problems = []
    if accepted:
        problems.append(
            f"parameter {PIPELINES_PARAMETER} accepts {accepted}: an entry with a double quote, "
            "a backslash or a control character breaks or widens the approval rule's JSON "
            "pattern, ? is a literal ? to EventBridge, and EventBridge refuses ** (its "
            "AllowedPattern must refuse them)"
        )
    if refused:
        problems.append(
            f"parameter {PIPELINES_PARAMETER} refuses {refused}, names this check renders the "
            "template with"
        )
    return problems


def check(template):
    """(statements checked, problems) for a decoded template."""
    renderer = Renderer(template)
    alternate = Renderer(template, pipelines=ALTERNATE_PIPELINES)
    resources = template.get("Resources") or {}
    parameters = template.get("Parameters") or {}
    checked, problems = 0, check_pipeline_names_for_events(parameters)
    problems += check_function_parameter(parameters)
    functions = merged_functions(template)
    # The wake-up roles the functions name: the only roles a policy resource may attach to.
    wakeup_roles = set()
    for function in functions.values():
        wakeup_roles.add(wakeup_targets(function, resources)[1])
    wakeup_roles.discard(None)
    for name, resource in resources.items():
        if resource.get("Type") not in POLICY_RESOURCES:
            continue
        targets = attached_roles(resource)
        if targets and set(targets) <= wakeup_roles:
            continue
        problems.append(
            f"{name}: {resource.get('Type')} attaches policies beside the function's role's "
            "own inline Policies, which are all this check allows (but for the wake-up role's "
            "invoke permission)"
        )
    function_roles = set()
    if not functions:
        problems.append("no AWS::Serverless::Function in the template")
    for name, function in functions.items():
        properties = function.get("Properties") or {}
        for index, entry in enumerate(as_list(properties.get("Policies") or [])):
            problems.append(
                f"{name}.Policies[{index}]: {describe_policy_entry(entry)}: the function's "
                "permissions belong in its role's inline Policies"
            )
        if properties.get("Connectors"):
            problems.append(f"{name}.Connectors: SAM connectors attach policies to the role")
        problems += check_concurrency(name, function, parameters)
        problems += check_event_sources(name, function, renderer, alternate)
        problems += check_failure_queue(name, function, template, renderer)
        role_name, problem = role_target(function, resources)
        if problem:
            problems.append(f"{name}: {problem}")
            continue
        function_roles.add(role_name)
        context = Context(function, renderer)
        problems += [f"{name}: {p}" for p in context.wakeup_problems]
        count, found = check_role(role_name, resources[role_name], renderer, context)
        checked += count
        problems += found
        if context.wakeup_role is not None:
            if context.wakeup_role == role_name:
                problems.append(f"{name}: the wake-up role is the function's own role")
            else:
                count, found = check_wakeup_role(
                    context.wakeup_role, name, template, renderer, context.wakeup_group
                )
                checked += count
                problems += found
        try:
            role_policies = (resources[role_name].get("Properties") or {}).get("Policies") or []
            statements = [
                s
                for variant in variants(role_policies)
                for entry in variant
                if isinstance(entry, dict)
                for s in statements_of(entry.get("PolicyDocument"))
            ]
        except Unverifiable:
            statements = []
        problems += check_pipeline_parameters(statements, parameters)
        problems += check_wakeup_granted(name, statements, context)
        try:
            problems += check_function_grants(template, role_name)
        except Unverifiable as error:
            problems.append(f"{role_name}: the check functions' grant cannot be checked: {error}")
    problems += check_wakeup_grants_elsewhere(template, function_roles, wakeup_roles)
    problems += check_policy_sources(template, functions)
    return checked, unique(problems)


# The policy's sources: the parameter values of each, and what each must give the function.
POLICY_PARAMETER, STORE_PARAMETER = "Policy", "CreatePolicyStore"
SAMPLE_POLICY = '{"rules": []}'
SAMPLE_IDS = {
    "AppConfigApplicationId": "abc1234",
    "AppConfigEnvironmentId": "def5678",
    "AppConfigProfileId": "ghi9012",
}
POLICY_ALONE, PROFILE_GIVEN, STORE_CREATED = "Policy alone", "the three AppConfig IDs", (
    'CreatePolicyStore "true" with Policy'
)
# What `approval-gate-cli schema` prints; the profile's validator is its draft-4 translation.
POLICY_SCHEMA = Path(__file__).resolve().parent.parent / "policy.schema.json"
APPCONFIG_TYPES = {
    "application": "AWS::AppConfig::Application",
    "environment": "AWS::AppConfig::Environment",
    "profile": "AWS::AppConfig::ConfigurationProfile",
    "strategy": "AWS::AppConfig::DeploymentStrategy",
    "version": "AWS::AppConfig::HostedConfigurationVersion",
    "deployment": "AWS::AppConfig::Deployment",
}


def source_of(values):
    """Which policy source these parameter values are, or None for a combination to refuse."""
    ids = [values[name] != "" for name in SAMPLE_IDS]
    policy, store = values[POLICY_PARAMETER] != "", values.get(STORE_PARAMETER) == "true"
    if policy and not any(ids):
        return STORE_CREATED if store else POLICY_ALONE
    if not policy and all(ids) and not store:
        return PROFILE_GIVEN
    return None


def source_values(parameters):
    """Every combination of the policy's parameters: given or empty, CreatePolicyStore both ways."""
    stores = ["false", "true"] if STORE_PARAMETER in parameters else ["false"]
    out = []
    for mask in range(16):
        values = {POLICY_PARAMETER: SAMPLE_POLICY if mask & 8 else ""}
        for bit, (name, value) in zip((4, 2, 1), SAMPLE_IDS.items()):
            values[name] = value if mask & bit else ""
        for store in stores:
            out.append(dict(values, **({STORE_PARAMETER: store} if STORE_PARAMETER in parameters else {})))
    return out


def truth(expression, renderer, conditions, seen=()):
    """A condition function's value (Fn::Equals, Not, And, Or, Condition) with these parameters."""
    if isinstance(expression, bool):
        return expression
    if isinstance(expression, dict) and len(expression) == 1:
        (function, args), = expression.items()
        if function == "Condition":
            if args in seen or args not in conditions:
                raise Unverifiable(f"condition {args!r} is unknown or refers to itself")
            return truth(conditions[args], renderer, conditions, seen + (args,))
        if function == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
            left, right = (renderer.render(arg) for arg in args)
            return left == right
        if function == "Fn::Not" and isinstance(args, list) and len(args) == 1:
            return not truth(args[0], renderer, conditions, seen)
        if function in ("Fn::And", "Fn::Or") and isinstance(args, list):
            values = [truth(arg, renderer, conditions, seen) for arg in args]
            return all(values) if function == "Fn::And" else any(values)
    raise Unverifiable(f"cannot evaluate the condition {plain(expression)!r}")


def source_renderer(template, values):
    """(renderer with these parameter values, every condition's value) for one combination."""
    renderer = Renderer(template)
    renderer.parameters.update(values)
    spec = template.get("Conditions") or {}
    return renderer, {name: truth(expression, renderer, spec) for name, expression in spec.items()}


def rules_accept(template, renderer):
    """Whether the template's Rules accept the renderer's parameter values."""
    spec = template.get("Conditions") or {}
    for name, rule in (template.get("Rules") or {}).items():
        if "RuleCondition" in rule and not truth(rule["RuleCondition"], renderer, spec):
            continue
        for assertion in rule.get("Assertions") or []:
            if not truth(assertion.get("Assert"), renderer, spec):
                return False
    return True


def resolved(value, conditions):
    """value with each Fn::If taken the way these conditions go (AWS::NoValue dropped)."""
    found = choices(value, dict(conditions))
    if len(found) != 1:
        raise Unverifiable(f"Fn::If on a condition the template does not define in {plain(value)!r}")
    return found[0][0]


def appconfig_arn(application, environment, profile):
    return (
        f"arn:{PARTITION}:appconfig:{REGION}:{ACCOUNT}:application/{application}"
        f"/environment/{environment}/configuration/{profile}"
    )


def check_policy_sources(template, functions):
    """The Rules accept exactly the three policy sources; in each, the function reads the
    policy from where the source says, and may read exactly that AppConfig profile."""
    parameters = template.get("Parameters") or {}
    missing = sorted({POLICY_PARAMETER, *SAMPLE_IDS} - set(parameters))
    if missing:
        return [f"the template has no parameter(s) {missing}: the policy's sources cannot be checked"]
    problems = []
    for values in source_values(parameters):
        source = source_of(values)
        given = ", ".join(f"{k}={v!r}" for k, v in values.items())
        try:
            renderer, conditions = source_renderer(template, values)
            accepted = rules_accept(template, renderer)
        except Unverifiable as error:
            problems.append(f"the policy's sources cannot be checked ({given}): {error}")
            continue
        if source is None and accepted:
            problems.append(f"the Rules accept {given}: give one policy source, not this")
        elif source is not None and not accepted:
            problems.append(f"the Rules refuse {given}, which is {source}")
        if source is None:
            continue
        for name, function in functions.items():
            try:
                problems += [
                    f"with {source}: {p}"
                    for p in check_source(template, name, function, renderer, conditions, source)
                ]
            except Unverifiable as error:
                problems.append(f"with {source}: {name} cannot be checked: {error}")
    return problems


def check_source(template, name, function, renderer, conditions, source):
    resources = template.get("Resources") or {}
    created = {
        kind: [r for r, v in resources.items() if v.get("Type") == APPCONFIG_TYPES[kind]
               and (v.get("Condition") is None or conditions.get(v["Condition"]))]
        for kind in APPCONFIG_TYPES
    }
    problems = []
    store = source == STORE_CREATED
    if not store and any(created.values()):
        problems.append(
            f"the stack creates {sorted(r for names in created.values() for r in names)}: "
            "AppConfig resources only with CreatePolicyStore \"true\""
        )
    properties = function.get("Properties") or {}
    environment = resolved(((properties.get("Environment") or {}).get("Variables")) or {}, conditions)
    policy = environment.get("GATE_POLICY")
    location = environment.get("GATE_POLICY_APPCONFIG")
    if source == POLICY_ALONE:
        if policy is None or renderer.render(policy) != SAMPLE_POLICY:
            problems.append(f"{name}: GATE_POLICY is not the Policy parameter")
        if location is not None:
            problems.append(f"{name}: GATE_POLICY_APPCONFIG is set beside GATE_POLICY")
        expected = None
    else:
        if policy is not None:
            problems.append(f"{name}: GATE_POLICY is set, beside the policy in AppConfig")
        if store:
            ids, found = store_ids(resources, created, renderer, conditions)
            problems += found
        else:
            ids = tuple(SAMPLE_IDS.values())
        expected = appconfig_arn(*ids) if ids else None
        if location is None:
            problems.append(f"{name}: GATE_POLICY_APPCONFIG is not set")
        elif ids and renderer.render(location) != "/".join(ids):
            problems.append(
                f"{name}: GATE_POLICY_APPCONFIG is {renderer.render(location)!r}, not the "
                f"{'profile the stack creates' if store else 'three AppConfig IDs'} "
                f"({'/'.join(ids)!r})"
            )
    problems += check_appconfig_grant(function, resources, renderer, conditions, expected)
    return problems


def store_ids(resources, created, renderer, conditions):
    """((application, environment, profile) IDs, problems) of the policy store the stack
    creates, each checked: one of each, the profile's validator, the first version deployed."""
    problems = [
        f"the stack creates {len(created[kind])} {APPCONFIG_TYPES[kind]} ({created[kind]}), "
        "not one, with CreatePolicyStore \"true\""
        for kind in APPCONFIG_TYPES
        if len(created[kind]) != 1
    ]
    if problems:
        return None, problems

    def props(kind):
        return resolved(resources[created[kind][0]].get("Properties") or {}, conditions)

    def value(kind, key):
        return renderer.render(props(kind).get(key, "")) if key in props(kind) else None

    application = renderer.get_att(created["application"][0], "ApplicationId")
    environment = renderer.get_att(created["environment"][0], "EnvironmentId")
    profile = renderer.get_att(created["profile"][0], "ConfigurationProfileId")
    version = renderer.get_att(created["version"][0], "VersionNumber")
    strategy = renderer.get_att(created["strategy"][0], "Id")
    for kind in ("environment", "profile", "version", "deployment"):
        if value(kind, "ApplicationId") != application:
            problems.append(f"{created[kind][0]}: not of the policy's application {created['application'][0]}")
    if (value("profile", "LocationUri"), value("profile", "Type")) != ("hosted", "AWS.Freeform"):
        problems.append(f"{created['profile'][0]}: not a hosted AWS.Freeform profile")
    try:
        content = sync_schema.validator_content(POLICY_SCHEMA.read_text())
    except (OSError, sync_schema.Untranslatable) as error:
        problems.append(f"policy.schema.json cannot be translated for AppConfig: {error}")
        content = None
    validators = props("profile").get("Validators")
    if not (
        isinstance(validators, list)
        and len(validators) == 1
        and isinstance(validators[0], dict)
        and validators[0].get("Type") == "JSON_SCHEMA"
        and validators[0].get("Content") == content
    ):
        problems.append(
            f"{created['profile'][0]}: its validator is not exactly one JSON_SCHEMA whose content "
            "is policy.schema.json translated to draft 4; regenerate it with `make sync-schema` "
            "(scripts/sync_schema.py)"
        )
    if value("version", "ConfigurationProfileId") != profile:
        problems.append(f"{created['version'][0]}: not a version of {created['profile'][0]}")
    if value("version", "ContentType") != "application/json" or value("version", "Content") != SAMPLE_POLICY:
        problems.append(f"{created['version'][0]}: not the Policy parameter as application/json")
    deployed = (
        value("deployment", "EnvironmentId"),
        value("deployment", "ConfigurationProfileId"),
        value("deployment", "ConfigurationVersion"),
        value("deployment", "DeploymentStrategyId"),
    )
    if deployed != (environment, profile, version, strategy):
        problems.append(
            f"{created['deployment'][0]}: does not deploy {created['version'][0]} of "
            f"{created['profile'][0]} to {created['environment'][0]} by {created['strategy'][0]}"
        )
    return (application, environment, profile), problems


def check_appconfig_grant(function, resources, renderer, conditions, expected):
    """The role grants the two AppConfig reads on exactly `expected` (nothing if None)."""
    name, problem = role_target(function, resources)
    if problem:
        return []  # check() reports it
    policies = resolved((resources[name].get("Properties") or {}).get("Policies") or [], conditions)
    granted = {}
    for entry in policies:
        if not isinstance(entry, dict):
            continue  # check_role reports it
        for statement in statements_of(entry.get("PolicyDocument")):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            actions = [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]
            for action in actions:
                if action.lower().startswith("appconfig:"):
                    for resource in as_list(renderer.render(statement.get("Resource", []))):
                        granted.setdefault(action, set()).add(resource)
    want = {a: {expected} for a in APPCONFIG_ACTIONS} if expected else {}
    if granted != want:
        return [
            f"{name}: the AppConfig grant is {plain({a: sorted(r) for a, r in granted.items()})}, "
            f"not exactly {plain({a: sorted(r) for a, r in want.items()})}"
        ]
    return []


def check_wakeup_granted(name, statements, context):
    """A function given a wake-up group and role may create schedules and pass the role (else
    every wake-up fails, silently until the sweep)."""
    granted = {
        a.lower()
        for s in statements
        if isinstance(s, dict) and s.get("Effect") == "Allow"
        for a in as_list(s.get("Action", []))
        if isinstance(a, str)
    }
    problems = []
    if context.wakeup_group is not None and "scheduler:createschedule" not in granted:
        problems.append(
            f"{name}: {WAKEUP_GROUP_ENV} is set, but its role may not scheduler:CreateSchedule"
        )
    if context.wakeup_role is not None and "iam:passrole" not in granted:
        problems.append(
            f"{name}: {WAKEUP_ROLE_ENV} is set, but its role may not iam:PassRole"
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
    try:
        checked, problems = check(template)
    except Unverifiable as error:
        checked, problems = 0, [f"cannot be checked: {error}"]
    if problems:
        for problem in problems:
            print(f"template IAM: {problem}", file=sys.stderr)
        print(
            f"template IAM: {checked} statements checked, {len(problems)} problem(s)",
            file=sys.stderr,
        )
        return 1
    print(f"template IAM: {checked} statements checked, ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
