#!/usr/bin/env python3
"""Runs approval-gate locally, the way Lambda runs it, on every sample event.

The function runs under `cargo lambda watch` (the Lambda Runtime API emulator); its AWS
calls go through the real SDK to the local stand-in for CodePipeline and SNS, which serves
the pipelines in demo/pipelines.json. Each events/*.json is sent with `cargo lambda invoke`
and the answer is printed as event -> verdict -> reason.

Then an alarm clears: the stand-in serves a copy of the fixture, which the demo rewrites
to hold only the alarms, every one OK, before it sends the stand-in SIGHUP to read it
again (a reload replaces what the file holds), and the alarm's event approves the approval
that deferred while the alarm was firing.

Last, a wake-up: release-train's approval is deferred by a release freeze that the demo ends
at a whole minute soon after it starts (the policy it runs is a copy of demo/policy.json
with that freeze's end moved). The deferral schedules a one-time EventBridge Scheduler
schedule in the stand-in, which fires it into the function when the minute comes
(`--fire-into`), and the wake-up approves the approval by the state.
"""

import datetime
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DECISION_TOPIC = "arn:aws:sns:us-east-1:123456789012:approval-decisions"
WAKEUP_ROLE = "arn:aws:iam::123456789012:role/approval-gate-WakeUpRole"
# The deferral the demo shows being woken, and the rule whose freeze it ends.
WOKEN_EVENT = "deferred-by-freeze"
FROZEN_RULE = "release-after-freeze"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} exited early (status {process.returncode}); see its output above")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"{what} did not listen on port {port} within {seconds:.0f} s")


def main() -> int:
    os.chdir(ROOT)
    # Built on its own, so that `cargo lambda watch` builds the function with exactly its
    # own features and reuses that build on the next run.
    print("== building the AWS stand-in and the function", flush=True)
    subprocess.run(["cargo", "build", "--quiet", "-p", "stand-in", "--bin", "stand-in"], check=True)
    # The function's own build, as cargo lambda watch makes it (its package, its default
    # features), so that watch starts it at once and the freeze below ends after the demo
    # has sent its deferral.
    subprocess.run(["cargo", "build", "--quiet", "-p", "approval-gate", "--bin", "approval-gate"],
                   check=True)

    aws_port, lambda_port = free_port(), free_port()
    log_dir = ROOT / "target" / "demo"
    log_dir.mkdir(parents=True, exist_ok=True)
    stand_in_log = open(log_dir / "stand-in.log", "w")
    function_log = open(log_dir / "function.log", "w")

    # The stand-in reads a copy, so that clearing an alarm leaves demo/pipelines.json alone.
    fixture = log_dir / "pipelines.json"
    fixture.write_text((ROOT / "demo" / "pipelines.json").read_text())
    policy, freeze_ends = policy_with_freeze_ending_soon(log_dir)
    invoke_url = f"http://127.0.0.1:{lambda_port}/2015-03-31/functions/approval-gate/invocations"
    stand_in = subprocess.Popen(
        ["target/debug/stand-in", "--port", str(aws_port), "--pipelines", str(fixture),
         "--fire-into", invoke_url],
        stderr=stand_in_log,
        stdout=stand_in_log,
    )
    env = {
        "GATE_POLICY_FILE": str(policy),
        "GATE_WAKEUP_GROUP": "approval-gate-wakeups-demo",
        "GATE_WAKEUP_ROLE_ARN": WAKEUP_ROLE,
        "GATE_DECISION_TOPIC_ARN": DECISION_TOPIC,
        "GATE_TOKEN_WAIT_SECONDS": "2",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
    }
    watch = subprocess.Popen(
        ["cargo", "lambda", "watch", "--quiet", "--ignore-changes",
         "--invoke-address", "127.0.0.1", "--invoke-port", str(lambda_port),
         "--env-vars", ",".join(f"{k}={v}" for k, v in env.items())],
        stdout=function_log,
        stderr=function_log,
    )
    failures = 0
    try:
        wait_for_port(aws_port, stand_in, "the stand-in", 30)
        wait_for_port(lambda_port, watch, "cargo lambda watch", 300)
        print(f"== policy: demo/policy.json (the {FROZEN_RULE} freeze ends at "
              f"{freeze_ends:%H:%M} UTC); pipelines: demo/pipelines.json\n")
        # The alarm's OK event is sent once the alarm is OK (below), as CloudWatch sends it.
        for event in sorted((ROOT / "events").glob("*.json")):
            if not event.name.startswith("alarm-ok-"):
                failures += invoke(event, lambda_port)
        failures += clear_alarms_and_sweep(fixture, stand_in, log_dir / "stand-in.log", lambda_port)
        failures += await_wake_up(freeze_ends, log_dir / "stand-in.log")
    finally:
        for process in (watch, stand_in):
            process.terminate()
        for process in (watch, stand_in):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    print("\n== what CodePipeline and SNS were asked (target/demo/stand-in.log)")
    print((log_dir / "stand-in.log").read_text().rstrip() or "(nothing)")
    print("\nThe function's structured logs: target/demo/function.log")
    return 1 if failures else 0


