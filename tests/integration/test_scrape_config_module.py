"""aiven_tools.prometheus.scrape_config through real `ansible`, validated by real promtool.

Each corpus file is copied to a directory of its own (with the rule file and other.d/ it may
reference by relative path), so validation next to the real file is what makes it pass.
"""
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from prometheus_corpus import CORPUS, success_cases
from sandbox.nodes import AivenNode, ProjectCA
from sandbox.prometheus import PrometheusProcess, missing_reason, versions
from sandbox.util import wait_until

MODULE = "aiven_tools.prometheus.scrape_config"
REPO = pathlib.Path(__file__).resolve().parents[2]
JOBS = "- job_name: aiven-corpus\n  scheme: https\n  static_configs:\n    - targets: ['127.0.0.2:9273']\n"
INVALID_JOBS = "- job_name: aiven-corpus\n  bogus_option: 1\n  static_configs: []\n"


def binaries(label):
    present = versions()
    if label not in present:
        pytest.skip(missing_reason(label))
    return present[label]


def prepare(tmp_path, corpus_name, subdir="etc"):
    """Copy one corpus file to DIR/prometheus.yml beside what it references; returns the path."""
    target = tmp_path / subdir
    target.mkdir(parents=True)
    shutil.copytree(str(CORPUS / "rules"), str(target / "rules"))
    shutil.copytree(str(CORPUS / "other.d"), str(target / "other.d"))
    config = target / "prometheus.yml"
    config.write_bytes((CORPUS / corpus_name).read_bytes())
    os.chmod(str(config), 0o640)
    return config


def snapshot(directory):
    """{relative path: (bytes, mtime_ns)} of every file under `directory`."""
    out = {}
    for root, _dirs, files in os.walk(str(directory)):
        for name in files:
            path = os.path.join(root, name)
            out[os.path.relpath(path, str(directory))] = (open(path, "rb").read(), os.stat(path).st_mtime_ns)
    return out


def run(ansible, config, promtool, content=JOBS, **extra):
    args = {"path": str(config), "name": "corpus", "content": content, "validate": promtool}
    args.update({k: v for k, v in extra.items() if k not in ("check_mode", "diff")})
    if args.get("state") == "absent":
        args.pop("content")
    return ansible.module(MODULE, args, check_mode=extra.get("check_mode", False), diff=extra.get("diff", False))


SWEEP = r"""
- hosts: sweepers
  gather_facts: false
  tasks:
    - name: Place the jobs (the diff keeps what was placed, for the test to read)
      diff: true
      aiven_tools.prometheus.scrape_config: &place
        path: "{{ item.path }}"
        name: corpus
        content: "{{ jobs }}"
        style: "{{ style }}"
        validate: "{{ item.promtool }}"
      loop: "{{ configs }}"
      register: first
    - name: Place them again (idempotent)
      aiven_tools.prometheus.scrape_config: *place
      loop: "{{ configs }}"
      register: second
    - name: Remove them
      aiven_tools.prometheus.scrape_config:
        path: "{{ item.path }}"
        name: corpus
        state: absent
        validate: "{{ item.promtool }}"
      loop: "{{ configs }}"
      register: gone
    - name: Hand the results to the test
      ansible.builtin.copy:
        content: "{{ {'first': first.results, 'second': second.results, 'gone': gone.results} | to_json }}"
        dest: "{{ results }}/{{ inventory_hostname }}.json"
        mode: "0600"
"""
SWEEPERS = 2  # local "hosts" that share the files, so the sweep can use both cores (ANSIBLE_FORKS)


