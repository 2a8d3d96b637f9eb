"""A minimal Lambda custom-runtime loop for a Python handler (what the managed Python
runtime does before calling the handler): import the module, then poll the Runtime API."""

import importlib
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
module = importlib.import_module(os.environ.get("BENCH_HANDLER_MODULE", "boto3_gate"))

while True:
    with urllib.request.urlopen(f"http://{api}/2018-06-01/runtime/invocation/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    body = json.dumps(module.handler(event, None)).encode()
    urllib.request.urlopen(
        urllib.request.Request(
            f"http://{api}/2018-06-01/runtime/invocation/{request_id}/response",
            data=body,
            method="POST",
        )
    ).read()
