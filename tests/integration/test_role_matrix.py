"""The role across Prometheus versions and config styles, and over the corpus of real-looking
prometheus.yml files (issue 6): real ansible-playbook runs of playbooks/site.yml and remove.yml
against the composite sandbox, every claim read back from Prometheus's API, promtool and the
bytes on disk.

* test_version_matrix: each present Prometheus x each style it supports (2.42: block; 2.53 and
  3.x: block and file), each one host of one mixed fleet that every run takes at once,
  converges with every target up, is promtool-valid, re-runs with changed=0 and no reload,
  and remove.yml gives back the main file byte for byte.
* test_corpus_survives_the_role: the corpus files that are valid success cases on 2.42, each on
  its own Prometheus host of one sandbox (one site.yml and one remove.yml run for all of them):
  outside our markers nothing moved, promtool passes, the Aiven job is a live scrape pool, and
  remove.yml restores every file byte for byte. One more host holds a job named like ours
  outside our block: that host fails with a message naming the job, its file untouched.
"""
import pathlib
import re
import shutil
import subprocess

import pytest

from prometheus_corpus import CORPUS, success_cases
from role_runs import REMOVE, SITE, ok, recap, reload_ts, run, sandboxes
from sandbox.prometheus import missing_reason, versions
from sandbox.util import wait_until

REPO = pathlib.Path(__file__).resolve().parents[2]
SERVICE = ("pg-orders", "pg", 2)
MARKER_RE = re.compile(r"^[ \t]*# (BEGIN|END) aiven_tools\.prometheus aiven-acme \[")
REPLACED = "# aiven_tools.prometheus replaced: "

# Each present version x each style it supports (2.42 has no scrape_config_files).
MATRIX = [("2.42", "block"), ("2.53", "block"), ("2.53", "file"), ("3.5", "block"), ("3.5", "file")]


@pytest.fixture
def sandbox_factory(tmp_path):
    yield from sandboxes(tmp_path, services=[SERVICE])