def promtool_accepts(tool, placed):
    """`promtool check config` of the texts the module placed ({path: text}, the main file first),
    written where they were placed and put back afterwards: (returncode, output)."""
    paths = [pathlib.Path(path) for path in placed]
    saved = {path: path.read_bytes() if path.exists() else None for path in paths}
    made_dirs = [path.parent for path in paths if not path.parent.exists()]
    try:
        for path, text in zip(paths, placed.values()):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
        proc = subprocess.run([tool.promtool, "check", "config", str(paths[0])], capture_output=True, text=True,
                              timeout=60, check=False)
        return proc.returncode, proc.stdout + proc.stderr
    finally:
        for path, data in saved.items():
            if data is None:
                path.unlink()
            else:
                path.write_bytes(data)
        for directory in made_dirs:
            directory.rmdir()


@pytest.mark.parametrize("style", ["block", "file"])
def test_corpus_sweep(ansible, tmp_path, style):
    """Every corpus file: add (promtool-valid), re-run unchanged, remove byte-identically; then
    every other present Prometheus that accepts the file (and the style) checks what was placed.

    One module sweep per style: the module validates each file with the oldest present promtool
    that accepts it (the version most likely to differ), and `promtool check config` of every
    newer one is run on the exact bytes placed (its diff), in the same directory. With the style
    given, what the module writes does not depend on the promtool version (its version probe and
    `auto` are test_auto_picks_style_and_is_idempotent's, per version); so this asserts what a
    module sweep per version did (five of them: about 250 module runs instead of 120). The files
    are shared out to two local hosts of one run, so the sweep uses both cores when it can."""
    oldest = (2, 43) if style == "file" else (0, 0)  # scrape_config_files came with 2.43
    tools = [tool for tool in versions().values() if tool.version[:2] >= oldest]
    if not tools:
        pytest.skip("no Prometheus here supports style %s" % style)
    accepting = {}  # corpus file: the tools that accept it, oldest first
    for tool in tools:
        for name in success_cases(tool.version[:2]):
            accepting.setdefault(name, []).append(tool)
    names = sorted(accepting)
    configs = {name: prepare(tmp_path, name, subdir=name[:-4]) for name in names}
    originals = {name: path.read_bytes() for name, path in configs.items()}
    (tmp_path / "sweep.yml").write_text(SWEEP)
    # The files are dealt out to SWEEPERS local hosts, each looping over its own share in one run.
    shares = [names[i::SWEEPERS] for i in range(SWEEPERS)]
    inventory = {"all": {"children": {"sweepers": {"hosts": dict(
        ("sweep-%d" % i, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                          "configs": [{"path": str(configs[name]), "promtool": accepting[name][0].promtool}
                                      for name in share]})
        for i, share in enumerate(shares))}}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "results").mkdir()
    extra = {"jobs": JOBS, "style": style, "results": str(tmp_path / "results")}
    proc = ansible.playbook(tmp_path / "sweep.yml", "-i", str(tmp_path / "inventory.json"), "-e", json.dumps(extra),
                            env={"ANSIBLE_PIPELINING": "1", "ANSIBLE_FORKS": str(SWEEPERS)})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    results = {}  # corpus file: {"first": result, "second": ..., "gone": ...}
    for i, share in enumerate(shares):
        part = json.loads((tmp_path / "results" / ("sweep-%d.json" % i)).read_text())
        for j, name in enumerate(share):
            results[name] = dict((key, part[key][j]) for key in ("first", "second", "gone"))
            assert all(r["item"]["path"] == str(configs[name]) for r in results[name].values()), name
    assert sorted(results) == names
    for name in names:
        first, second, gone = results[name]["first"], results[name]["second"], results[name]["gone"]
        assert first["changed"] and first["validated"] and first["style"] == style, (name, first)
        assert first["prometheus_version"].startswith("%d.%d." % accepting[name][0].version[:2]), (name, first)
        assert not second["changed"] and second["files"] == [], (name, second)
        assert gone["changed"], name
        placed = [d for d in first["diff"] if d["after_header"] == str(configs[name])][0]
        assert placed["before"] == originals[name].decode()
        data = yaml.safe_load(placed["after"])
        if style == "block":
            assert data["scrape_configs"][-1]["job_name"] == "aiven-corpus", name
        else:
            assert data["scrape_config_files"][-1] == "scrape_configs.d/corpus.yml", name
            assert [f["action"] for f in first["files"]] == ["created", "updated"], name
        assert configs[name].read_bytes() == originals[name], "%s not restored byte-identically" % name
        assert oct(os.stat(str(configs[name])).st_mode & 0o777) == "0o640", "mode kept"
        assert not (configs[name].parent / "scrape_configs.d" / "corpus.yml").exists()
        leftovers = [p for p in os.listdir(str(configs[name].parent)) if "candidate" in p]
        assert leftovers == [], leftovers
        # What the module placed, as every newer Prometheus that accepts the file reads it.
        texts = dict([(placed["after_header"], placed["after"])] + [
            (d["after_header"], d["after"]) for d in first["diff"] if d["after_header"] != str(configs[name])])
        assert len(texts) == (1 if style == "block" else 2), (name, list(texts))
        left = {path: data for path, (data, _mtime) in snapshot(configs[name].parent).items()}
        for tool in accepting[name][1:]:
            rc, output = promtool_accepts(tool, texts)
            assert rc == 0, "%s: promtool %d.%d.%d rejects what was placed:\n%s" % ((name,) + tool.version + (output,))
        assert {path: data for path, (data, _mtime) in snapshot(configs[name].parent).items()} == left


