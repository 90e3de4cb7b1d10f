"""The prometheus.yml line editor and placement plan (plugins/module_utils/_scrape_config): byte
identity outside our markers on a corpus of real files, every file shape of issue 12 item 2
(edited, or refused in one line naming the shape), existing includes that already cover the
drop-in (item 5) and files without a final newline (item 7). Run: pytest -q
tests/unit/plugins/module_utils/test_scrape_config.py"""
import os
import pathlib

import pytest
import yaml

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import common, content, document
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import placement as pl
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import proof as sc_proof
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.proof import Loader
from prometheus_corpus import CORPUS, INDEX


class sc:  # the engine's names as one namespace, as the tests read them
    Document = document.Document
    JOBS_KEY = common.JOBS_KEY
    FILES_KEY = common.FILES_KEY
    join_lines = staticmethod(common.join_lines)
    check_name = staticmethod(common.check_name)
    parse_version = staticmethod(common.parse_version)
    ScrapeConfigError = common.ScrapeConfigError
    Placement = pl.Placement

    @staticmethod
    def parse_content(text):
        return content.parse_content(text, Loader().load)


JOBS = "- job_name: aiven-corpus\n  scheme: https\n  static_configs:\n    - targets: ['127.0.0.2:9273']\n"
JOBS_V2 = JOBS + "- job_name: aiven-corpus-2\n  static_configs:\n    - targets: ['127.0.0.3:9273']\n"


def corpus_texts():
    """(id, text, meta) for every corpus file, plain, with Windows line endings and with a byte
    order mark (which ansible-test sanity does not allow in the checkout's files)."""
    out = []
    for name, meta in sorted(INDEX.items()):
        text = (CORPUS / name).read_bytes().decode("utf-8")
        out.append(pytest.param(text, meta, id=name))
        out.append(pytest.param(text.replace("\n", "\r\n"), meta, id=name + "-crlf"))
        out.append(pytest.param("\ufeff" + text, meta, id=name + "-bom"))
    return out


def lines_of(text):
    return sc.parse_content(text)[0]


def jobs_in(text):
    data = yaml.safe_load(text) or {}
    return [job["job_name"] for job in data.get("scrape_configs") or []]


def outside_markers(text, name):
    """The text with our block's lines taken out (what must stay byte-identical)."""
    doc = sc.Document(text)
    blk = doc.block(name, sc.JOBS_KEY)
    return doc.bom + sc.join_lines(doc.lines[:blk.begin] + doc.lines[blk.end + 1:])


def test_corpus_is_complete():
    assert len(INDEX) >= 10
    assert sorted(INDEX) == sorted(p.name for p in CORPUS.glob("*.yml"))


@pytest.mark.parametrize("text, meta", corpus_texts())
def test_add_update_remove_is_byte_identical(text, meta):
    if meta.get("error"):
        pytest.skip("conflict case: see test_conflict_with_unmanaged_job")
    doc = sc.Document(text)
    if not meta.get("creates_key"):
        assert doc.item_indent(sc.JOBS_KEY) in (meta["item_indent"], None)  # None: key without items yet
    before_jobs = jobs_in(text)

    doc.set_block("corpus", sc.JOBS_KEY, lines_of(JOBS))
    added = doc.text
    assert jobs_in(added) == before_jobs + ["aiven-corpus"]
    data = yaml.safe_load(added)
    assert data["scrape_configs"][-1] == {"job_name": "aiven-corpus", "scheme": "https",
                                          "static_configs": [{"targets": ["127.0.0.2:9273"]}]}
    eol = "\r\n" if "\r\n" in text else "\n"
    assert added.count("\r\n") == (added.count("\n") if eol == "\r\n" else 0), "line endings follow the file"
    assert " " * meta["item_indent"] + "- job_name: aiven-corpus" + eol in added
    if not meta.get("creates_key"):
        # Everything outside the markers untouched (a file without a final newline gets the one
        # newline the block needs; removal takes it away again).
        assert outside_markers(added, "corpus") == (text if text.endswith("\n") else text + eol)

    doc.set_block("corpus", sc.JOBS_KEY, lines_of(JOBS))
    assert doc.text == added, "same content twice: no change"

    doc.set_block("corpus", sc.JOBS_KEY, lines_of(JOBS_V2))
    updated = doc.text
    assert jobs_in(updated) == before_jobs + ["aiven-corpus", "aiven-corpus-2"]
    assert outside_markers(updated, "corpus") == outside_markers(added, "corpus")

    assert doc.remove_block("corpus", sc.JOBS_KEY) is True
    assert doc.text == text
    assert doc.remove_block("corpus", sc.JOBS_KEY) is False


