#!/usr/bin/env python3
"""Cold start and memory: approval-gate (the release binary) against the same gate written
with boto3, each started fresh for every run, as a Lambda cold start would.

For each run it starts the AWS stand-in (fresh approval state), serves the Lambda Runtime API
itself, spawns the function and records:
  init   - from process start to the function's first `GET /next` (ready to work);
  invoke - from handing over the event to the function's response (reads, answer, publish);
  rss    - the process's peak resident memory (VmHWM) after the response.
Both run on this machine's CPU (x86_64), not on Lambda's arm64; the comparison is what counts.

Usage: bench/cold_start.py [RUNS]
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENT = (ROOT / "events" / "approved-by-rule.json").read_bytes()


class RuntimeApi(BaseHTTPRequestHandler):
    """One invocation: the first /next gets the event, later ones wait forever."""

    state = {}

    def log_message(self, *_):
        pass

    def do_GET(self):
        if self.state.get("handed_over"):
            threading.Event().wait()
        self.state["next_at"] = time.perf_counter()
        self.state["handed_over"] = True
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Length", str(len(EVENT)))
        self.end_headers()
        self.wfile.write(EVENT)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.state["body"] = self.rfile.read(length)
        self.state["response_at"] = time.perf_counter()
        self.send_response(202)
        self.end_headers()
        self.wfile.write(b'{"status":"OK"}')
        self.state["done"].set()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def one_run(command, extra_env):
    aws_port = free_port()
    stand_in = subprocess.Popen(
        [str(ROOT / "target/release/stand-in"), "--port", str(aws_port), "--pipelines", str(ROOT / "demo/pipelines.json")],
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", aws_port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)

    RuntimeApi.state = {"done": threading.Event()}
    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ["PATH"],
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        **extra_env,
    }
    started = time.perf_counter()
    log = open(ROOT / "target" / "bench-function.log", "w")
    function = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        if not RuntimeApi.state["done"].wait(60):
            sys.exit(f"{command[0]} gave no response within 60 s; see target/bench-function.log")
        rss = peak_rss_kib(function.pid)
        body = json.loads(RuntimeApi.state["body"])
    finally:
        function.kill()
        function.wait()
        server.shutdown()
        stand_in.kill()
        stand_in.wait()
    state = RuntimeApi.state
    return {
        "init": (state["next_at"] - started) * 1000,
        "invoke": (state["response_at"] - state["next_at"]) * 1000,
        "rss": rss / 1024,
        "body": body,
    }


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    os.chdir(ROOT)
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "approval-gate", "-p", "stand-in", "--bins"], check=True)
    binary = ROOT / "target/release/approval-gate"
    contenders = {
        "approval-gate (Rust)": ([str(binary)], {"GATE_POLICY_FILE": str(ROOT / "demo/policy.json")}),
        "boto3 equivalent (Python)": ([sys.executable, str(ROOT / "bench/python_runtime.py")], {}),
    }
    print(f"{runs} cold starts each; median (min-max)\n")
    print(f"{'':<28}{'init ms':>22}{'first invoke ms':>24}{'peak RSS MiB':>22}")
    for name, (command, env) in contenders.items():
        one_run(command, env)  # warm the page cache, like a provisioned image
        results = [one_run(command, env) for _ in range(runs)]
        outcome = results[0]["body"]
        assert "approve" in json.dumps(outcome).lower(), f"{name} did not approve: {outcome}"
        cells = []
        for key in ("init", "invoke", "rss"):
            values = [r[key] for r in results]
            cells.append(f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})")
        print(f"{name:<28}{cells[0]:>22}{cells[1]:>24}{cells[2]:>22}")
    size = binary.stat().st_size / 1024 / 1024
    print(f"\nrelease binary: {size:.1f} MiB (x86_64; `make build` gives the arm64 one for Lambda)")


if __name__ == "__main__":
    main()