@pytest.mark.parametrize("label, expected", [("2.42", "block"), ("2.53", "file"), ("3.5", "file")])
def test_auto_picks_style_and_is_idempotent(ansible, tmp_path, label, expected):
    tool = binaries(label)
    config = prepare(tmp_path, "debian_default.yml")
    rc, result, proc = run(ansible, config, tool.promtool)
    assert rc == 0, proc.stdout + proc.stderr
    assert result["style"] == expected and result["prometheus_version"].startswith(label + ".")
    before = snapshot(config.parent)
    rc, again, proc = run(ansible, config, tool.promtool)
    assert rc == 0 and again["changed"] is False, proc.stdout
    assert snapshot(config.parent) == before, "second run touched a file (content or mtime)"


def test_file_style_on_242_is_a_clear_error(ansible, tmp_path):
    config = prepare(tmp_path, "debian_default.yml")
    before = snapshot(config.parent)
    rc, result, proc = run(ansible, config, binaries("2.42").promtool, style="file")
    assert rc != 0
    assert "style=file needs Prometheus 2.43 or later" in result["msg"] and "2.42.0" in result["msg"]
    assert snapshot(config.parent) == before


@pytest.mark.parametrize("style", ["block", "file"])
def test_check_mode_validates_and_changes_nothing(ansible, tmp_path, style):
    tool = binaries("3.5")
    config = prepare(tmp_path, "keys_after.yml")
    before = snapshot(config.parent)
    rc, result, proc = run(ansible, config, tool.promtool, style=style, check_mode=True, diff=True)
    assert rc == 0, proc.stdout + proc.stderr
    assert result["changed"] and result["validated"]
    assert snapshot(config.parent) == before
    assert not (config.parent / "scrape_configs.d").exists(), "check mode left the drop-in dir behind"
    assert "+++ after: %s" % config in proc.stdout
    if style == "file":
        assert "+++ after: %s" % (config.parent / "scrape_configs.d" / "corpus.yml") in proc.stdout
        assert [f["action"] for f in result["files"]] == ["created", "updated"]
    # ... and still catches an invalid candidate.
    rc, result, proc = run(ansible, config, tool.promtool, content=INVALID_JOBS, style=style, check_mode=True)
    assert rc != 0
    assert result["msg"].startswith("promtool rejected the new configuration, nothing was changed")
    assert "bogus_option" in result["msg"]
    assert snapshot(config.parent) == before


