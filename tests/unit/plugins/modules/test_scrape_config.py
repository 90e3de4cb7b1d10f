"""scrape_config through its options and returns, run in process (set_module_args, exit_json /
fail_json caught as AnsibleExitJson / AnsibleFailJson) on files in tmp_path, validated by a real
promtool (3.5 unless a test says otherwise).

Every test that edits runs twice, with PyYAML and with the standard-library reader a host
without PyYAML uses (the `reader` fixture), and asserts with PyYAML what the file means.
Issue 12: item 1 (never a silent success), 2 (file shapes), 3 (symlinks, unsafe_writes),
5 (an include that already covers the drop-in), 6 (an original that already fails promtool),
7 (no final newline); the companion files (`files`). Run:
    pytest -q tests/unit/plugins/modules/test_scrape_config.py
"""
import errno
import fcntl
import json
import os
import signal
import socket
import stat
import subprocess
import sys

import pytest
import trustme
import yaml

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import files as sc_files
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import document, proof
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.modules import scrape_config
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.module_utils.prometheus_stub import (
    Clock, PrometheusStub,
)
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import (
    AnsibleFailJson, fail_module, run_module,
)
from sandbox.prometheus import missing_reason, versions
from sandbox.util import free_port

JOBS = "- job_name: aiven-pg\n  scheme: https\n  static_configs:\n    - targets: ['127.0.0.2:9273']\n"
JOB = {"job_name": "aiven-pg", "scheme": "https", "static_configs": [{"targets": ["127.0.0.2:9273"]}]}
NODE = "- job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:9100']\n"
SECRET = "pw-unit-scrape-config-7c1e"


def promtool(label="3.5"):
    present = versions()
    if label not in present:
        pytest.skip(missing_reason(label))
    return present[label].promtool


@pytest.fixture(params=["pyyaml", "builtin"])
def reader(request, monkeypatch):
    """Both ways the module reads YAML: PyYAML, or the built-in reader (as on Debian's python3)."""
    if request.param == "builtin":
        monkeypatch.setattr(proof, "yaml", None)
    return request.param


def place(config, check_mode=False, diff=False, **options):
    args = {"path": str(config), "name": "acme", "content": JOBS, "validate": promtool()}
    args.update(options)
    if args.get("state") == "absent":
        args.pop("content", None)
    return run_module(scrape_config.main, args, check_mode=check_mode, diff=diff)


def refuse(config, check_mode=False, **options):
    args = {"path": str(config), "name": "acme", "content": JOBS, "validate": promtool()}
    args.update(options)
    return fail_module(scrape_config.main, args, check_mode=check_mode)


def snapshot(directory):
    """{relative path: (bytes, mode)} of every file under `directory` (links as their target),
    the lock file left out (it stays next to the configuration once a run has made it)."""
    out = {}
    for root, _dirs, names in os.walk(str(directory)):
        for name in names:
            if name.endswith(".lock"):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, str(directory))] = (handle.read(), stat.S_IMODE(os.stat(path).st_mode))
    return out


def jobs_of(path):
    return [job["job_name"] for job in (yaml.safe_load(open(str(path), encoding="utf-8-sig")) or {}).get(
        "scrape_configs") or []]


def round_trip(config, reader, **options):
    """Place, check the result means original + the job, place again (no change), remove
    (original bytes). Returns the first result."""
    original = config.read_bytes()
    before = yaml.safe_load(original.decode("utf-8-sig")) or {}
    result = place(config, **options)
    assert result["changed"] and result["validated"] and result["yaml_reader"] == reader, result
    after = yaml.safe_load(config.read_bytes().decode("utf-8-sig"))
    expected = dict(before, scrape_configs=(before.get("scrape_configs") or []) + [JOB])
    assert after == expected
    assert place(config, **options)["changed"] is False
    assert place(config, state="absent", **options)["changed"] is True
    assert config.read_bytes() == original
    return result


# -- item 1: a success means Prometheus loads exactly these jobs ---------------------------------

@pytest.fixture
def misreading_editor(tmp_path, monkeypatch):
    """An indented prometheus.yml and the line editor as it was (top-level keys only at column
    0, no document markers); returns the file and a snapshot of its directory."""
    def column_zero_scan(doc):
        doc.root_indent, doc.root_kind, doc.first_line, doc.doc_end = 0, "mapping", 0, len(doc.lines)
    config = tmp_path / "prometheus.yml"
    config.write_text("  global:\n    scrape_interval: 15s\n  scrape_configs:\n    " + NODE.replace("\n  ", "\n    "))
    monkeypatch.setattr(document.Document, "_scan", column_zero_scan)
    return config, snapshot(tmp_path)


