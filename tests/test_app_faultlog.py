"""A native crash in the app's processes leaves a traceback in faults.log."""

import subprocess
import sys


def test_a_segfault_leaves_a_trace_in_the_fault_log(tmp_path):
    code = (
        "import ctypes\n"
        "from ideamap.app.crashlog import enable_fault_log\n"
        "print(enable_fault_log(), flush=True)\n"
        "def crash_here():\n"
        "    ctypes.string_at(0)\n"
        "crash_here()\n"
    )
    env = {"IDEAMAP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode != 0
    log = open(done.stdout.strip(), encoding="utf-8").read()
    assert "Segmentation fault" in log and "crash_here" in log
