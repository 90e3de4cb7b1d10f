"""Property-based tests (hypothesis) of the scrape_config engine: issue 12 item 8.

Generated prometheus.yml variants mix the shapes real files have and those issue 12 lists:
indentation of the top level, of nested mappings and of lists (also flush with their key),
comments between keys, after values and between list items, blank lines, CRLF, no final newline,
a byte order mark, %YAML / --- / ... markers, quoted top-level keys, an anchor on
scrape_configs, jobs in flow style, keys in any order, empty or missing scrape_configs, and
another owner's block already in place. For each:

* present then absent gives back the original bytes (block and file style);
* present twice changes nothing the second time;
* the candidate read as YAML (PyYAML) is the original plus exactly the jobs (or include line),
  and the engine's own proof agrees, with PyYAML and with the built-in reader;
* the built-in reader reads every generated file (and random YAML dumped by PyYAML in its
  styles) exactly as PyYAML does.

Bounded so the file runs in seconds (max_examples, deadline=None). Select them with
`pytest -m hypothesis` (hypothesis marks every @given test) or run this file:
    pytest -q tests/unit/plugins/module_utils/test_scrape_config_properties.py
"""
import os
import string
import tempfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import content, proof, yaml_reader
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    FILES_KEY, JOBS_KEY, ScrapeConfigError,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.document import Document

# Hypothesis keeps caches (and an example database, switched off below) in .hypothesis/ of the
# working directory, which would be the checkout.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "aiven_tools_hypothesis"))
BOUNDED = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
READER = settings(max_examples=150, deadline=None, database=None)
PYYAML = proof.Loader(pyyaml=True)
BUILTIN = proof.Loader(pyyaml=False)
KEYWORDS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n"}

names = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=8).map(lambda s: "j" + s)
words = st.text(string.ascii_letters + string.digits + "_./:-", min_size=1, max_size=12)
scalars = st.one_of(words, st.integers(0, 99999), st.sampled_from(["15s", "(.*):9090", "${1}", "a b", "it's",
                                                                   "#x", "x #y", "'q'", "-1", ""]))


@st.composite
def jobs(draw, taken=()):
    out = []
    for name in draw(st.lists(names.filter(lambda n: n not in taken), min_size=1, max_size=3, unique=True)):
        job = {"job_name": "aiven-" + name}
        if draw(st.booleans()):
            job["metrics_path"] = draw(st.sampled_from(["/metrics", "/probe"]))
        job["static_configs"] = [{"targets": draw(st.lists(st.sampled_from(["127.0.0.2:9273", "localhost:9090"]),
                                                           min_size=1, max_size=2))}]
        if draw(st.booleans()):
            job["relabel_configs"] = [{"regex": draw(scalars), "target_label": "host"}]
        out.append(job)
    return out


