"""A check function for approval-gate: an approval passes only when its pipeline execution
carries a change ticket that the change system has approved.

The pipeline sets the ticket as a pipeline-level variable, CHANGE_TICKET (for example from
`aws codepipeline start-pipeline-execution --variables name=CHANGE_TICKET,value=CHG-1234`,
or a default in the pipeline's declaration). approval-gate asks this function with the
document described in docs/policy.md ("The request"), and it answers
{"pass": true|false, "reason": "..."}.

It refuses a request of a schema version it does not know, and it never raises: whatever
it is sent, it answers, and every doubt is a fail. (Had it raised, the gate would fail the
check anyway; answering says why.)

The change system here is a stub, the environment variable APPROVED_TICKETS
("CHG-1234,CHG-1300"); replace `is_approved` with a call to yours, and keep that call
well within the rule's `timeout_seconds`. Whoever can start the pipeline can set the
variable, so a real check would also ask whether the ticket covers this pipeline and these
revisions (the request's `pipeline` and `revisions[].revision_id`).

Runtime: any supported Python runtime; handler `change_ticket.handler`.
"""

import json
import os
import re

SCHEMA = "approval-gate/check-function/v1"
# Pipeline-level variables (#{variables.NAME}) come under this namespace in the request.
PIPELINE_NAMESPACE = "variables"
TICKET_VARIABLE = "CHANGE_TICKET"
TICKET = re.compile(r"CHG-[0-9]{1,10}")


def handler(event, context):
    try:
        return check(event)
    except Exception as error:  # noqa: BLE001 - an answer, never a raise
        print(json.dumps({"error": type(error).__name__}))
        return answer(False, "the check function could not read this request")


def check(request):
    if not isinstance(request, dict):
        return answer(False, "the request is not a JSON object")
    if request.get("schema") != SCHEMA:
        return answer(False, f"unknown request schema, expected {SCHEMA}")
    variables = request.get("variables")
    pipeline_variables = variables.get(PIPELINE_NAMESPACE) if isinstance(variables, dict) else None
    ticket = pipeline_variables.get(TICKET_VARIABLE) if isinstance(pipeline_variables, dict) else None
    if not isinstance(ticket, str):
        return answer(False, f"the execution carries no {TICKET_VARIABLE} variable")
    # The value is pipeline input: match it whole before quoting or looking it up.
    if not TICKET.fullmatch(ticket):
        return answer(False, f"{TICKET_VARIABLE} is not a ticket id like CHG-1234")
    if not is_approved(ticket):
        return answer(False, f"change {ticket} is not approved")
    return answer(True, f"change {ticket} is approved")


def is_approved(ticket):
    """Whether the change system has approved `ticket`. A stub: replace with your system."""
    approved = os.environ.get("APPROVED_TICKETS", "")
    return ticket in {entry.strip() for entry in approved.split(",") if entry.strip()}


def answer(passed, reason):
    # The gate reads at most 4096 bytes and shows 200 characters of the reason.
    return {"pass": passed, "reason": reason[:200]}