def promtool_check(prom):
    proc = subprocess.run([prom.binaries.promtool, "check", "config", prom.config_file],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, "promtool rejects %s:\n%s%s" % (prom.config_file, proc.stdout, proc.stderr)


def scrape_pools(prom):
    """Active scrape pools (from /api/v1/targets: also on Prometheus without /scrape_pools)."""
    return {t.get("scrapePool") for t in prom.targets()}


def split_block(text):
    """(text outside our markers, lines from BEGIN to END inclusive) of a config file."""
    outside, block, inside = [], [], False
    for line in text.splitlines(keepends=True):
        match = MARKER_RE.match(line)
        if match and match.group(1) == "BEGIN":
            inside = True
        if inside:
            block.append(line)
        else:
            outside.append(line)
        if match and match.group(1) == "END":
            inside = False
    assert not inside, "BEGIN without END:\n" + text
    return "".join(outside), block


# ------------------------------------------------------------------------------- version matrix

def test_version_matrix(ansible, sandbox_factory):
    """Every (version, style) of MATRIX is one Prometheus host of one mixed fleet, and each of the
    three runs (converge, re-run, remove) takes them all at once, as a real fleet would: every
    claim below is asserted host by host. One run per step instead of one sandbox and three runs
    per case: the role's per-host steps (preflight, scrape_config, prometheus_reload) run on each
    host with its own Prometheus, promtool and style either way; what the cases share (the API
    pass on the controller, the playbook start) ran five times before for the same answer."""
    present = versions()
    cases = [(label, style) for label, style in MATRIX if label in present]
    missing = sorted({label for label, _style in MATRIX if label not in present})
    if not cases:
        pytest.skip("; ".join(missing_reason(label) for label in missing))
    box = sandbox_factory(prometheus_version=[label for label, _style in cases])
    hosts = [(label, style, prom) for (label, style), prom in zip(cases, box.prometheus)]
    # Per host, in the inventory (extra vars would set one style for every host).
    styles = {prom.name: {"prometheus_aiven_config_style": style} for _label, style, prom in hosts}
    forks = {"ANSIBLE_FORKS": str(len(hosts) + 1)}
    job, nodes = box.job_name(SERVICE[0]), box.nodes[SERVICE[0]]
    main = {prom.name: pathlib.Path(prom.config_file) for _label, _style, prom in hosts}
    dropin = {name: path.parent / "scrape_configs.d" / "aiven-acme.yml" for name, path in main.items()}
    original = {name: path.read_bytes() for name, path in main.items()}

    # Converge: every target up and verified over TLS, as each Prometheus itself reports it.
    counts = ok(run(ansible, box, SITE, env=forks, host_vars=styles))
    for label, style, prom in hosts:
        case = "%s %s (%s)" % (label, style, prom.name)
        assert counts[prom.name]["changed"] > 0, case
        # The standby has a replica- host name, so a job of its own (one server_name per job).
        targets = prom.wait_targets_up((job, job + "-replica"), len(nodes), timeout=40)
        assert sorted(t["labels"]["instance"] for t in targets) == sorted(n.address for n in nodes), case
        assert all(t["scrapeUrl"].startswith("https://") and t["labels"]["aiven_service"] == SERVICE[0]
                   for t in targets), case
        promtool_check(prom)
        text = main[prom.name].read_text()
        outside, block = split_block(text)
        assert outside.encode() == original[prom.name], "%s: the hand-written part of the main file changed" % case
        if style == "block":
            assert "[scrape_configs]" in block[0] and "job_name: %s" % job in "".join(block), case
            assert not dropin[prom.name].exists(), case
        else:
            assert "[scrape_config_files]" in block[0] and "scrape_config_files:" in "".join(block), case
            assert "job_name: %s" % job in dropin[prom.name].read_text() and job not in text, case
        assert prom.runtimeinfo()["reloadConfigSuccess"] is True, case

    # Second run: nothing changes, no reload, on any host.
    before = {prom.name: reload_ts(prom) for _label, _style, prom in hosts}
    files = {p: p.read_bytes() for path in main.values() for p in path.parent.rglob("*") if p.is_file()}
    counts = ok(run(ansible, box, SITE, env=forks, host_vars=styles))
    assert {host: c["changed"] for host, c in counts.items() if c["changed"]} == {}
    assert {prom.name: reload_ts(prom) for _label, _style, prom in hosts} == before
    assert {p: p.read_bytes() for path in main.values() for p in path.parent.rglob("*") if p.is_file()} == files

    # remove.yml: each main file is byte-identical to before, the job is gone from each Prometheus.
    ok(run(ansible, box, REMOVE, env=forks, host_vars=styles))
    for label, style, prom in hosts:
        case = "%s %s (%s)" % (label, style, prom.name)
        assert main[prom.name].read_bytes() == original[prom.name], case
        assert not dropin[prom.name].exists(), case
        assert not [p.name for p in main[prom.name].parent.iterdir()
                    if p.name.startswith("aiven-") or p.name.endswith("~")], case
        wait_until(lambda: not {job, job + "-replica"} & set(scrape_pools(prom)), 20,
                   "%s: job %s gone from Prometheus" % (case, job), interval=0.2)
        promtool_check(prom)
    if missing:  # the present ones passed; say which were not tried
        pytest.skip("matrix without %s: %s" % (", ".join(missing), "; ".join(missing_reason(l) for l in missing)))


# ------------------------------------------------------------------------------- corpus

def expected_outside(name, original):
    """What the text outside our markers must be, for corpus file `name` (the module's documented
    exceptions: see plugins/module_utils/_scrape_config/document.py)."""
    if original and not original.endswith("\n"):
        return original + "\n"  # block appended to a file without a final newline
    if name == "flow_empty.yml":  # `scrape_configs: []` is replaced; its line is kept in the block
        return "".join(line for line in original.splitlines(keepends=True)
                       if not line.startswith("scrape_configs:"))
    return original


def place_config(prom, data):
    """Give a running sandbox Prometheus `data` as its config (with the rule file and other.d/
    the corpus refers to by relative path) and reload it."""
    directory = pathlib.Path(prom.config_file).parent
    for sub in ("rules", "other.d"):
        if not (directory / sub).exists():
            shutil.copytree(str(CORPUS / sub), str(directory / sub))
    pathlib.Path(prom.config_file).write_bytes(data)
    status, body = prom.reload_http()
    assert status == 200, "Prometheus refuses %s: %s" % (prom.config_file, body)


def test_corpus_survives_the_role(ansible, sandbox_factory):
    names = success_cases((2, 42))
    assert len(names) >= 8, names
    # One host per corpus file, plus one whose config already has a job named like ours.
    # keys_after.yml has remote_write to nowhere: without a short flush deadline each stop waits.
    box = sandbox_factory(prometheus_version="2.42", prometheus_count=len(names) + 1,
                          prometheus_extra_args=["--storage.remote.flush-deadline=1s"])
    job = box.job_name(SERVICE[0])
    cases = dict(zip(names, box.prometheus))
    conflict = box.prometheus[-1]
    originals = {}
    for name, prom in cases.items():
        originals[name] = (CORPUS / name).read_bytes()
        place_config(prom, originals[name])
    conflict_bytes = (CORPUS / "conflict_job.yml").read_bytes().replace(b"aiven-corpus", job.encode())
    assert b"BEGIN" not in conflict_bytes and job.encode() in conflict_bytes
    place_config(conflict, conflict_bytes)
    conflict_ts = reload_ts(conflict)
    forks = {"ANSIBLE_FORKS": str(len(box.prometheus) + 1)}

    # The targets being up is test_version_matrix's business: here only the files and the pools.
    proc = run(ansible, box, SITE, env=forks, prometheus_aiven_verify_targets=False)
    hosts = recap(proc)
    report = proc.stdout[-8000:] + proc.stderr[-2000:]
    for name, prom in cases.items():
        assert hosts[prom.name]["failed"] == 0 and hosts[prom.name]["changed"] > 0, (name, report)
        text = pathlib.Path(prom.config_file).read_text()
        outside, block = split_block(text)
        assert block, "%s: no block placed" % name
        assert outside == expected_outside(name, originals[name].decode()), name
        if name == "flow_empty.yml":
            assert any(line.strip().startswith(REPLACED + "scrape_configs: []") for line in block), block
        promtool_check(prom)
        wait_until(lambda: job in scrape_pools(prom), 10, "%s: job %s a scrape pool of %s" % (name, job, prom.name),
                   interval=0.2)

    # The conflict: that host alone fails, naming the job; its file and Prometheus untouched.
    assert hosts[conflict.name]["failed"] == 1, report
    fatal = [line for line in proc.stdout.splitlines() if line.startswith("fatal: [%s]" % conflict.name)]
    assert fatal and job in fatal[0] and "already exists" in fatal[0], report
    assert pathlib.Path(conflict.config_file).read_bytes() == conflict_bytes
    assert reload_ts(conflict) == conflict_ts

    # remove.yml: every file is back byte for byte, also the one the role refused to touch.
    ok(run(ansible, box, REMOVE, env=forks))
    for name, prom in cases.items():
        assert pathlib.Path(prom.config_file).read_bytes() == originals[name], name
        promtool_check(prom)
    assert pathlib.Path(conflict.config_file).read_bytes() == conflict_bytes
    for prom in box.prometheus:
        leftovers = [p.name for p in pathlib.Path(prom.config_file).parent.iterdir()
                     if p.name.startswith("aiven-") or p.name.endswith("~")]
        assert leftovers == [], (prom.name, leftovers)