def clear_alarms_and_sweep(fixture: Path, stand_in: subprocess.Popen, log: Path,
                           port: int) -> int:
    """Sets every alarm of the fixture OK, has the stand-in reload it, sends CloudWatch's
    "Alarm State Change" event for it (which decides what the alarm held back), and sweeps
    again (which finds nothing left)."""
    world = json.loads(fixture.read_text())
    firing = [alarm for alarm in world.get("alarms", []) if alarm["StateValue"] != "OK"]
    if not firing:
        return 0
    names = ", ".join(alarm["AlarmName"] for alarm in firing)
    print(f"\n== {names} back to OK (the stand-in reloads its fixture on SIGHUP); "
          "its state-change event arrives, then the sweep runs again\n")
    for alarm in firing:
        alarm["StateValue"] = "OK"
        alarm["StateReason"] = ("Threshold Crossed: 1 out of the last 1 datapoints "
                                "was not greater than the threshold (5.0).")
    # Only the alarms: a reload replaces what the file holds, and the pipelines must keep
    # the answers the gate has given them.
    fixture.write_text(json.dumps({"alarms": world["alarms"]}, indent=2) + "\n")
    reloads = log.read_text().count("reloaded ")
    stand_in.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while log.read_text().count("reloaded ") == reloads:
        if time.monotonic() > deadline:
            print("the stand-in did not reload its fixture within 10 s; see target/demo/stand-in.log")
            return 1
        time.sleep(0.1)
    failures = 0
    for alarm in firing:
        failures += invoke(ROOT / "events" / f"alarm-ok-{alarm['AlarmName']}.json", port)
    return failures + invoke(ROOT / "events" / "scheduled-sweep.json", port)


def policy_with_freeze_ending_soon(log_dir: Path) -> tuple[Path, datetime.datetime]:
    """A copy of demo/policy.json whose release freeze ends at the first whole minute at
    least 45 seconds from now: time for the demo to send its deferral first."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ends = datetime.datetime.fromtimestamp(
        math.ceil((now.timestamp() + 45) / 60) * 60, datetime.timezone.utc)
    policy = json.loads((ROOT / "demo" / "policy.json").read_text())
    rule = next(rule for rule in policy["rules"] if rule["name"] == FROZEN_RULE)
    rule["windows"]["freeze"][0]["to"] = f"{ends:%Y-%m-%dT%H:%M}"
    path = log_dir / "policy.json"
    path.write_text(json.dumps(policy, indent=2) + "\n")
    return path, ends


def await_wake_up(freeze_ends: datetime.datetime, log: Path) -> int:
    """Waits for the stand-in to fire the wake-up the deferral scheduled (it fires at the
    minute the freeze ends) and shows what the function answered it."""
    print(f"\n== waiting for {freeze_ends:%H:%M} UTC, when the freeze ends and Scheduler "
          "(the stand-in) fires the wake-up the deferral scheduled\n", flush=True)
    deadline = freeze_ends.timestamp() + 90
    waited = False
    while time.time() < deadline:
        fired = [line for line in log.read_text().splitlines()
                 if line.startswith("fired schedule ")]
        if fired:
            break
        waited = True
        time.sleep(0.5)
    else:
        print("no wake-up fired within 90 s of the freeze's end; see target/demo/stand-in.log")
        return 1
    failures = 0
    for line in fired:
        name, _, answer = line.removeprefix("fired schedule ").partition(" -> ")
        status, _, body = answer.partition(" ")
        late = f", answered {time.time() - freeze_ends.timestamp():.0f} s after the freeze ended"
        print(f"wake-up {name} fired{late if waited else ''}:")
        if status != "200":
            print(f"  the invocation failed: {answer}")
            failures += 1
            continue
        show(WOKEN_EVENT + " (woken)", json.loads(body))
    return failures


def invoke(event: Path, port: int) -> int:
    result = subprocess.run(
        ["cargo", "lambda", "invoke", "approval-gate", "--invoke-address", "127.0.0.1",
         "--invoke-port", str(port), "--data-file", str(event), "--output-format", "json"],
        capture_output=True,
        text=True,
    )
    name = event.stem
    if result.returncode != 0:
        print(f"{name:<26} -> invocation failed: {(result.stderr or result.stdout).strip()}")
        return 1
    try:
        response = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"{name:<26} -> unreadable response: {result.stdout.strip()}")
        return 1
    show(name, response)
    return 0


def show(name: str, response: dict) -> None:
    """Prints a response as event -> verdict -> reasons, a line a record."""
    sweep = response.get("sweep")
    if sweep is not None:
        print(f"{name:<26} -> sweep              -> {sweep['pipelines']} pipeline(s) covered, "
              f"{sweep['pending']} approval(s) waiting, {sweep['answered']} answered, "
              f"{len(sweep['failures'])} failure(s)")
    for record in response.get("records", []):
        verdict = record["outcome"]
        if record["answer"] not in ("none",):
            verdict += f" ({record['answer']})"
        rule = f"rule {record['rule']}: " if record.get("rule") else ""
        print(f"{name:<26} -> {verdict:<18} -> {rule}{'; '.join(record['reasons'])}")


if __name__ == "__main__":
    sys.exit(main())
