"""The role's idempotent converge against one module task (issue 10). Not a test: `make bench`.

In one run, alternating so that both sides meet the same machine load:
  converge  ansible-playbook playbooks/site.yml against the sandbox (fake Aiven API, two
            services, a real Prometheus), after a first run has converged: nothing to change;
  one task  a one-task playbook calling one of this collection's API modules
            (aiven_tools.prometheus.service_info) against the same fake API.
Prints each side's median, the ratio of medians and the tasks the converge ran (the TASK
headers in its output), and writes them to benchmarks/results/role_converge.txt.
Target: ratio < 2.0 (wall time). Exit status 1 when missed. The CPU time of each run (its
processes' user + system) is printed beside it: on a machine shared with other work, wall time
swings with the load and CPU time much less.
"""
import os
import pathlib
import re
import resource
import statistics
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from api_scale import timed  # noqa: E402  (one way to time a playbook run)
from conftest import ansible_env  # noqa: E402  (the test harness: interpreter, collection path)
from sandbox.prometheus import versions  # noqa: E402
from sandbox.sandbox import Sandbox  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
TARGET = 2.0


def cpu_timed(argv, env, cwd):
    """timed()'s (elapsed, proc), and the CPU seconds (user + system) of the run's processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = timed(argv, env, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    label = list(versions())[-1]
    with tempfile.TemporaryDirectory(prefix="aiven-bench-role-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        env = ansible_env(tmp, ANSIBLE_PIPELINING="1")
        box = Sandbox(tmp / "box", services=[("pg-orders", "pg", 2), ("kafka-events", "kafka", 3)],
                      prometheus_version=label)
        with box:
            extra = box.write_extra_vars(prometheus_aiven_discovery="static")
            converge = ["ansible-playbook", str(REPO / "playbooks" / "site.yml"), "-i", str(box.write_inventory()),
                        "-e", "@%s" % extra]
            playbook = tmp / "one_task.yml"
            playbook.write_text(
                "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                "    - aiven_tools.prometheus.service_info:\n"
                "        project: %s\n        api_url: %s\n        api_token: %s\n"
                % (box.project, box.api_url, box.token))
            one_task = ["ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook)]
            timed(converge, env, tmp)  # converge once; every timed run after it has nothing to do
            converge_s, one_s, converge_cpu, one_cpu, tasks = [], [], [], [], None
            for dummy in range(ROUNDS):
                (elapsed, proc), cpu = cpu_timed(converge, env, tmp)
                if not re.search(r"changed=0 ", proc.stdout):
                    sys.exit("the converge changed something:\n" + proc.stdout[-3000:])
                converge_s.append(elapsed)
                converge_cpu.append(cpu)
                tasks = len(re.findall(r"^TASK \[", proc.stdout, re.M))
                (elapsed, proc), cpu = cpu_timed(one_task, env, tmp)
                one_s.append(elapsed)
                one_cpu.append(cpu)
    converge_m, one_m = statistics.median(converge_s), statistics.median(one_s)
    ratio = converge_m / one_m
    cpu_ratio = statistics.median(converge_cpu) / statistics.median(one_cpu)
    lines = [
        "Prometheus %s, 2 services, discovery static, %d alternating rounds, load average %.1f at the end"
        % (label, ROUNDS, os.getloadavg()[0]),
        "idempotent converge of site.yml:       median %.2f s, CPU %.2f s  (%d tasks run)"
        % (converge_m, statistics.median(converge_cpu), tasks),
        "one-task playbook (service_info):      median %.2f s, CPU %.2f s" % (one_m, statistics.median(one_cpu)),
        "%s  ratio of medians %.2fx (target < %.1fx); CPU time %.2fx"
        % ("PASS" if ratio < TARGET else "MISS", ratio, TARGET, cpu_ratio),
    ]
    print("\n".join(lines))
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "role_converge.txt").write_text("\n".join(lines) + "\n")
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