@pytest.mark.parametrize("label, style", [("2.42", "block"), ("3.5", "file")])
def test_invalid_candidate_leaves_live_files_untouched(ansible, tmp_path, label, style):
    tool = binaries(label)
    config = prepare(tmp_path, "debian_default.yml")
    rc, _result, proc = run(ansible, config, tool.promtool, style=style)
    assert rc == 0, proc.stdout
    before = snapshot(config.parent)
    rc, result, proc = run(ansible, config, tool.promtool, content=INVALID_JOBS, style=style)
    assert rc != 0 and "bogus_option" in result["msg"], proc.stdout
    assert str(config) in result["msg"], "promtool's message names the real file, not the temp file"
    assert snapshot(config.parent) == before


def test_job_name_conflicts_are_errors(ansible, tmp_path):
    tool = binaries("3.5")
    config = prepare(tmp_path, "conflict_job.yml")
    rc, result, _proc = run(ansible, config, tool.promtool, style="block")
    assert rc != 0
    assert "job 'aiven-corpus' already exists in %s line 6 (not managed" % config in result["msg"]
    config = prepare(tmp_path, "with_scrape_config_files.yml", subdir="other")
    rc, result, _proc = run(ansible, config, tool.promtool, content=JOBS.replace("aiven-corpus", "other-tool"))
    assert rc != 0
    assert "job 'other-tool' already exists in %s line 3" % (config.parent / "other.d" / "blackbox.yml") \
        in result["msg"]


def documented_rollback():
    """The rollback recipe from the module's EXAMPLES, exactly as a user would copy it."""
    text = (REPO / "plugins" / "modules" / "scrape_config.py").read_text()
    examples = yaml.safe_load(re.search(r'^EXAMPLES = r"""(.*?)^"""', text, re.M | re.S).group(1))
    [block] = [task for task in examples if task["name"].startswith("Put back what the module changed")]
    return block


def test_backup_and_rollback_with_the_documented_tasks(ansible, tmp_path):
    """The RETURN `files` list is enough to undo a run exactly (what the role does on a failed
    reload), with the recipe the module's EXAMPLES give."""
    tool = binaries("3.5")
    config = prepare(tmp_path, "indent4.yml")
    rc, _r, proc = run(ansible, config, tool.promtool, style="block")  # an earlier run: block style
    assert rc == 0, proc.stdout
    before = {k: v[0] for k, v in snapshot(config.parent).items()}
    place = {"name": "Move the jobs to a drop-in file, with backups",
             "aiven_tools.prometheus.scrape_config": {
                 "path": "{{ config }}", "name": "corpus", "content": "{{ jobs }}", "style": "file",
                 "backup": True, "validate": "{{ promtool }}"},
             "register": "placed"}
    drop_backups = {"ansible.builtin.file": {"path": "{{ item.backup }}", "state": "absent"},
                    "loop": "{{ placed.files | selectattr('backup', 'defined') }}"}
    keep_result = {"ansible.builtin.copy": {"content": "{{ placed | to_json }}", "dest": "{{ config }}.result",
                                            "mode": "0600"}}
    playbook = tmp_path / "rollback.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                                         "tasks": [place, documented_rollback(), drop_backups, keep_result]}]))
    extra = {"config": str(config), "jobs": JOBS.replace("corpus", "corpus-v2"), "promtool": tool.promtool}
    proc = ansible.playbook(playbook, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra))
    assert proc.returncode == 0, proc.stdout[-5000:]
    placed = json.loads(pathlib.Path(str(config) + ".result").read_text())
    assert [(f["action"], "backup" in f) for f in placed["files"]] == [("created", False), ("updated", True)]
    assert placed["backup_file"] == placed["files"][1]["backup"]
    after = {k: v[0] for k, v in snapshot(config.parent).items() if not k.endswith(".result")}
    assert after == before
    assert oct(os.stat(str(config)).st_mode & 0o777) == "0o640"


