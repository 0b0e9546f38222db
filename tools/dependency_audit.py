"""Check the installed dependencies against the published vulnerability databases with pip-audit.

Run: .venv/bin/python tools/dependency_audit.py   (or `make audit`)

Exits 1 when a dependency has a known vulnerability that is not listed in ACCEPTED with its reason.
When the vulnerability service cannot be reached (a machine without outside network access), nothing could be
checked: it says so plainly, lists the packages it could not audit, and exits 0, so that an offline build is
not blocked; an online build is checked for real.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Vulnerability id -> why it does not affect Storecheck. Every entry needs a reason a reviewer can check.
ACCEPTED: dict[str, str] = {}


def main() -> int:
    done = subprocess.run([sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"],
                          capture_output=True, text=True)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"dependency audit NOT DONE: pip-audit could not run ({reason})")
        return 0 if "ConnectionError" in done.stderr or "Name or service not known" in done.stderr else 1
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    found = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
    problems = [(name, version, v) for name, version, v in found if v["id"] not in ACCEPTED]
    for name, version, vuln in found:
        mark = "accepted" if vuln["id"] in ACCEPTED else "VULNERABLE"
        print(f"{mark}: {name} {version} {vuln['id']} (fixed in {', '.join(vuln.get('fix_versions', [])) or '-'})"
              + (f": {ACCEPTED[vuln['id']]}" if vuln["id"] in ACCEPTED else ""))
    if not audited and skipped:
        print(f"dependency audit NOT DONE: the vulnerability service answered for none of the {len(skipped)} "
              "installed packages (no access to it from this machine); run `make audit` where it is reachable")
        return 0
    for dep in skipped:
        print(f"not audited: {dep['skip_reason']}")
    print(f"dependency audit: {len(audited)} packages checked, {len(problems)} with unaccepted vulnerabilities")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
