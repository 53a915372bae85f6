"""Run trial over the suite and end with a plain 'N passed, N failed, N skipped' line."""

import os
import re
import subprocess
import sys


def main() -> int:
    args = sys.argv[1:] or ["tests"]
    jobs = os.environ.get("VOICEDOCK_TEST_JOBS", "2")
    cmd = [sys.executable, "-m", "twisted.trial", f"--jobs={jobs}", *args]
    env = dict(os.environ)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    tail = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace")
        sys.stdout.write(line)
        sys.stdout.flush()
        tail.append(line)
        del tail[:-50]
    code = proc.wait()
    summary = next((l for l in reversed(tail) if re.match(r"^(PASSED|FAILED) \(", l)), "")
    counts = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", summary))
    passed = counts.get("successes", 0)
    failed = counts.get("failures", 0) + counts.get("errors", 0) + counts.get("unexpectedSuccesses", 0)
    skipped = counts.get("skips", 0) + counts.get("expectedFailures", 0)
    if code != 0 and failed == 0:
        failed = 1  # trial failed without a summary (e.g. an import error)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return code if code else (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