@pytest.mark.parametrize("label, style", [("2.42", "block"), ("3.5", "file")])
def test_relative_ca_and_password_files_scrape_for_real(ansible, tmp_path, label, style):
    """Relative ca_file/password_file resolve against the directory of the file holding the job
    (main config dir for block, the drop-in dir for file): Prometheus scrapes both nodes."""
    tool = binaries(label)
    ca = ProjectCA()
    nodes = [AivenNode(ca, ["pg-corpus.aiven.test"], ip=ip, username="prom", password="pw-rel").start()
             for ip in ("127.0.0.2", "127.0.0.3")]
    try:
        config = prepare(tmp_path, "debian_default.yml")
        config.write_text("global:\n  scrape_interval: 1s\nscrape_configs:\n")
        holder = config.parent / ("scrape_configs.d" if style == "file" else "")
        holder.mkdir(exist_ok=True)
        ca.write(holder / "aiven-ca.pem")
        (holder / "aiven.password").write_text("pw-rel\n")
        jobs = ("- job_name: aiven-rel\n  scheme: https\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "  basic_auth: {username: prom, password_file: aiven.password}\n"
                "  tls_config: {ca_file: aiven-ca.pem, server_name: pg-corpus.aiven.test}\n"
                "  static_configs:\n    - targets: [%s]\n" % ", ".join("'%s'" % n.address for n in nodes))
        rc, result, proc = run(ansible, config, tool.promtool, content=jobs, style=style)
        assert rc == 0, proc.stdout + proc.stderr
        if style == "file":
            assert "is relative" in proc.stdout + proc.stderr  # the module warns about it
        with PrometheusProcess(config, tool) as prom:
            prom.wait_targets_up("aiven-rel", 2, timeout=30)
    finally:
        for node in nodes:
            node.stop()


# ------------------------------------------------------------------ issue 12, through real ansible

NODE_JOB = "- job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:9100']\n"
SHAPES = {
    # name: (prometheus.yml, style, the jobs Prometheus must load afterwards, or the refusal)
    "indented_top_level": ("  global:\n    scrape_interval: 15s\n  scrape_configs:\n    "
                           + NODE_JOB.replace("\n  ", "\n    "), "block", ["node", "aiven-corpus"]),
    "json_with_covering_include": ('{"scrape_config_files": ["scrape_configs.d/*.yml"],\n "scrape_configs": '
                                   '[{"job_name": "node", "static_configs": [{"targets": ["127.0.0.1:9100"]}]}]}\n',
                                   "file", ["node", "aiven-corpus"]),
    "existing_include": ("scrape_config_files: [scrape_configs.d/*.yml]\nscrape_configs:\n  " + NODE_JOB, "auto",
                         ["node", "aiven-corpus"]),
    "directive_and_markers": ("%YAML 1.1\n---\nscrape_configs:\n  " + NODE_JOB + "...\n", "block",
                              ["node", "aiven-corpus"]),
    "byte_order_mark": ("\ufeffscrape_configs:\n  " + NODE_JOB, "block", ["node", "aiven-corpus"]),
    "anchor_on_the_key": ("scrape_configs: &jobs\n  " + NODE_JOB, "block", ["node", "aiven-corpus"]),
    "quoted_keys": ("scrape_configs:\n  " + NODE_JOB + '"rule_files": []\n', "block", ["node", "aiven-corpus"]),
    "no_final_newline": ("scrape_configs:\n  " + NODE_JOB.rstrip("\n"), "file", ["node", "aiven-corpus"]),
    "json": ('{"scrape_configs": [{"job_name": "node", "static_configs": [{"targets": ["127.0.0.1:9100"]}]}]}\n',
             "block", "one flow-style (JSON) mapping, so jobs cannot be placed line by line"),
    "flow_job_duplicate": ("scrape_configs:\n  - {job_name: aiven-corpus, static_configs: []}\n", "block",
                           "job 'aiven-corpus' already exists in"),
    "flow_list": ("scrape_configs: [{job_name: node, static_configs: []}]\n", "block",
                  "scrape_configs: is a flow-style list"),
    "already_invalid": ("scrape_configs:\n  - job_name: node\n    bogus_option: 1\n", "block",
                        "already fails promtool check config, so nothing was changed; fix it first:"),
}

