"""`make demo`: the collection's main job, end to end.

Without AIVEN_TOKEN: starts the sandbox (fake Aiven API, Aiven-like HTTPS nodes signed by a
project CA, a DNS server, a real Prometheus with an existing config on loopback), runs
playbooks/site.yml against it and prints Prometheus's own view of the Aiven targets.

With AIVEN_TOKEN (and AIVEN_PROJECT): runs playbooks/enable.yml against that real project in
check mode with a diff, so nothing changes; APPLY=1 applies it. AIVEN_SERVICES (comma-separated)
limits it to those services; the CA and password files go to ./aiven-output/.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from conftest import COLLECTIONS_ROOT  # noqa: E402  (links the checkout as a collection)
from sandbox.prometheus import versions  # noqa: E402
from sandbox.sandbox import Sandbox  # noqa: E402


def ansible_env():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT), ANSIBLE_NOCOLOR="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.setdefault("ANSIBLE_PYTHON_INTERPRETER", sys.executable)
    return env


def real_aiven():
    if not os.environ.get("AIVEN_PROJECT"):
        sys.exit("AIVEN_TOKEN (or AIVEN_AUTH_TOKEN) is set: also set AIVEN_PROJECT to the project to enable (or unset it "
                 "for the local sandbox demo).")
    output = REPO / "aiven-output"
    output.mkdir(exist_ok=True)
    argv = ["ansible-playbook", str(REPO / "playbooks" / "enable.yml"), "-e", "aiven_output_dir=%s" % output]
    services = [s.strip() for s in os.environ.get("AIVEN_SERVICES", "").split(",") if s.strip()]
    if services:
        argv += ["-e", json.dumps({"aiven_services": services})]
    if os.environ.get("APPLY") != "1":
        print("Check mode: shows what would change in project %s. Run `make demo APPLY=1` to apply."
              % os.environ["AIVEN_PROJECT"], flush=True)
        argv += ["--check", "--diff"]
    return subprocess.call(argv, env=ansible_env(), cwd=str(REPO))


def sandbox():
    present = versions()
    if not present:
        sys.exit("no Prometheus build found: run `make system` (or `make demo`, which does)")
    version = next(iter(present))
    with tempfile.TemporaryDirectory(prefix="aiven-demo-") as tmp:
        box = Sandbox(pathlib.Path(tmp), services=[("pg-orders", "pg", 2), ("kafka-events", "kafka", 3)],
                      prometheus_version=version)
        with box:
            prom = box.prometheus[0]
            print("Sandbox: fake Aiven API %s, project %s, Prometheus %s at %s (config %s)"
                  % (box.api_url, box.project, prom.version, prom.url, prom.config_file), flush=True)
            argv = ["ansible-playbook", str(REPO / "playbooks" / "site.yml"), "-i", str(box.write_inventory()),
                    "-e", "@%s" % box.write_extra_vars(prometheus_aiven_discovery="static")]
            print("$ " + " ".join(argv), flush=True)
            code = subprocess.call(argv, env=ansible_env(), cwd=str(REPO))
            if code != 0:
                return code
            print("\nPrometheus's scrape targets (from %s/api/v1/targets):" % prom.url)
            print("%-40s %-28s %-6s %s" % ("job", "target", "health", "last error"))
            for target in sorted(prom.targets(), key=lambda t: (t["labels"].get("job", ""), t["scrapeUrl"])):
                print("%-40s %-28s %-6s %s" % (target["labels"].get("job"), target["labels"].get("instance"),
                                               target["health"], target.get("lastError") or "-"))
            print("\nThe jobs the role placed (between the markers of %s):" % prom.config_file)
            text = pathlib.Path(prom.config_file).read_text()
            start = text.find("# BEGIN aiven_tools.prometheus")
            end = text.find("# END aiven_tools.prometheus")
            print(text[start:text.find("\n", end) + 1] if start >= 0 and end > start else "(jobs are in a drop-in file)")
    return 0


def main():
    if os.environ.get("AIVEN_TOKEN") or os.environ.get("AIVEN_AUTH_TOKEN"):
        return real_aiven()
    return sandbox()


if __name__ == "__main__":
    sys.exit(main())