@pytest.mark.parametrize("text, meta", corpus_texts())
def test_include_block_round_trip(text, meta):
    doc = sc.Document(text)
    doc.set_block("corpus", sc.FILES_KEY, ["- scrape_configs.d/corpus.yml"])
    data = yaml.safe_load(doc.text)
    assert data["scrape_config_files"][-1] == "scrape_configs.d/corpus.yml"
    assert jobs_in(doc.text) == jobs_in(text)
    doc.remove_block("corpus", sc.FILES_KEY)
    assert doc.text == text


@pytest.mark.parametrize("order", ["lifo", "fifo"])
@pytest.mark.parametrize("name", ["empty.yml", "flow_empty.yml", "no_trailing_newline.yml", "debian_default.yml"])
def test_two_owners_restore_exactly_in_any_order(name, order):
    text = (CORPUS / name).read_text()
    doc = sc.Document(text)
    doc.set_block("first", sc.JOBS_KEY, lines_of(JOBS))
    doc.set_block("second", sc.JOBS_KEY, lines_of(JOBS.replace("aiven-corpus", "other-owner")))
    assert jobs_in(doc.text)[-2:] == ["aiven-corpus", "other-owner"]
    first_out, last_out = ["second", "first"] if order == "lifo" else ["first", "second"]
    doc.remove_block(first_out, sc.JOBS_KEY)
    assert jobs_in(doc.text)[-1] == {"first": "aiven-corpus", "second": "other-owner"}[last_out]
    doc.remove_block(last_out, sc.JOBS_KEY)
    assert doc.text == text


def test_created_key_lives_inside_the_markers():
    doc = sc.Document("global:\n  scrape_interval: 15s\n")
    doc.set_block("svc", sc.JOBS_KEY, lines_of(JOBS))
    assert doc.text == (
        "global:\n  scrape_interval: 15s\n"
        "# BEGIN aiven_tools.prometheus svc [scrape_configs] managed by Ansible, do not edit\n"
        "scrape_configs:\n"
        "  - job_name: aiven-corpus\n    scheme: https\n    static_configs:\n      - targets: ['127.0.0.2:9273']\n"
        "# END aiven_tools.prometheus svc [scrape_configs]\n")


def test_flow_empty_line_is_kept_for_restore():
    doc = sc.Document("scrape_configs: []  # managed elsewhere\nrule_files: []\n")
    doc.set_block("svc", sc.JOBS_KEY, lines_of(JOBS))
    assert "# aiven_tools.prometheus replaced: scrape_configs: []  # managed elsewhere\n" in doc.text
    doc.remove_block("svc", sc.JOBS_KEY)
    assert doc.text == "scrape_configs: []  # managed elsewhere\nrule_files: []\n"


def test_no_trailing_newline_stays_so():
    doc = sc.Document("scrape_configs:\n  - job_name: a")
    doc.set_block("svc", sc.JOBS_KEY, lines_of(JOBS))
    assert doc.text.startswith("scrape_configs:\n  - job_name: a\n  # BEGIN")
    assert doc.text.endswith("# END aiven_tools.prometheus svc [scrape_configs]")
    doc.remove_block("svc", sc.JOBS_KEY)
    assert doc.text == "scrape_configs:\n  - job_name: a"