# Their scrape_config_files already match the drop-in: only the drop-in may be written (item 5).
COVERED = ("json_with_covering_include", "existing_include")

SHAPES_PLAY = r"""
- hosts: sweepers
  gather_facts: false
  tasks:
    - name: Place the jobs in each shape
      aiven_tools.prometheus.scrape_config:
        path: "{{ item.path }}"
        name: corpus
        content: "{{ jobs }}"
        style: "{{ item.style }}"
        validate: "{{ promtool }}"
        state: "{{ state }}"
      loop: "{{ cases }}"
      register: placed
      ignore_errors: true
    - name: Hand the results to the test
      ansible.builtin.copy:
        content: "{{ placed.results | to_json }}"
        dest: "{{ results }}-{{ inventory_hostname }}.json"
        mode: "0600"
"""


def loaded_jobs(prom, expected, timeout=20):
    """The scrape pools Prometheus runs, once `expected` are all there (or the deadline passes)."""
    def pools():
        found = sorted({t.get("scrapePool") for t in prom.targets()})
        return found if set(expected) <= set(found) else None
    try:
        return wait_until(pools, timeout, "scrape pools %s" % expected, interval=0.2)
    except TimeoutError:
        return sorted({t.get("scrapePool") for t in prom.targets()})


def test_every_shape_is_loaded_by_prometheus_or_refused(ansible, tmp_path):
    """Issue 12 items 1, 2, 5, 6, 7: each shape is placed and a real Prometheus 3.5 then loads
    exactly the original jobs plus ours, or the run fails in one line naming the shape and the
    file is untouched; absent gives back the original bytes."""
    tool = binaries("3.5")
    cases, originals = [], {}
    for name, (text, style, _expect) in sorted(SHAPES.items()):
        path = tmp_path / name / "prometheus.yml"
        path.parent.mkdir()
        path.write_bytes(text.encode())
        originals[name] = text.encode()
        cases.append({"name": name, "path": str(path), "style": style})
    (tmp_path / "shapes.yml").write_text(SHAPES_PLAY)

    # The shapes are shared out to SWEEPERS local hosts of each run, to use both cores.
    shares = [cases[i::SWEEPERS] for i in range(SWEEPERS)]
    (tmp_path / "inventory.json").write_text(json.dumps({"all": {"children": {"sweepers": {"hosts": dict(
        ("sweep-%d" % i, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "cases": share})
        for i, share in enumerate(shares))}}}}))

    def play(state):
        extra = {"jobs": JOBS.replace("127.0.0.2:9273", "127.0.0.1:9273"), "promtool": tool.promtool,
                 "state": state, "results": str(tmp_path / state)}
        proc = ansible.playbook(tmp_path / "shapes.yml", "-i", str(tmp_path / "inventory.json"), "-e", json.dumps(extra),
                                env={"ANSIBLE_FORKS": str(SWEEPERS)})
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        results = {}
        for i, share in enumerate(shares):
            part = json.loads((tmp_path / ("%s-sweep-%d.json" % (state, i))).read_text())
            assert [r["item"]["path"] for r in part] == [case["path"] for case in share], state
            results.update((case["name"], r) for case, r in zip(share, part))
        return results

    placed = play("present")
    problems = {}  # shape: what went wrong, so one run reports every shape
    loads = {}  # shape: the Prometheus that must load it
    for case in cases:
        name, path = case["name"], pathlib.Path(case["path"])
        expect, result = SHAPES[name][2], placed[name]
        if isinstance(expect, str):
            if not (result.get("failed") and expect in result["msg"]):
                problems[name] = "not refused with %r: %s" % (expect, result.get("msg", "changed=%s" % result.get(
                    "changed")))
            elif "\n" in result["msg"]:
                problems[name] = "refusal is not one line: %r" % result["msg"]
            elif path.read_bytes() != originals[name]:
                problems[name] = "a refused run changed the file"
            continue
        if result.get("failed") or not (result["changed"] and result["validated"]):
            problems[name] = "not placed: %s" % result.get("msg")
            continue
        if name in COVERED and path.read_bytes() != originals[name]:
            problems[name] = "its include already covers the drop-in, but the main file was edited"
        loads[name] = PrometheusProcess(path, tool)
    # One Prometheus per placed shape, all running at once: a new Prometheus shows its scrape
    # pools only after its first service-discovery tick (a fixed 5 s), so the ticks overlap.
    try:
        for prom in loads.values():
            prom.start()
        for name, prom in sorted(loads.items()):
            jobs = loaded_jobs(prom, SHAPES[name][2])
            if jobs != sorted(SHAPES[name][2]):
                problems[name] = "reported changed and validated, but Prometheus loads %s" % jobs
    finally:
        for prom in loads.values():
            prom.cleanup()
    removed = play("absent")
    for case in cases:
        name = case["name"]
        if name not in problems and pathlib.Path(case["path"]).read_bytes() != originals[name]:
            problems[name] = "absent did not give back the original bytes (changed=%s)" % removed[name].get("changed")
    assert not problems, "\n" + "\n".join("%s: %s" % (name, problem.splitlines()[0][:200])
                                          for name, problem in sorted(problems.items()))


