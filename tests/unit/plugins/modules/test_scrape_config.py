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
import json
import os
import stat

import pytest
import trustme
import yaml

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import files as sc_files
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import document, proof
from ansible_collections.aiven_tools.prometheus.plugins.modules import scrape_config
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import fail_module, run_module
from sandbox.prometheus import missing_reason, versions

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