def test_json_configuration_is_refused_and_untouched(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text('{"scrape_configs": [{"job_name": "node", "static_configs": [{"targets": ["127.0.0.1:9100"]}]}]}')
    before = snapshot(tmp_path)
    for style in ("block", "file"):
        failure = refuse(config, style=style)
        assert "one flow-style (JSON) mapping, so jobs cannot be placed line by line" in failure["msg"]
        assert "\n" not in failure["msg"]
    assert snapshot(tmp_path) == before


def test_json_configuration_whose_include_covers_the_dropin(tmp_path, reader):
    """JSON is YAML: when its scrape_config_files already matches the drop-in, style file writes
    the drop-in only (issue 12 items 1 and 5)."""
    config = tmp_path / "prometheus.yml"
    config.write_text('{"scrape_config_files": ["scrape_configs.d/*.yml"],\n "scrape_configs": []}\n')
    original = config.read_bytes()
    result = place(config, style="file")
    assert result["validated"] and [f["action"] for f in result["files"]] == ["created"]
    assert config.read_bytes() == original
    assert jobs_of(tmp_path / "scrape_configs.d" / "acme.yml") == ["aiven-pg"]
    result = place(config, style="file", state="absent")
    assert [(f["path"], f["action"]) for f in result["files"]] == [
        (str(tmp_path / "scrape_configs.d" / "acme.yml"), "removed")]
    assert config.read_bytes() == original


def test_indented_top_level_keys(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("  global:\n    scrape_interval: 15s\n  scrape_configs:\n    " + NODE.replace("\n  ", "\n    "))
    round_trip(config, reader, style="block")
    config.write_text("  global:\n    scrape_interval: 15s\n")
    round_trip(config, reader, style="block")


def test_the_proof_refuses_what_the_line_editor_misreads(tmp_path, reader, misreading_editor):
    """The editor as it was (top-level keys only at column 0) appends a second scrape_configs
    at column 0 of an indented file: promtool accepted that and Prometheus ignored the job. The
    YAML proof refuses it now, whatever the editor does."""
    config, before = misreading_editor
    failure = refuse(config, style="block")
    assert "is not valid YAML" in failure["msg"] and "as edited" in failure["msg"], failure["msg"]
    assert snapshot(tmp_path) == before


def test_the_promtool_probe_refuses_jobs_prometheus_would_ignore(tmp_path, monkeypatch, misreading_editor):
    """Without the YAML proof (switched off here), the probe still catches the misplaced jobs:
    a candidate with the first job twice passes promtool only if promtool never reads them."""
    config, before = misreading_editor
    monkeypatch.setattr("ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.placement."
                        "check_main", lambda *args, **kwargs: None)
    failure = refuse(config, style="block")
    assert failure["msg"] == (
        "promtool does not read owner 'acme''s jobs from where they would be placed in %s (a candidate with job "
        "'aiven-pg' twice passed), so Prometheus would not load them; nothing was changed" % config)
    assert snapshot(tmp_path) == before


# -- item 2: shapes Prometheus reads ------------------------------------------------------------

SHAPES = {
    "directive_and_markers": "%YAML 1.1\n---\nglobal:\n  scrape_interval: 15s\nscrape_configs:\n  " + NODE + "...\n",
    "document_end_then_comment": "scrape_configs:\n  " + NODE + "...\n# the end\n",
    "byte_order_mark": "\ufeffglobal:\n  scrape_interval: 15s\nscrape_configs:\n  " + NODE,
    "anchor_on_the_key": "scrape_configs: &jobs\n  " + NODE,
    "quoted_keys_after": "scrape_configs:\n  " + NODE + '"remote_write":\n  - url: http://127.0.0.1:9201/write\n'
                         "'rule_files': []\n",
    "quoted_scrape_configs": '"scrape_configs":\n  ' + NODE + "global:\n  scrape_interval: 15s\n",
    "flow_style_job_item": "scrape_configs:\n  - {job_name: node, static_configs: [{targets: ['127.0.0.1:9100']}]}\n",
    "crlf_bom_markers": ("\ufeff---\nscrape_configs:\n  " + NODE + "...\n").replace("\n", "\r\n"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_shapes_prometheus_reads_are_edited(tmp_path, reader, shape):
    config = tmp_path / "prometheus.yml"
    config.write_bytes(SHAPES[shape].encode("utf-8"))
    round_trip(config, reader, style="block")


@pytest.mark.parametrize("text, style, message", [
    ("scrape_configs: [{job_name: node, static_configs: [{targets: ['127.0.0.1:9100']}]}]\n", "block",
     "scrape_configs: is a flow-style list ([{job_name: node, static_configs: [{t...)"),
    ("scrape_config_files: ['other.d/*.yml']\nscrape_configs: []\n", "file",
     "scrape_config_files: is a flow-style list (['other.d/*.yml'])"),
])
def test_flow_style_lists_are_refused_naming_the_shape(tmp_path, reader, text, style, message):
    config = tmp_path / "prometheus.yml"
    config.write_text(text)
    failure = refuse(config, style=style)
    assert message in failure["msg"] and "rewrite it as" in failure["msg"]
    assert config.read_text() == text


def test_flow_style_job_with_the_same_name_is_a_duplicate(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  - {job_name: aiven-pg, static_configs: [{targets: ['127.0.0.1:9100']}]}\n")
    failure = refuse(config, style="block")
    assert failure["msg"].startswith("job 'aiven-pg' already exists in %s line 2 (not managed" % config)


# -- item 3: symlinks and unsafe_writes --------------------------------------------------------

def test_symlinked_configuration_edits_the_target_and_keeps_the_link(tmp_path, reader):
    """prometheus.yml kept in a git checkout and linked into the config dir: the target is
    edited; relative paths keep resolving against the link's directory (where rules/ is)."""
    checkout, etc = tmp_path / "checkout", tmp_path / "etc"
    checkout.mkdir()
    (etc / "rules").mkdir(parents=True)
    (etc / "rules" / "r.yml").write_text("groups: []\n")
    target = checkout / "prometheus.yml"
    target.write_text("rule_files:\n  - rules/r.yml\nscrape_configs:\n  " + NODE)
    original = target.read_bytes()
    link = etc / "prometheus.yml"
    link.symlink_to(target)
    result = place(link, style="block", backup=True)
    assert result["validated"] and os.readlink(str(link)) == str(target)
    assert [f["path"] for f in result["files"]] == [str(target)]
    assert result["backup_file"].startswith(str(target) + ".")
    assert jobs_of(target) == ["node", "aiven-pg"]
    assert not [p for p in os.listdir(str(etc)) if p not in ("prometheus.yml", "rules", ".prometheus.yml.lock")]
    place(link, style="block", state="absent")
    assert link.is_symlink() and target.read_bytes() == original
    assert (checkout / ".prometheus.yml.lock").exists(), "one lock per real file, next to it"
    # The drop-in style resolves against the link's directory too.
    place(link, style="file")
    assert (etc / "scrape_configs.d" / "acme.yml").exists() and "scrape_configs.d/acme.yml" in target.read_text()


def test_unsafe_writes_for_a_file_that_cannot_be_renamed_over(tmp_path, monkeypatch):
    """A single-file bind mount refuses rename (EBUSY): without unsafe_writes a one-line error
    naming the option, with it the same inode is written in place. (A real bind mount:
    tests/integration/test_scrape_config_module.py.)"""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    inode = os.stat(str(config)).st_ino
    real_rename = os.rename

    def busy(src, dst):
        if os.path.abspath(os.fsdecode(dst)) == str(config):
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real_rename(src, dst)
    monkeypatch.setattr(os, "rename", busy)
    failure = refuse(config, style="block")
    assert failure["msg"].startswith("could not replace %s:" % config) and "set unsafe_writes: true" in failure["msg"]
    assert jobs_of(config) == ["node"]
    place(config, style="block", unsafe_writes=True)
    assert jobs_of(config) == ["node", "aiven-pg"] and os.stat(str(config)).st_ino == inode


# -- item 5: an include that already covers the drop-in ------------------------------------------

def test_existing_include_covers_the_dropin(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_config_files: [scrape_configs.d/*.yml]\nscrape_configs:\n  " + NODE)
    (tmp_path / "scrape_configs.d").mkdir()
    (tmp_path / "scrape_configs.d" / "other.yml").write_text(
        "scrape_configs:\n  - job_name: other\n    static_configs: [{targets: ['127.0.0.1:1']}]\n")
    original = config.read_bytes()
    dropin = tmp_path / "scrape_configs.d" / "acme.yml"
    result = place(config)  # style auto: file on 3.5
    assert result["style"] == "file" and result["validated"]
    assert [(f["path"], f["action"]) for f in result["files"]] == [(str(dropin), "created")]
    assert config.read_bytes() == original and jobs_of(dropin) == ["aiven-pg"]
    # An update validates the new drop-in instead of the live one (no duplicate job names).
    result = place(config, content=JOBS + JOBS.replace("aiven-pg", "aiven-pg-2"))
    assert result["validated"] and jobs_of(dropin) == ["aiven-pg", "aiven-pg-2"]
    assert place(config, content=JOBS + JOBS.replace("aiven-pg", "aiven-pg-2"))["changed"] is False
    # A job name taken in a file the same pattern includes is still a conflict.
    failure = refuse(config, content=JOBS.replace("aiven-pg", "other"))
    assert "job 'other' already exists in %s line 2" % (tmp_path / "scrape_configs.d" / "other.yml") in failure["msg"]
    place(config, state="absent")
    assert config.read_bytes() == original and not dropin.exists()


def test_two_patterns_covering_the_dropin_are_refused(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_config_files:\n  - scrape_configs.d/*.yml\n  - scrape_configs.d/acme*\n")
    failure = refuse(config, style="file")
    assert "is matched by 2 scrape_config_files patterns" in failure["msg"] and "load it 2 times" in failure["msg"]


# -- item 6: an original that already fails promtool --------------------------------------------

def test_an_original_that_already_fails_promtool_is_named_as_such(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  - job_name: node\n    bogus_option: 1\n")
    failure = refuse(config, style="block")
    assert failure["msg"].startswith("the current configuration %s already fails promtool check config, so nothing "
                                     "was changed; fix it first: " % config)
    assert "bogus_option" in failure["msg"] and "\n" not in failure["msg"]
    config.write_text("scrape_configs:\n  " + NODE)
    failure = refuse(config, style="block", content=JOBS + "  bogus_option: 1\n")
    assert failure["msg"].startswith("promtool rejected the new configuration, nothing was changed (%s): FAILED: "
                                     "parsing YAML file %s (candidate)" % (config, config))
    assert "bogus_option" in failure["msg"] and "\n" not in failure["msg"]
    assert "bogus_option" in failure["promtool_output"]


# -- item 7: no final newline --------------------------------------------------------------------

def outside_markers(text):
    """`text` without the lines from each BEGIN marker to its END marker."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        marker = document.MARKER_RE.match(line)
        inside = inside or bool(marker and marker.group("which") == "BEGIN")
        if not inside:
            out.append(line)
        inside = inside and not (marker and marker.group("which") == "END")
    return "".join(out)


@pytest.mark.parametrize("text", [
    "scrape_configs:\n  - job_name: node\n    static_configs: [{targets: ['127.0.0.1:9100']}]",
    "global:\n  scrape_interval: 15s",
    "scrape_configs: []",
    "scrape_configs:\r\n  - job_name: node\r\n    static_configs: [{targets: ['127.0.0.1:9100']}]",
    "scrape_config_files:\n  - other.d/*.yml",
    "scrape_configs:\n  - job_name: node\n    static_configs: [{targets: ['127.0.0.1:9100']}]\n...",
])
@pytest.mark.parametrize("style", ["block", "file"])
def test_no_final_newline_changes_one_byte_outside_the_markers(tmp_path, reader, text, style):
    config = tmp_path / "prometheus.yml"
    config.write_bytes(text.encode())
    place(config, style=style)
    after = config.read_bytes().decode()
    eol = "\r\n" if "\r\n" in text else "\n"
    if text.endswith("..."):
        assert outside_markers(after) == text, "blocks go before the document end; nothing else moves"
    elif style == "block" and text == "scrape_configs: []":
        assert outside_markers(after) == "", "the replaced line is kept inside the block"
    else:
        assert outside_markers(after) == text + eol, "the one newline the block needs, nothing else"
        assert not after.endswith("\n"), "the block ends without a newline, as the file did"
    place(config, style=style, state="absent")
    assert config.read_bytes() == text.encode()


def test_the_documentation_states_the_newline_rule():
    doc = yaml.safe_load(scrape_config.DOCUMENTATION)
    text = " ".join(doc["description"])
    assert "adds the one newline the file's last line needs (the only byte that changes outside the markers)" in text
    assert "removes that newline again" in text


# -- companion files ------------------------------------------------------------------------------

def tls_job(directory):
    return ("- job_name: aiven-pg\n  scheme: https\n  tls_config:\n    cert_file: %s/client.pem\n    key_file: "
            "%s/client.key\n  basic_auth: {username: prom, password_file: %s/pw}\n  static_configs:\n"
            "    - targets: ['127.0.0.2:9273']\n" % (directory, directory, directory))


def companions(directory, password=SECRET):
    ca = trustme.CA()
    cert = ca.issue_cert("prom.client.test")
    return [
        {"path": str(directory / "client.pem"), "content": cert.cert_chain_pems[0].bytes().decode()},
        {"path": str(directory / "client.key"), "content": cert.private_key_pem.bytes().decode(), "mode": "0600"},
        {"path": str(directory / "pw"), "content": password + "\n", "mode": "0640", "group": "root"},
    ]


def test_companion_files_are_written_before_promtool_validates(tmp_path, reader):
    """promtool checks that cert_file and key_file exist: the jobs validate only because the
    companion files are in place first."""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    files = companions(tmp_path)
    failure = refuse(config, style="block", content=tls_job(tmp_path))
    assert failure["msg"].startswith("promtool rejected the new configuration") and "client.pem" in failure["msg"]
    result = place(config, style="block", content=tls_job(tmp_path), files=files, diff=True)
    assert result["validated"]
    assert [(f["path"], f["action"]) for f in result["files"]] == [(e["path"], "created") for e in files] + [
        (str(config), "updated")]
    assert {os.path.basename(e["path"]): stat.S_IMODE(os.stat(e["path"]).st_mode) for e in files} == {
        "client.pem": 0o644, "client.key": 0o600, "pw": 0o640}
    assert open(files[2]["path"]).read() == SECRET + "\n"
    assert SECRET not in json.dumps(result), "the password is in no return value, not even the diff"
    diffs = {d["after_header"]: d for d in result["diff"]}
    assert "content changed (not shown" in diffs[files[2]["path"]]["after"]
    assert "BEGIN CERTIFICATE" in diffs[files[0]["path"]]["after"], "a file others may read shows its content"
    again = place(config, style="block", content=tls_job(tmp_path), files=files)
    assert again["changed"] is False and again["files"] == []


def test_a_secret_file_has_its_final_mode_from_its_first_byte(tmp_path, monkeypatch):
    """The temporary file gets mode and owner before any byte of content, then is renamed."""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    seen = []
    real_fchmod, real_rename = os.fchmod, os.rename

    def fchmod(fd, mode):
        seen.append(("fchmod", oct(mode), os.fstat(fd).st_size))
        return real_fchmod(fd, mode)

    def rename(src, dst):
        if dst == str(tmp_path / "pw"):
            seen.append(("rename", oct(stat.S_IMODE(os.stat(src).st_mode)), os.stat(src).st_size))
        return real_rename(src, dst)
    monkeypatch.setattr(os, "fchmod", fchmod)
    monkeypatch.setattr(os, "rename", rename)
    place(config, style="block", files=[{"path": str(tmp_path / "pw"), "content": SECRET, "mode": "0640"}])
    assert seen == [("fchmod", "0o640", 0), ("rename", "0o640", len(SECRET))]


def test_a_failed_validation_puts_the_companion_files_back(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    (tmp_path / "client.pem").write_text("old pem\n")
    os.chmod(str(tmp_path / "client.pem"), 0o604)
    before = snapshot(tmp_path)
    failure = refuse(config, style="block", content=tls_job(tmp_path) + "  bogus_option: 1\n",
                     files=companions(tmp_path))
    assert failure["msg"].startswith("promtool rejected the new configuration")
    assert snapshot(tmp_path) == before, "companion files written for validation are put back"


def test_check_mode_writes_nothing(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    (tmp_path / "client.pem").write_text("pem")
    (tmp_path / "client.key").write_text("key")
    before = snapshot(tmp_path)
    result = place(config, style="file", content=tls_job(tmp_path), files=companions(tmp_path), check_mode=True,
                   diff=True)
    assert result["changed"] and result["validated"]
    assert [f["action"] for f in result["files"]] == ["updated", "updated", "created", "created", "updated"]
    assert snapshot(tmp_path) == before and not (tmp_path / ".prometheus.yml.lock").exists()
    assert not (tmp_path / "scrape_configs.d").exists()


def test_absent_removes_the_companion_files_after_the_jobs(tmp_path, reader):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    original = config.read_bytes()
    files = companions(tmp_path)
    place(config, style="block", content=tls_job(tmp_path), files=files)
    result = place(config, style="block", state="absent", backup=True, files=[{"path": f["path"]} for f in files])
    assert [(f["path"], f["action"]) for f in result["files"]] == [(str(config), "updated")] + [
        (f["path"], "removed") for f in files]
    assert all(os.path.exists(f["backup"]) for f in result["files"])
    assert result["files"][3]["mode"] == "0640", "enough to put the file back exactly"
    assert config.read_bytes() == original and not any(os.path.exists(f["path"]) for f in files)
    assert place(config, style="block", state="absent", files=[{"path": f["path"]} for f in files])["changed"] is False


def test_a_file_with_state_absent_is_removed_in_a_present_run_and_put_back_on_failure(tmp_path, reader):
    """The file_sd targets of jobs that switched to static targets: removed with the change."""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    targets = tmp_path / "targets.json"
    targets.write_text('[{"targets": ["127.0.0.2:9273"]}]\n')
    stale = [{"path": str(targets), "state": "absent"}]
    before = snapshot(tmp_path)
    failure = refuse(config, style="block", content=JOBS + "  bogus_option: 1\n", files=stale)
    assert failure["msg"].startswith("promtool rejected the new configuration")
    assert snapshot(tmp_path) == before, "the removed file is put back with the rest"
    checked = place(config, style="block", files=stale, check_mode=True)
    assert [(f["path"], f["action"]) for f in checked["files"]] == [(str(targets), "removed"), (str(config), "updated")]
    assert targets.exists()
    result = place(config, style="block", files=stale)
    assert [(f["path"], f["action"]) for f in result["files"]] == [(str(targets), "removed"), (str(config), "updated")]
    assert not targets.exists()
    assert place(config, style="block", files=stale)["changed"] is False


@pytest.mark.parametrize("entry, message", [
    ({"path": "relative.pem", "content": "x"}, "files[0].path must be an absolute path"),
    ({"path": "/nonexistent-dir-7c1e/x.pem", "content": "x"}, "files[0].path: the directory of"),
    ({"path": "{dir}/x.pem"}, "files[0].content is required with state=present"),
    ({"path": "{dir}/x.pem", "content": "x", "mode": "u+rw"}, "files[0].mode must be an octal mode"),
    ({"path": "{dir}/x.pem", "content": "x", "owner": "no-such-user-7c1e"}, "files[0].owner: no user"),
    ({"path": "{dir}/prometheus.yml", "content": "x"}, "is a file this module writes itself"),
])
def test_companion_file_errors_are_one_line(tmp_path, entry, message):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    entry = dict(entry, path=entry["path"].format(dir=tmp_path))
    failure = refuse(config, style="block", files=[entry])
    assert message in failure["msg"] and "\n" not in failure["msg"]
    assert config.read_text() == "scrape_configs:\n  " + NODE


def test_lock_file_serializes_runs(tmp_path):
    """A run waits for the lock another run holds (here: this test) and says so when it cannot
    get it (item 4; six concurrent real runs: tests/integration/test_scrape_config_module.py)."""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    with sc_files.FileLock(sc_files.lock_path(str(config))):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sc_files, "LOCK_TIMEOUT", 0.3)
            failure = refuse(config, style="block")
    assert failure["msg"].startswith("another run has held the lock %s for more than" % (tmp_path / ".prometheus.yml.lock"))
    assert config.read_text() == "scrape_configs:\n  " + NODE
    assert place(config, style="block")["changed"]


def test_absent_files_in_a_missing_directory_are_already_gone(tmp_path):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    result = place(config, style="block", state="absent", files=[{"path": str(tmp_path / "gone" / "pw")}])
    assert result["changed"] is False and result["files"] == []


# -- reload: place, reload, prove, or put everything back (one task) -----------------------------
#
# Against the stub of Prometheus's HTTP API (tests/unit/plugins/module_utils/prometheus_stub.py):
# a reload the stub accepts "loads" the files this test placed (its scrape pools become the job
# names in them), so what the module proves is what the files say. Waits run on an injected
# clock: no test sleeps. These runs validate with a fake promtool (the promtool branches are
# tested above), which keeps them fast and independent of the Prometheus builds present.

RELOAD_500 = ("failed to reload config: couldn't load configuration (--config.file=\"prometheus.yml\"): "
              "parsing YAML file prometheus.yml: scrape timeout greater than scrape interval for scrape config "
              "with job name \"aiven-pg\"")


@pytest.fixture
def clock(monkeypatch):
    from ansible_collections.aiven_tools.prometheus.plugins.module_utils import _reload
    fake = Clock()
    monkeypatch.setattr(_reload.Reloader, "clock", staticmethod(fake))
    monkeypatch.setattr(_reload.Reloader, "sleep", staticmethod(fake.sleep))
    return fake


@pytest.fixture
def fake_promtool(tmp_path):
    """A promtool that reports 2.42 (so style auto is block) and accepts every configuration
    except the probe's (the first job twice), as the real one does."""
    tool = tmp_path / "bin" / "promtool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n"
                    "if [ \"$1\" = --version ]; then echo 'promtool, version 2.42.0+ds'; exit 0; fi\n"
                    "n=$(grep -c 'job_name: aiven-pg$' \"$3\")\n"
                    "if [ \"$n\" -gt 1 ]; then echo 'FAILED: parsing YAML file: found multiple scrape configs with "
                    "job name \"aiven-pg\"'; exit 1; fi\n")
    os.chmod(str(tool), 0o755)
    return str(tool)


def jobs_in(config):
    """The job names Prometheus would load from `config` (main file and its drop-ins)."""
    data = yaml.safe_load(config.read_text()) or {}
    names = [job["job_name"] for job in data.get("scrape_configs") or []]
    for pattern in data.get("scrape_config_files") or []:
        for path in sorted(config.parent.glob(pattern)):
            names += [job["job_name"] for job in (yaml.safe_load(path.read_text()) or {}).get("scrape_configs") or []]
    return names


@pytest.fixture
def prom(tmp_path):
    """The stub; a reload it accepts loads tmp_path/prometheus.yml's jobs as its scrape pools."""
    config = tmp_path / "prometheus.yml"
    with PrometheusStub(pools=["node"], config_file=str(config)) as stub:
        stub.loads = lambda: stub.loaded(jobs_in(config))
        stub.on_reload = lambda s: s.loads()
        yield stub


@pytest.fixture
def host(tmp_path):
    """prometheus.yml with one job of its own, a CA file the run replaces; `before` their bytes."""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs:\n  " + NODE)
    (tmp_path / "ca.pem").write_text("old CA\n")
    os.chmod(str(tmp_path / "ca.pem"), 0o640)
    return config


def live(config, prom, promtool, check_mode=False, reload=None, **options):
    """scrape_config with reload pointed at the stub; the job, a CA file (updated) and a
    password file (created)."""
    args = {"path": str(config), "name": "acme", "content": JOBS, "validate": promtool,
            "files": [{"path": str(config.parent / "ca.pem"), "content": "new CA\n", "mode": "0644"},
                      {"path": str(config.parent / "pw"), "content": SECRET, "mode": "0600"}],
            "reload": dict({"web_url": prom.url}, **(reload or {}))}
    args.update(options)
    return run_module(scrape_config.main, args, check_mode=check_mode)


def live_failure(config, prom, promtool, reload=None, **options):
    try:
        result = live(config, prom, promtool, reload=reload, **options)
    except AnsibleFailJson as failed:
        return failed.result
    raise AssertionError("the module succeeded, expected it to fail: %r" % (result,))


def backups(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.endswith("~"))


def test_reload_after_a_change_proves_the_jobs_and_keeps_no_backup(host, prom, fake_promtool, clock):
    result = live(host, prom, fake_promtool)
    assert result["changed"] is True and prom.reloads == 1
    assert jobs_in(host) == ["node", "aiven-pg"] and (host.parent / "pw").read_text() == SECRET
    reload = result["reload"]
    assert (reload["changed"], reload["method"], reload["reload_successful"]) == (True, "http", True)
    assert reload["method_reason"].startswith("auto: the lifecycle API is enabled")
    assert reload["live_jobs"] == ["aiven-pg", "node"] and reload["missing_jobs"] == []
    # Backups were made for the rollback (the configuration and the CA file it replaced) and
    # removed after the proof; the result names none.
    assert sorted(os.path.basename(b).split(".")[0] for b in reload["backups_removed"]) == ["ca", "prometheus"]
    assert backups(host.parent) == []
    assert all("backup" not in entry for entry in result["files"]) and "backup_file" not in result
    assert SECRET not in json.dumps(result)


def test_nothing_changed_no_reload_the_same_proof(host, prom, fake_promtool, clock):
    live(host, prom, fake_promtool)
    url = "https://127.0.0.2:9273/metrics"
    prom.targets = [prom.target("aiven-pg", url)]
    requests = len(prom.requests)
    result = live(host, prom, fake_promtool, reload={"targets_up": True})
    assert result["changed"] is False and result["files"] == [] and prom.reloads == 1
    reload = result["reload"]
    assert (reload["changed"], reload["method"]) == (False, "none") and "reload_successful" not in reload
    assert reload["missing_jobs"] == [] and reload["targets"]["aiven-pg"][0]["health"] == "up"
    assert ("GET", "/api/v1/scrape_pools") in prom.requests[requests:]
    assert not any(method == "POST" for method, _path in prom.requests[requests:])


def test_prometheus_rejects_the_reload_every_changed_file_is_put_back(host, prom, fake_promtool, clock):
    before = snapshot(host.parent)
    prom.on_reload = lambda stub: (500, RELOAD_500) if stub.reloads == 1 else stub.loads()
    failure = live_failure(host, prom, fake_promtool)
    assert failure["msg"] == (
        "Prometheus rejected the new configuration: %s -- the previous configuration was restored and reloaded "
        "(%s, %s, %s)." % (RELOAD_500, host, host.parent / "pw", host.parent / "ca.pem"))
    assert snapshot(host.parent) == before, "every file back, byte for byte and mode, no backup left"
    reload = failure["reload"]
    assert prom.reloads == 2 and reload["restore_reload_successful"] is True
    assert [(r["path"], r["action"]) for r in reload["restored"]] == [
        (str(host), "restored"), (str(host.parent / "pw"), "removed"), (str(host.parent / "ca.pem"), "restored")]
    assert prom.pools == ["node"] and "option" not in failure


def test_a_job_missing_after_a_successful_reload_puts_the_files_back(host, prom, fake_promtool, clock):
    before = snapshot(host.parent)

    def drops_the_job(stub):  # an unreadable ca_file: "successful", the pool is not created
        if stub.reloads == 1:
            stub.loaded(["node"])
            stub.pools_failed += 1
        else:
            stub.loads()
    prom.on_reload = drops_the_job
    failure = live_failure(host, prom, fake_promtool, reload={"jobs_timeout": 2})
    assert failure["msg"] == (
        "Prometheus reloaded, but these jobs are not active after 2s: aiven-pg. prometheus_target_scrape_pools_"
        "failed_total went from 0 to 1: Prometheus could not create their scrape pools (typically a tls_config.ca_"
        "file it cannot read; its log names the file). -- the previous configuration was restored and reloaded "
        "(%s, %s, %s)." % (host, host.parent / "pw", host.parent / "ca.pem"))
    assert snapshot(host.parent) == before
    assert failure["reload"]["reload_successful"] is True and failure["reload"]["missing_jobs"] == ["aiven-pg"]
    assert sum(clock.sleeps) >= 2


def test_targets_that_stay_down_keep_the_jobs(host, prom, fake_promtool, clock):
    prom.targets = [prom.target("aiven-pg", "https://127.0.0.2:9273/metrics", "down", "connection refused")]
    failure = live_failure(host, prom, fake_promtool, reload={"targets_up": True, "targets_timeout": 3})
    assert failure["msg"] == (
        "Not every target is up after 3s (Aiven needs about a minute after an integration is enabled):\n"
        "  aiven-pg https://127.0.0.2:9273/metrics down: connection refused\n"
        "The jobs stay in place (Prometheus loaded them) and are scraped as soon as the targets answer; fix the "
        "cause shown above and run again.")
    assert jobs_in(host) == ["node", "aiven-pg"] and (host.parent / "ca.pem").read_text() == "new CA\n"
    assert backups(host.parent) == [] and "restored" not in failure["reload"]
    assert all("backup" not in entry for entry in failure["files"])


def test_targets_down_put_the_files_back_when_asked(host, prom, fake_promtool, clock):
    before = snapshot(host.parent)
    failure = live_failure(host, prom, fake_promtool,
                           reload={"targets_up": True, "targets_timeout": 1, "restore_on_down": True})
    assert failure["msg"].startswith("Not every target is up after 1s")
    assert failure["msg"].endswith("  aiven-pg: no targets discovered -- the previous configuration was restored "
                                   "and reloaded (%s, %s, %s)." % (host, host.parent / "pw", host.parent / "ca.pem"))
    assert snapshot(host.parent) == before and prom.reloads == 2


def test_the_lock_is_held_until_the_jobs_are_proven_not_while_targets_are_awaited(host, prom, fake_promtool, clock):
    """A concurrent run must not build on files a rollback may still put back; waiting a minute
    for targets (which never puts files back) must not block it."""
    lock = sc_files.lock_path(str(host))
    held = {}

    def try_lock(what):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held[what] = False
        except OSError:
            held[what] = True
        finally:
            os.close(fd)

    def on_reload(stub):
        try_lock("reload")
        stub.loads()

    def on_read(stub, path):
        if path.startswith("/api/v1/targets"):
            try_lock("targets")
            stub.targets = [stub.target("aiven-pg", "https://127.0.0.2:9273/metrics")]
    prom.on_reload, prom.on_read = on_reload, on_read
    live(host, prom, fake_promtool, reload={"targets_up": True})
    assert held == {"reload": True, "targets": False}


def test_check_mode_reads_prometheus_and_says_what_it_would_do(host, prom, fake_promtool, clock):
    before = snapshot(host.parent)
    result = live(host, prom, fake_promtool, check_mode=True)
    assert result["changed"] is True and snapshot(host.parent) == before
    assert prom.reloads == 0 and not any(method == "POST" for method, _path in prom.requests)
    reload = result["reload"]
    assert (reload["changed"], reload["method"]) == (True, "http") and "live_jobs" not in reload
    live(host, prom, fake_promtool)
    result = live(host, prom, fake_promtool, check_mode=True)
    assert (result["changed"], result["reload"]["changed"], result["reload"]["method"]) == (False, False, "none")


def test_method_none_with_a_change_neither_reloads_nor_asks(host, prom, fake_promtool, clock):
    result = live(host, prom, fake_promtool, reload={"method": "none"})
    assert result["changed"] is True and prom.requests == []
    assert result["reload"]["method"] == "none" and result["reload"]["changed"] is False
    assert result["reload"]["method_reason"].startswith("method none was given: Prometheus loads the changed files")
    assert backups(host.parent) == []


def test_backup_true_keeps_the_backups(host, prom, fake_promtool, clock):
    result = live(host, prom, fake_promtool, backup=True)
    assert result["reload"]["backups_removed"] == []
    assert sorted(os.path.basename(e["backup"]) for e in result["files"] if "backup" in e) == backups(host.parent)
    assert len(backups(host.parent)) == 2 and os.path.exists(result["backup_file"])


def test_dropped_and_removed_jobs_must_be_gone(host, prom, fake_promtool, clock):
    two = JOBS + "- job_name: aiven-kafka\n  static_configs:\n    - targets: ['127.0.0.3:9273']\n"
    live(host, prom, fake_promtool, content=two)
    assert prom.pools == ["node", "aiven-pg", "aiven-kafka"]
    result = live(host, prom, fake_promtool)
    assert result["reload"]["stale_jobs"] == [] and prom.pools == ["node", "aiven-pg"]
    prom.on_reload = lambda stub: stub.loaded(stub.pools) if stub.reloads == 3 else stub.loads()  # keeps aiven-pg
    before = snapshot(host.parent)
    failure = live_failure(host, prom, fake_promtool, state="absent", reload={"jobs_timeout": 1},
                           files=[{"path": str(host.parent / "pw")}])
    assert failure["msg"].startswith("Prometheus reloaded, but these removed jobs are still active after 1s: "
                                     "aiven-pg. Its log has the reason. -- the previous configuration was restored")
    assert snapshot(host.parent) == before
    result = live(host, prom, fake_promtool, state="absent", files=[{"path": str(host.parent / "pw")}])
    assert result["reload"]["stale_jobs"] == [] and jobs_in(host) == ["node"] and prom.pools == ["node"]
    assert not (host.parent / "pw").exists()


def test_absent_with_nothing_to_remove_leaves_prometheus_alone(host, prom, fake_promtool, clock):
    result = live(host, prom, fake_promtool, state="absent", files=[])
    assert result["changed"] is False and prom.requests == []
    assert result["reload"]["method_reason"] == "method none was given, and nothing to prove: Prometheus is not asked"


@pytest.fixture
def systemctl(monkeypatch):
    """systemctl that knows no unit prometheus-typo (as systemd answers for an unknown unit); every
    other command runs for real."""
    real_run, real_which = AnsibleModule.run_command, AnsibleModule.get_bin_path

    def run_command(self, argv, **kwargs):
        if argv[:2] == ["/usr/bin/systemctl", "show"]:
            return 0, "LoadState=not-found\nActiveState=inactive\n", ""
        if argv[0] == "/usr/bin/systemctl":
            return 5, "", "Failed to reload prometheus-typo.service: Unit prometheus-typo.service not found.\n"
        return real_run(self, argv, **kwargs)
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *args, **kwargs: (
        "/usr/bin/systemctl" if name == "systemctl" else real_which(self, name, *args, **kwargs)))


@pytest.mark.parametrize("reload, message, option", [
    ({"web_url": "http://127.0.0.1:{closed}"},
     "Prometheus does not answer at http://127.0.0.1:{closed} (Connection refused). Start it or fix reload.web_url "
     "(nothing was changed)", "reload.web_url"),
    ({"method": "signal", "pidfile": "{dir}/missing.pid"},
     "cannot read pidfile {dir}/missing.pid (No such file or directory); set reload.pidfile to the file holding "
     "Prometheus's PID, or set reload.pid (nothing was changed)", "reload.pidfile"),
    ({"method": "signal", "pid": 1, "pidfile": "{dir}/p.pid"}, "parameters are mutually exclusive: pid|pidfile", None),
    ({"method": "systemd", "unit": "prometheus-typo"},
     "systemd has no unit prometheus-typo (LoadState=not-found); set reload.unit to Prometheus's systemd unit, or "
     "set reload.method to auto or http (the lifecycle API is enabled) (nothing was changed)", "reload.unit"),
])
def test_failures_name_the_option_to_fix(host, prom, fake_promtool, clock, systemctl, reload, message, option):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    values = {"dir": host.parent, "closed": closed}
    before = snapshot(host.parent)
    reload = dict((key, value.format(**values) if isinstance(value, str) else value) for key, value in reload.items())
    failure = live_failure(host, prom, fake_promtool, reload=reload)
    assert message.format(**values) in failure["msg"], failure["msg"]
    assert failure.get("option") == option
    assert snapshot(host.parent) == before


def test_nothing_answering_at_web_url_writes_nothing_at_all(host, prom, fake_promtool, clock):
    """Found by a new user: the files were replaced, then put back, when the reload could never
    go out. Prometheus is asked first: no file is touched, not even replaced by equal bytes."""
    closed = "http://127.0.0.1:%d" % free_port()
    inodes = dict((p.name, p.stat().st_ino) for p in host.parent.iterdir())
    failure = live_failure(host, prom, fake_promtool, reload={"web_url": closed})
    assert failure["msg"].endswith("Start it or fix reload.web_url (nothing was changed)")
    assert failure["option"] == "reload.web_url" and failure.get("files", []) == []
    assert dict((p.name, p.stat().st_ino) for p in host.parent.iterdir() if p.name in inodes) == inodes
    assert not (host.parent / "pw").exists() and backups(host.parent) == []


def test_signal_goes_to_the_one_prometheus_running_path(host, prom, fake_promtool, clock, monkeypatch):
    """method signal without pid or pidfile: SIGHUP to the process whose --config.file is path."""
    from ansible_collections.aiven_tools.prometheus.plugins.module_utils import _reload
    asked, sent = [], []
    monkeypatch.setattr(_reload, "find_pids", lambda config_file: asked.append(config_file) or [4242])
    monkeypatch.setattr(os, "kill", lambda pid, sig: (sent.append((pid, sig)), prom.loads()))
    result = live(host, prom, fake_promtool, reload={"method": "signal"})
    # Asked twice: before anything is written (can the reload go out?), then to send it.
    assert asked == [str(host), str(host)] and sent == [(4242, 0), (4242, signal.SIGHUP)]
    assert result["reload"]["pid"] == 4242 and result["reload"]["live_jobs"] == ["aiven-pg", "node"]
    monkeypatch.setattr(_reload, "find_pids", lambda config_file: [])
    failure = live_failure(host, prom, fake_promtool, content=JOBS.replace("9273", "9274"),
                           reload={"method": "signal"})
    assert failure["msg"].startswith(
        "method signal needs exactly one Prometheus process, found 0 (none) with --config.file=%s; set reload.pid or "
        "reload.pidfile, or path to the --config.file Prometheus runs with (nothing was changed)" % host)
    assert failure["option"] == "reload.pid"


@pytest.mark.parametrize("options, message, option", [
    ({"path": "{dir}/missing.yml"}, "{dir}/missing.yml does not exist or cannot be read", "path"),
    ({"validate": "{dir}/no-promtool"}, "promtool {dir}/no-promtool does not exist or is not executable", "validate"),
    ({"style": "file", "dropin_dir": "{dir}/gone/d"}, "cannot create drop-in directory {dir}/gone/d", "dropin_dir"),
    ({"files": [{"path": "relative.pem", "content": "x"}]}, "files[0].path must be an absolute path", "files"),
    ({"content": "- job_name: a\n\tbad: 1\n"}, "content line 2 is indented with a tab", "content"),
    ({"name": "a/b"}, "name 'a/b' is not usable as an owner id", "name"),
])
def test_own_option_errors_name_the_option(host, prom, fake_promtool, tmp_path, options, message, option):
    fixed = dict(options)
    for key, value in options.items():
        if isinstance(value, str):
            fixed[key] = value.format(dir=tmp_path)
    if fixed.get("style") == "file":
        (tmp_path / "bin" / "promtool").write_text("#!/bin/sh\necho 'promtool, version 2.53.3'\n")
    failure = live_failure(host, prom, fake_promtool, **fixed)
    assert failure["msg"].startswith(message.format(dir=tmp_path)), failure["msg"]
    assert failure["option"] == option and ("POST", "/-/reload") not in prom.requests
    # A failed run leaves nothing behind, not even a lock file next to a configuration that is not there.
    assert not list(tmp_path.glob(".missing.yml*"))


def test_the_reload_suboptions_web_url_and_validate_certs_read_as_the_shared_options():
    """The doc fragment writes them twice (top level, and under reload): the same words."""
    from ansible_collections.aiven_tools.prometheus.plugins.doc_fragments.prometheus import ModuleDocFragment
    shared = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    suboptions = yaml.safe_load(ModuleDocFragment.RELOAD)["options"]["reload"]["suboptions"]
    assert sorted(shared) == ["validate_certs", "web_url"]
    assert dict((name, suboptions[name]) for name in shared) == shared


def test_without_reload_the_engine_is_not_loaded(host):
    """The idempotent path stays cheap: without the reload option, a run loads neither the reload
    engine nor the HTTP client (a fresh interpreter, as Ansible gives every module run)."""
    script = (
        "import json, sys\n"
        "from ansible_collections.aiven_tools.prometheus.plugins.modules import scrape_config\n"
        "from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import run_module\n"
        "result = run_module(scrape_config.main, json.loads(sys.argv[1]))\n"
        "print(json.dumps([result['changed'], 'reload' in result, sorted(sys.modules)]))\n")
    args = {"path": str(host), "name": "acme", "content": JOBS, "style": "block", "validate": False}
    out = subprocess.run([sys.executable, "-c", script, json.dumps(args)], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), cwd=str(host.parent)).stdout
    changed, reloaded, modules = json.loads(out.splitlines()[-1])
    assert changed is True and reloaded is False
    collection = "ansible_collections.aiven_tools.prometheus.plugins.module_utils."
    assert collection + "_scrape_config.runner" in modules  # the probe sees what the run loaded
    assert not [name for name in (collection + "_reload", collection + "_scrape_config.live",
                                  "ansible.module_utils.urls") if name in modules]


def test_names_that_do_not_resolve_on_the_host_put_everything_back_naming_reload_resolve(host, prom, fake_promtool, clock):
    """The role names its discovery setting for this failure: the module must say which option it is about."""
    before = snapshot(host.parent)
    failure = live_failure(host, prom, fake_promtool, reload={"resolve": ["nothing.invalid"]})
    assert "these names do not resolve on this host" in failure["msg"] and "nothing.invalid" in failure["msg"]
    assert failure["option"] == "reload.resolve"
    assert snapshot(host.parent) == before and prom.reloads == 0


def test_files_an_earlier_run_left_unloaded_are_reloaded_when_nothing_changes(host, prom, fake_promtool, clock):
    """A run with method none places the files and leaves Prometheus alone (with a warning); the
    next run changes nothing but finds the files newer than Prometheus's last reload, so it
    reloads with its method and proves the jobs. Found by a new user: the next run reported
    changed=0 while Prometheus kept the old configuration."""
    result = live(host, prom, fake_promtool, reload={"method": "none"})
    assert result["changed"] is True and prom.reloads == 0
    from ansible.module_utils.common import warnings as ansible_warnings
    assert any("reload.method is none" in w for w in ansible_warnings.get_warning_messages())
    prom.reload_timestamp = os.stat(str(host)).st_mtime - 60  # Prometheus loaded the file before this run
    result = live(host, prom, fake_promtool)
    assert result["changed"] is True and result["files"] == [] and prom.reloads == 1
    assert sorted(result["reload"]["pending_files"]) == sorted(str(host.parent / n) for n in ("ca.pem", "prometheus.yml", "pw"))
    assert result["reload"]["method"] == "http"
    # Loaded now: the run after that reloads nothing.
    result = live(host, prom, fake_promtool)
    assert result["changed"] is False and prom.reloads == 1 and "pending_files" not in result["reload"]