@pytest.mark.parametrize("text, message", [
    ("scrape_configs: [{job_name: a}]\n",
     r"scrape_configs: is a flow-style list \(\[\{job_name: a\}\]\); .*rewrite it as 'scrape_configs:' with one '- ' "
     r"item per line, or use style=file"),
    ("scrape_configs: [\n  {job_name: a}\n]\n", "is a flow-style list"),
    ("scrape_configs: *jobs\n", r"is an alias \(\*jobs\); write the list itself"),
    ("scrape_configs: !!seq\n", "has a YAML tag"),
    ("scrape_configs: some text\n", "has an inline value"),
    ("scrape_configs:\n  job_name: a\n", "expected a '- ' list item"),
    ("scrape_configs:\n  - job_name: a\n---\nfoo: 1\n", "second YAML document"),
    ("scrape_configs:\n  - job_name: a\n...\n---\nfoo: 1\n", "second YAML document after the document end"),
    ("--- {a: 1}\n", "content on the '---' line"),
    ('{"scrape_configs": [{"job_name": "node"}]}\n', r"one flow-style \(JSON\) mapping, so jobs cannot be placed "
                                                     r"line by line; .* scrape_config_files pattern"),
    ("- a\n- b\n", "the top level is a list"),
    ("scrape_configs:\n  - job_name: a\r  - job_name: b\n", r"line break other than \\n or \\r\\n"),
    ("scrape_configs:\n  - job_name: a\u2028\n", "line break other than"),
    ("  global:\n    a: 1\nscrape_configs:\n", r"indented less \(column 1\) than the first top-level key"),
    ("scrape_configs:\n- job_name: a\nscrape_configs:\n- job_name: b\n", "appears twice"),
])
def test_unsupported_files_are_clear_errors(text, message):
    with pytest.raises(sc.ScrapeConfigError, match=message):
        sc.Document(text).set_block("svc", sc.JOBS_KEY, lines_of(JOBS))


@pytest.mark.parametrize("text, message", [
    ("  # BEGIN aiven_tools.prometheus svc [scrape_configs] managed by Ansible, do not edit\n", "no END marker"),
    ("# END aiven_tools.prometheus svc [scrape_configs]\n", "without its BEGIN"),
    ("# BEGIN aiven_tools.prometheus svc\n", "damaged"),
])
def test_damaged_markers_are_reported(text, message):
    with pytest.raises(sc.ScrapeConfigError, match=message):
        sc.Document("scrape_configs:\n" + text)


@pytest.mark.parametrize("content, message", [
    ("", "no scrape job"),
    ("job_name: a\n", "not a list item"),
    ("- job_name: a\n- job_name: a\n", "twice"),
    ("- job_name: a\n- static_configs: []\n", "item 2 has no job_name: every scrape job needs one"),
    ("- a\n", "item 1 is not a mapping"),
    ("- job_name: a\n\tscheme: https\n", "tab"),
    ("  - job_name: a\n", "indented before the first"),
    ("- job_name: a\n# END aiven_tools.prometheus x [scrape_configs]\n", "marker"),
])
def test_bad_content(content, message):
    with pytest.raises(sc.ScrapeConfigError, match=message):
        sc.parse_content(content)


def test_flow_style_job_items_count():
    """Jobs written as flow mappings are jobs: their names come from the YAML, not a line scan."""
    lines, names, data = sc.parse_content("- {job_name: a, static_configs: [{targets: ['x:1']}]}\n- job_name: b\n")
    assert names == ["a", "b"] and data[0]["static_configs"] == [{"targets": ["x:1"]}]


def test_content_as_data_renders_valid_yaml():
    jobs = [{"job_name": "aiven-pg", "scheme": "https", "basic_auth": {"username": "u", "password_file": "pw"},
             "tls_config": {"ca_file": "ca.pem", "server_name": "pg.aiven.test"},
             "dns_sd_configs": [{"names": ["public-pg.aiven.test"], "type": "A", "port": 9273}],
             "labels_true": True, "empty": []}]
    lines, names, data = sc.parse_content(jobs)
    assert names == ["aiven-pg"]
    assert yaml.safe_load("\n".join(lines)) == jobs == data


def test_quoted_job_names_and_crlf_content():
    lines, names, _data = sc.parse_content("- job_name: 'it''s'\r\n- job_name: \"b\\\"c\"  # x\r\n")
    assert names == ["it's", 'b"c']
    assert all("\r" not in line for line in lines)


