"""wrk --latency output -> "rps p50_ms p99_ms non2xx requests [socket errors]" (one line, for the bench scripts)."""
import re
import sys

text = open(sys.argv[1]).read()


def ms(label):
    m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    v = float(m.group(1))
    unit = m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
reqs = int(re.search(r"(\d+) requests in", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errs = re.search(r"Socket errors:.*", text)
print(f"{rps:.0f} {ms('50'):.2f} {ms('99'):.2f} {bad.group(1) if bad else 0} {reqs}"
      + (f" [{errs.group(0)}]" if errs else ""))