class Style(object):
    """How one generated file writes its YAML."""

    def __init__(self, draw):
        self.root = draw(st.sampled_from([0, 0, 2]))
        self.step = draw(st.sampled_from([2, 4]))
        self.flush_lists = draw(st.booleans())
        self.comments = draw(st.booleans())
        self.flow_jobs = draw(st.booleans())
        self.quote_keys = draw(st.sets(st.sampled_from(["global", "scrape_configs", "rule_files", "remote_write",
                                                        "scrape_config_files"])))
        self.draw = draw

    def scalar(self, value):
        if isinstance(value, int):
            return str(value)
        if value and value[0] in string.ascii_letters + "_/" and value.lower() not in KEYWORDS and all(
                c in string.ascii_letters + string.digits + "_./-" for c in value):
            return value
        return "'" + value.replace("'", "''") + "'"

    def flow(self, value):
        if isinstance(value, dict):
            return "{" + ", ".join("%s: %s" % (k, self.flow(v)) for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow(v) for v in value) + "]"
        return self.scalar(value)

    def comment(self):
        return "  # note" if self.comments and self.draw(st.booleans()) else ""

    def block(self, value, indent):
        """Lines (no line ends) of `value` as the body of a key or item at `indent`."""
        pad = " " * indent
        out = []
        if isinstance(value, dict):
            for key, item in value.items():
                head = pad + key + ":"
                if isinstance(item, dict) and item:
                    out.append(head + self.comment())
                    out.extend(self.block(item, indent + self.step))
                elif isinstance(item, list) and item:
                    out.append(head)
                    out.extend(self.block(item, indent + (0 if self.flush_lists else self.step)))
                else:
                    out.append(head + " " + self.flow(item) + self.comment())
            return out
        for item in value:
            if self.comments and self.draw(st.booleans()):
                out.append(pad + "# between items")
            if isinstance(item, dict) and item and self.flow_jobs and "job_name" in item:
                out.append(pad + "- " + self.flow(item))
            elif isinstance(item, dict) and item:
                sub = self.block(item, indent + 2)
                out.append(pad + "- " + sub[0][indent + 2:])
                out.extend(sub[1:])
            else:
                out.append(pad + "- " + self.flow(item))
        return out

    def top(self, key, value):
        pad = " " * self.root
        shown = '"%s"' % key if key in self.quote_keys else key
        anchor = " &jobs" if key == JOBS_KEY and self.draw(st.booleans()) else ""
        if isinstance(value, (dict, list)) and value:
            indent = self.root + (0 if isinstance(value, list) and self.flush_lists else self.step)
            return [pad + shown + ":" + anchor + self.comment()] + self.block(value, indent)
        empty = self.draw(st.sampled_from(["[]", "", "~"])) if isinstance(value, list) else self.flow(value)
        return [pad + shown + ":" + ((" " + empty) if empty else "") + self.comment()]


@st.composite
def configurations(draw):
    """(text, data) of a generated prometheus.yml."""
    style = Style(draw)
    sections = {
        "global": {"scrape_interval": "15s", "external_labels": {"site": draw(words)}},
        "rule_files": draw(st.lists(st.sampled_from(["rules/a.yml", "rules/*.yml"]), max_size=2, unique=True)),
        "remote_write": [{"url": "http://127.0.0.1:9201/write", "queue_config": {"max_samples_per_send": 500}}],
        JOBS_KEY: [{"job_name": "node", "static_configs": [{"targets": ["localhost:9100"]}]}][:draw(st.integers(0, 1))],
        FILES_KEY: ["other.d/*.yml"],
    }
    keys = draw(st.permutations(sorted(sections)))
    keys = [k for k in keys if k in (JOBS_KEY, "global") or draw(st.booleans())]
    if draw(st.booleans()):
        keys.remove(JOBS_KEY)
    lines = []
    start = draw(st.sampled_from(["", "---", "%YAML 1.1\n---", "# head\n---"]))
    lines.extend(start.split("\n") if start else [])
    data = {}
    for key in keys:
        if style.comments and draw(st.booleans()):
            lines.append(draw(st.sampled_from(["# a comment", "", " " * style.root + "# indented comment"])))
        lines.extend(style.top(key, sections[key]))
        value = sections[key]
        data[key] = value if (value or not isinstance(value, list)) else None
    if draw(st.booleans()):
        lines.extend(["...", "# after the document"] if draw(st.booleans()) else ["..."])
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(lines) + (eol if draw(st.booleans()) or not lines else "")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


def read(text):
    return yaml.safe_load(text) or {}


def expected_after(before, jobs_added=(), entries_added=()):
    data = dict(before)
    if jobs_added:
        data[JOBS_KEY] = (before.get(JOBS_KEY) or []) + list(jobs_added)
    if entries_added:
        data[FILES_KEY] = (before.get(FILES_KEY) or []) + list(entries_added)
    return data


@BOUNDED
@given(text=configurations(), new=jobs(), other=st.booleans())
def test_block_style_round_trip(text, new, other):
    before = read(text)
    assert yaml_reader.load(text) == yaml.safe_load(text), "the built-in reader reads the file as PyYAML does"
    if other:  # another owner's block is already there (part of the original)
        doc = Document(text)
        doc.set_block("other", JOBS_KEY, content.render_yaml([{"job_name": "other-owner", "static_configs": []}]))
        text, before = doc.text, read(doc.text)
    lines = content.render_yaml(new)
    doc = Document(text)
    doc.set_block("svc", JOBS_KEY, lines)
    added = doc.text
    assert read(added) == expected_after(before, new)
    for loader in (PYYAML, BUILTIN):
        proof.check_main(loader, "prometheus.yml", "svc", text, added, (), new)
    assert yaml_reader.load(added) == yaml.safe_load(added)
    doc.set_block("svc", JOBS_KEY, lines)
    assert doc.text == added, "present twice: the second time changes nothing"
    assert doc.remove_block("svc", JOBS_KEY)
    assert doc.text == text, "present then absent gives the original bytes"