def test_conflict_with_unmanaged_job(tmp_path):
    (tmp_path / "prometheus.yml").write_bytes((CORPUS / "conflict_job.yml").read_bytes())
    placement = sc.Placement(str(tmp_path / "prometheus.yml"), "corpus")
    with pytest.raises(sc.ScrapeConfigError,
                       match=r"job 'aiven-corpus' already exists in .*prometheus.yml line 6 \(not managed"):
        placement.plan("present", "block", JOBS)


def test_conflict_with_other_owner_and_own_block_is_fine(tmp_path):
    config = tmp_path / "prometheus.yml"
    doc = sc.Document("scrape_configs:\n")
    doc.set_block("other", sc.JOBS_KEY, lines_of(JOBS))
    config.write_text(doc.text)
    with pytest.raises(sc.ScrapeConfigError, match="in the block of owner 'other'"):
        sc.Placement(str(config), "mine").plan("present", "block", JOBS)
    main, _dropin = sc.Placement(str(config), "other").plan("present", "block", JOBS_V2).changes
    assert jobs_in(main.after) == ["aiven-corpus", "aiven-corpus-2"]


def test_conflict_in_included_file(tmp_path):
    for name in ("with_scrape_config_files.yml", "other.d/blackbox.yml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())
    placement = sc.Placement(str(tmp_path / "with_scrape_config_files.yml"), "corpus")
    with pytest.raises(sc.ScrapeConfigError, match=r"job 'other-tool' already exists in .*other.d/blackbox.yml "
                                                   r"line 3 \(included through scrape_config_files entry"):
        placement.plan("present", "file", JOBS.replace("aiven-corpus", "other-tool"))
    # A drop-in the existing pattern other.d/*.yml already includes (issue 12 item 5): only the
    # drop-in is written, the main file stays as it is.
    plan = sc.Placement(str(tmp_path / "with_scrape_config_files.yml"), "corpus", "other.d").plan(
        "present", "file", JOBS)
    assert plan.covered_by == "other.d/*.yml"
    assert not plan.main.changed and plan.dropin.action == "created"
    assert plan.dropin.path == str(tmp_path / "other.d" / "corpus.yml")


def test_file_style_plan_and_migration(tmp_path):
    config = tmp_path / "prometheus.yml"
    original = (CORPUS / "debian_default.yml").read_text()
    config.write_text(original)
    main, dropin = sc.Placement(str(config), "svc").plan("present", "file", JOBS).changes
    assert (main.action, dropin.action) == ("updated", "created")
    assert dropin.path == str(tmp_path / "scrape_configs.d" / "svc.yml")
    assert yaml.safe_load(main.after)["scrape_config_files"] == ["scrape_configs.d/svc.yml"]
    assert jobs_in(dropin.after) == ["aiven-corpus"]
    # From block to file: the jobs block goes, the include comes.
    doc = sc.Document(original)
    doc.set_block("svc", sc.JOBS_KEY, lines_of(JOBS))
    config.write_text(doc.text)
    main, dropin = sc.Placement(str(config), "svc").plan("present", "file", JOBS).changes
    assert jobs_in(main.after) == ["prometheus", "node"]
    # Absent removes everything, whatever the style.
    os.makedirs(os.path.dirname(dropin.path))
    pathlib.Path(dropin.path).write_text(dropin.after)
    config.write_text(main.after)
    main, dropin = sc.Placement(str(config), "svc").plan("absent", "auto").changes
    assert main.after == original and dropin.action == "removed"
    # Drop-in outside the config dir: included by absolute path.
    outside = tmp_path.parent / (tmp_path.name + "-dropins")
    placement = sc.Placement(str(config), "svc", str(outside))
    assert placement.dropin_entry == str(outside / "svc.yml")


@pytest.mark.parametrize("bad", ["", "../x", "a b", "-x", "a/b"])
def test_owner_name_is_checked(bad):
    with pytest.raises(sc.ScrapeConfigError, match="owner id"):
        sc.check_name(bad)


def test_parse_version():
    assert sc.parse_version("promtool, version 2.42.0+ds (branch: debian/sid)") == (2, 42, 0)
    assert sc.parse_version("prometheus, version 3.5.3+ds1") == (3, 5, 3)
    assert sc.parse_version("nothing") is None


# -- scrape_config_files patterns as Prometheus globs them (filepath.Match / filepath.Glob) -------

@pytest.mark.parametrize("pattern, path, matches", [
    ("/etc/p/scrape_configs.d/*.yml", "/etc/p/scrape_configs.d/acme.yml", True),
    ("/etc/p/scrape_configs.d/*.yml", "/etc/p/scrape_configs.d/.acme.yml", True),  # Go: dot files too
    ("/etc/p/*/acme.yml", "/etc/p/scrape_configs.d/acme.yml", True),
    ("/etc/p/*.yml", "/etc/p/scrape_configs.d/acme.yml", False),  # '*' does not cross '/'
    ("/etc/p/s[^x]rape_configs.d/a?me.yml", "/etc/p/scrape_configs.d/acme.yml", True),
    ("/etc/p/s[^c]rape_configs.d/acme.yml", "/etc/p/scrape_configs.d/acme.yml", False),
    ("/etc/p/[a-c]*/acme.yml", "/etc/p/scrape_configs.d/acme.yml", False),
    ("/etc/p/scrape_configs.d/acme\\.yml", "/etc/p/scrape_configs.d/acme.yml", True),
    ("/etc/p/scrape_configs.d/[acme.yml", "/etc/p/scrape_configs.d/acme.yml", False),  # malformed
])
def test_go_match(pattern, path, matches):
    assert pl.go_match(pattern, path) is matches


def test_go_glob_and_escape(tmp_path):
    for name in ("a.yml", ".hidden.yml", "b.json", "we[ird]*.yml"):
        (tmp_path / "d").mkdir(exist_ok=True)
        (tmp_path / "d" / name).write_text("x")
    found = pl.go_glob(str(tmp_path / "d" / "*.yml"))
    assert found == [str(tmp_path / "d" / n) for n in (".hidden.yml", "a.yml", "we[ird]*.yml")]
    assert pl.go_glob(pl.go_escape(str(tmp_path / "d" / "we[ird]*.yml"))) == [str(tmp_path / "d" / "we[ird]*.yml")]


def test_validation_of_a_covered_dropin_reads_the_candidate_not_the_live_file(tmp_path):
    """The pattern that covers the drop-in would also match the live one: the text promtool
    checks lists the other files the pattern matches plus the candidate, in JSON (valid YAML)."""
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_config_files: [d/*.yml]\nglobal: {scrape_interval: 15s}\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "other.yml").write_text("scrape_configs: []\n")
    (tmp_path / "d" / "svc.yml").write_text("scrape_configs: []\n")
    plan = sc.Placement(str(config), "svc", "d").plan("present", "file", JOBS)
    assert plan.covered_by == "d/*.yml" and not plan.main.changed
    data = yaml.safe_load(plan.validation_main("/tmp/cand/.svc.yml.x"))
    assert data == {"scrape_config_files": [str(tmp_path / "d" / "other.yml"), "/tmp/cand/.svc.yml.x"],
                    "global": {"scrape_interval": "15s"}}


def test_the_proof_names_what_differs():
    loader = Loader()
    before = "scrape_configs:\n  - job_name: a\nglobal: {x: 1}\n"
    job = {"job_name": "b"}
    sc_proof.check_main(loader, "p.yml", "svc", before, before + "  # c\n", (), ())
    with pytest.raises(sc.ScrapeConfigError, match=r"\(top-level key global, the owner's jobs differ\)"):
        sc_proof.check_main(loader, "p.yml", "svc", before, before.replace("x: 1", "x: 2"), (), [job])
    with pytest.raises(sc.ScrapeConfigError, match=r"\(the other jobs of scrape_configs differ\)"):
        sc_proof.check_main(loader, "p.yml", "svc", before, "scrape_configs:\n  - job_name: b\nglobal: {x: 1}\n",
                            (), [job])
    with pytest.raises(sc.ScrapeConfigError, match=r"\(the entries of scrape_config_files differ\)"):
        sc_proof.check_main(loader, "p.yml", "svc", before, before, (), (), (), ["d/svc.yml"])
    # null, [] and a missing key all mean "no jobs"
    sc_proof.check_main(loader, "p.yml", "svc", "scrape_configs: []\n", "scrape_configs:\n", ["a"], ())
