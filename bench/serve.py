"""Serving figures: seconds until `python app.py` answers HTTP on an existing index, and its RSS.

    python bench/serve.py --index-dir /tmp/mh-index

Starts the app on a free port, polls until the page loads, asks a few questions through the
app's own Python API route, then reads the server's resident memory from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", nargs="*", default=["What was agreed in Jinan?", "Who is Sam Altman?"])
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(args.index_dir), "GRADIO_SERVER_PORT": str(port)}
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, str(REPO / "app.py")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the app exited with status {server.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        ready_s = time.perf_counter() - started

        from gradio_client import Client

        client = Client(url, verbose=False)
        ask_times = []
        for question in args.questions:
            t = time.perf_counter()
            client.predict(question, api_name="/ask")
            ask_times.append(round(time.perf_counter() - t, 3))
        result = {"ready_s": round(ready_s, 1), "api_ask_s": ask_times, **memory_mb(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result, indent=2))
    print(f"\nready in {result['ready_s']} s; RSS {result.get('VmRSS')} MB (peak {result.get('VmHWM')} MB)")


if __name__ == "__main__":
    main()