@BOUNDED
@given(text=configurations())
def test_file_style_include_round_trip(text):
    before = read(text)
    entry = "scrape_configs.d/svc.yml"
    doc = Document(text)
    doc.set_block("svc", FILES_KEY, ["- " + entry])
    added = doc.text
    assert read(added) == expected_after(before, entries_added=[entry])
    for loader in (PYYAML, BUILTIN):
        proof.check_main(loader, "prometheus.yml", "svc", text, added, entries_added=[entry])
    doc.set_block("svc", FILES_KEY, ["- " + entry])
    assert doc.text == added
    doc.remove_block("svc", FILES_KEY)
    assert doc.text == text


@BOUNDED
@given(text=configurations(), new=jobs())
def test_updates_move_nothing_else(text, new):
    """An owner's update replaces its jobs and nothing else (read as YAML and as bytes outside)."""
    doc = Document(text)
    doc.set_block("svc", JOBS_KEY, content.render_yaml(new[:1]))
    first = doc.text
    doc.set_block("svc", JOBS_KEY, content.render_yaml(new))
    second = doc.text
    proof.check_main(PYYAML, "prometheus.yml", "svc", first, second, [new[0]["job_name"]], new)
    doc.remove_block("svc", JOBS_KEY)
    assert doc.text == text


@BOUNDED
@given(text=configurations(), new=jobs())
def test_a_wrong_candidate_is_never_proven(text, new):
    """The proof is not a rubber stamp: dropping any job of the owner, or adding one more,
    is refused."""
    doc = Document(text)
    doc.set_block("svc", JOBS_KEY, content.render_yaml(new))
    with pytest.raises(ScrapeConfigError, match="owner's jobs"):
        proof.check_main(PYYAML, "prometheus.yml", "svc", text, doc.text, (), new[1:] + [dict(new[0], x=1)])
    with pytest.raises(ScrapeConfigError):
        proof.check_main(BUILTIN, "prometheus.yml", "svc", text, text, (), new)


def dumped(data, draw):
    return yaml.safe_dump(data, default_flow_style=draw(st.sampled_from([False, True, None])),
                          indent=draw(st.sampled_from([2, 4])), width=draw(st.sampled_from([20, 80])),
                          allow_unicode=draw(st.booleans()), explicit_start=draw(st.booleans()),
                          explicit_end=draw(st.booleans()), sort_keys=False)


# Line breaks other than LF and CRLF, which the built-in reader refuses by design (its docs say so).
OTHER_BREAKS = "\x85\u2028\u2029"


def json_like(keys, texts=st.text(max_size=20)):
    return st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-10 ** 6, 10 ** 6), texts,
                  st.floats(allow_nan=False, allow_infinity=True)),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
        max_leaves=12)


@READER
@given(data=json_like(st.text(string.ascii_letters + string.digits + "_.-/", min_size=1, max_size=8),
                      st.text(st.characters(blacklist_characters=OTHER_BREAKS), max_size=20)),
       draw=st.data())
def test_builtin_reader_reads_what_pyyaml_writes(data, draw):
    text = dumped(data, draw.draw)
    assert yaml_reader.load(text) == yaml.safe_load(text) == data


@READER
@given(data=json_like(st.text(max_size=8)), draw=st.data())
def test_builtin_reader_never_reads_differently(data, draw):
    """Any key PyYAML can write: the reader reads the same data, or refuses it as a construct it
    does not read (PyYAML writes odd keys as complex '? ' keys) -- never other data."""
    text = dumped(data, draw.draw)
    try:
        value = yaml_reader.load(text)
    except yaml_reader.YamlReaderError as exc:
        assert exc.unsupported, exc
    else:
        assert value == yaml.safe_load(text)
