"""The machine the benchmark ran on, for the report's header."""

import os
import platform
import re
import subprocess
from pathlib import Path


def load_average():
    return Path("/proc/loadavg").read_text().split()[0]


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def tool_version(args):
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError:
        return "missing"
    return (result.stdout + result.stderr).strip().splitlines()[0]
