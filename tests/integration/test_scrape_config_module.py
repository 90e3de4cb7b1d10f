"""aiven_tools.prometheus.scrape_config through real `ansible`, validated by real promtool.

Each corpus file is copied to a directory of its own (with the rule file and other.d/ it may
reference by relative path), so validation next to the real file is what makes it pass.
"""
import json
import os
import pathlib
import re
import shutil

import pytest
import yaml

from prometheus_corpus import CORPUS, success_cases
from sandbox.nodes import AivenNode, ProjectCA
from sandbox.prometheus import PrometheusProcess, missing_reason, versions

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
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Place the jobs (the diff keeps what was placed, for the test to read)
      diff: true
      aiven_tools.prometheus.scrape_config: &place
        path: "{{ item }}"
        name: corpus
        content: "{{ jobs }}"
        style: "{{ style }}"
        validate: "{{ promtool }}"
      loop: "{{ configs }}"
      register: first
    - name: Place them again (idempotent)
      aiven_tools.prometheus.scrape_config: *place
      loop: "{{ configs if again else [] }}"
      register: second
    - name: Remove them
      aiven_tools.prometheus.scrape_config:
        path: "{{ item }}"
        name: corpus
        state: absent
        validate: "{{ promtool }}"
      loop: "{{ configs }}"
      register: gone
    - name: Hand the results to the test
      ansible.builtin.copy:
        content: "{{ {'first': first.results, 'second': second.results, 'gone': gone.results} | to_json }}"
        dest: "{{ results }}"
        mode: "0600"
"""


@pytest.mark.parametrize("label, style, again", [
    ("2.42", "block", True), ("2.53", "block", False), ("3.5", "block", False), ("2.53", "file", False),
    ("3.5", "file", True),
], ids=str)
def test_corpus_sweep(ansible, tmp_path, label, style, again):
    """Every corpus file: add (promtool-valid), re-run unchanged (`again`: the re-run costs time,
    so only on the oldest and newest), remove byte-identically."""
    tool = binaries(label)
    names = success_cases(tool.version[:2])
    configs = {name: prepare(tmp_path, name, subdir=name[:-4]) for name in names}
    originals = {name: path.read_bytes() for name, path in configs.items()}
    (tmp_path / "sweep.yml").write_text(SWEEP)
    extra = {"configs": [str(p) for p in configs.values()], "jobs": JOBS, "style": style,
             "promtool": tool.promtool, "results": str(tmp_path / "results.json"), "again": again}
    proc = ansible.playbook(tmp_path / "sweep.yml", "-i", "localhost,", "-c", "local", "-e", json.dumps(extra),
                            env={"ANSIBLE_PIPELINING": "1"})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    for i, name in enumerate(names):
        first, gone = results["first"][i], results["gone"][i]
        assert first["changed"] and first["validated"] and first["style"] == style, (name, first)
        if again:
            second = results["second"][i]
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