@pytest.mark.parametrize("style", ["block", "file"])
def test_six_owners_at_once_lose_nothing(ansible, tmp_path, style):
    """Issue 12 item 4: six runs at the same moment, six owners, one file: each reports a change
    and all six jobs are there at the end (the lock next to the file serializes them)."""
    tool = binaries("3.5")
    config = prepare(tmp_path, "debian_default.yml")

    def owner(i):
        args = {"path": str(config), "name": "owner-%d" % i, "style": style, "validate": tool.promtool,
                "content": JOBS.replace("aiven-corpus", "aiven-owner-%d" % i)}
        return ansible.module(MODULE, args)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(owner, range(6)))
    for rc, result, proc in results:
        assert rc == 0 and result["changed"], proc.stdout + proc.stderr
    data = yaml.safe_load(config.read_text())
    if style == "block":
        names = [job["job_name"] for job in data["scrape_configs"]]
    else:
        assert sorted(data["scrape_config_files"]) == ["scrape_configs.d/owner-%d.yml" % i for i in range(6)]
        names = ["prometheus", "node"] + [yaml.safe_load((config.parent / entry).read_text())["scrape_configs"][0][
            "job_name"] for entry in data["scrape_config_files"]]
    assert sorted(names) == sorted(["prometheus", "node"] + ["aiven-owner-%d" % i for i in range(6)])
    check = subprocess.run([tool.promtool, "check", "config", str(config)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_single_file_bind_mount_needs_unsafe_writes(ansible, tmp_path):
    """Issue 12 item 3: a prometheus.yml bind-mounted as a single file (as into a container)
    cannot be replaced by rename; the module says to set unsafe_writes, and with it writes the
    mounted file in place, so the mount keeps serving the new content."""
    tool = binaries("3.5")
    host = prepare(tmp_path, "debian_default.yml", subdir="host")
    mounted = prepare(tmp_path, "empty.yml", subdir="container")
    original = host.read_bytes()
    mount = subprocess.run(["mount", "--bind", str(host), str(mounted)], capture_output=True, text=True, check=False)
    if mount.returncode != 0:
        pytest.skip("cannot bind-mount here (needs root and mount rights): " + mount.stderr.strip())
    try:
        rc, result, proc = run(ansible, mounted, tool.promtool, style="block")
        assert rc != 0 and "set unsafe_writes: true" in result["msg"], proc.stdout
        assert host.read_bytes() == original
        rc, result, proc = run(ansible, mounted, tool.promtool, style="block", unsafe_writes=True)
        assert rc == 0 and result["changed"], proc.stdout + proc.stderr
        assert "aiven-corpus" in [job["job_name"] for job in yaml.safe_load(host.read_text())["scrape_configs"]]
        assert mounted.read_bytes() == host.read_bytes()
    finally:
        subprocess.run(["umount", str(mounted)], check=False)


def python_without_pyyaml(tmp_path):
    """Debian's python3 as a host without PyYAML has it (python3-yaml is not always installed,
    but is on these machines): a wrapper that shadows `yaml` with a package that fails to import."""
    interpreter = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    shadow = tmp_path / "no-pyyaml" / "yaml"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no PyYAML on this host')\n")
    wrapper = tmp_path / "python3-without-pyyaml"
    wrapper.write_text('#!/bin/sh\nPYTHONPATH=%s exec %s "$@"\n' % (shadow.parent, interpreter))
    wrapper.chmod(0o755)
    assert subprocess.run([str(wrapper), "-c", "import yaml"], capture_output=True, check=False).returncode != 0
    return str(wrapper)


def test_a_host_without_pyyaml_proves_with_the_builtin_reader(ansible, tmp_path):
    """Without PyYAML the module reads with its standard-library reader, edits what it can
    prove and refuses, naming the line, what that reader does not read."""
    env = {"ANSIBLE_PYTHON_INTERPRETER": python_without_pyyaml(tmp_path)}
    tool = binaries("3.5")
    config = tmp_path / "prometheus.yml"
    text = "%YAML 1.1\n---\n  scrape_configs: &jobs\n    - {job_name: node, static_configs: []}\n...\n"
    config.write_text(text)
    args = {"path": str(config), "name": "corpus", "content": JOBS, "validate": tool.promtool, "style": "block"}
    rc, result, proc = ansible.module(MODULE, args, env=env)
    assert rc == 0, proc.stdout + proc.stderr
    assert result["yaml_reader"] == "builtin" and result["validated"]
    assert [j["job_name"] for j in yaml.safe_load(config.read_text())["scrape_configs"]] == ["node", "aiven-corpus"]
    rc, result, proc = ansible.module(MODULE, dict(args, content=JOBS + "  tls_config: !!map {}\n"), env=env)
    assert rc != 0 and "which the built-in YAML reader does not read" in result["msg"], proc.stdout
    rc, result, proc = ansible.module(MODULE, dict(args, state="absent", content=None), env=env)
    assert rc == 0 and config.read_text() == text, proc.stdout


def test_companion_files_through_ansible_keep_the_password_out_of_every_output(ansible, tmp_path):
    """The password file goes through `files` (no_log content): -vvv output and the diff never
    show it; it is created 0640; a second run changes nothing; absent removes it."""
    tool = binaries("3.5")
    config = prepare(tmp_path, "debian_default.yml")
    secret = "pw-integration-scrape-config-5b0d"
    password_file = config.parent / "aiven.password"
    args = {"path": str(config), "name": "corpus", "validate": tool.promtool, "style": "block",
            "content": JOBS + "  basic_auth: {username: prom, password_file: %s}\n" % password_file,
            "files": [{"path": str(password_file), "content": secret, "mode": "0640"},
                      {"path": str(config.parent / "aiven-ca.pem"), "content": "public CA text\n"}]}
    rc, result, proc = ansible.module(MODULE, args, diff=True, verbosity=3)
    assert rc == 0 and result["changed"], proc.stdout[-3000:]
    assert oct(os.stat(str(password_file)).st_mode & 0o777) == "0o640"
    assert password_file.read_text() == secret
    # The password file's diff says only that its content changed. (The CA's content is masked
    # by Ansible itself: every files[].content is a no_log value.)
    assert "content changed (not shown" in proc.stdout
    assert "+++ after: %s" % (config.parent / "aiven-ca.pem") in proc.stdout
    rc, again, proc = ansible.module(MODULE, args, verbosity=3)
    assert rc == 0 and again["changed"] is False, proc.stdout[-3000:]
    rc, gone, proc = ansible.module(MODULE, dict(args, state="absent", content=None), verbosity=3)
    assert rc == 0 and not password_file.exists()
    ansible.assert_no_secret(secret)
