"""The standard-library YAML reader the scrape_config module proves its edits with on hosts
without PyYAML (plugins/module_utils/_scrape_config/yaml_reader.py): the same data as PyYAML's
SafeLoader for the subset it reads, a line-numbered refusal otherwise. Generated cases:
test_scrape_config_properties.py. Run:
    pytest -q tests/unit/plugins/module_utils/test_scrape_config_yaml_reader.py
"""
import pytest
import yaml

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.yaml_reader import (
    YamlReaderError, load,
)
from prometheus_corpus import CORPUS

SAME_AS_PYYAML = [
    '{"a":1}', "\ufeffa: 1", "%YAML 1.1\n---\na: 1\n...\n# c\n", "a: &x\n  - 1\nb: *x\n", "a:\n- 1\n- 2\n",
    "k: a\n  b\n\n  c\n", "k: 'a\n  b'\n", 'k: "a\\\n  b"\n', "k: >\n a\n b\n\n  c\n d\n", "k: |+\n a\n\n",
    "- a: 1\n  b: 2\n- - x\n  - y\n", "b: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", "k: [a, {b: c}, 'd'\n  , e]\n",
    "k: 017\n", "k: 1_000\n", "k: 1:30\n", "k: .5\n", "k: 1e3\n", "k: 1.0e+3\n", "k: yes\n", "k: y\n", "k: 0x1F\n",
    "k: -.inf\n", "a:  # c\n  - x\n", "- a\n-\n  b\n", "a: [1, 2,]\n", "a: {b, c: d}\n", "a: b #c\n", "a: b#c\n",
    "a: 'it''s'\n", 'a: "\\u00e9\\x41\\t"\n', "k: [a\n b]\n", "k:\n - a\n -\n - c\n", "---\n...\n", "", "# only\n",
    "a: |2\n   x\n  y\n", "a: |-\n  x\n\n", "a: >+\n  x\n\n\n", " a: 1\n b: 2\n", 'k: "a\n\n  b"\n', "a: |\n  x",
    "a: >\n  x\n  y\n\n\n  z\n", "a: &j\n- 1\n- 2\nb: *j\n", "url: http://a:9090/x\n", "'q': 1\n\"r\": [2]\n",
    "a: ~\nb:\nc: null\n", "--- 5\n", "--- {a: 1}\n", "a:\r\n  - b\r\n", "c:\n  <<: [{a: 1}, {a: 2, b: 3}]\n",
    "regex: '(.*):9090'\nreplacement: '${1}'\n", "'match[]':\n  - '{job=\"prometheus\"}'\n",
]


@pytest.mark.parametrize("text", SAME_AS_PYYAML)
def test_reads_what_pyyaml_reads(text):
    assert load(text) == yaml.safe_load(text)


@pytest.mark.parametrize("path", sorted(CORPUS.rglob("*.yml")), ids=lambda p: p.name)
def test_reads_the_corpus(path):
    text = path.read_text()
    assert load(text) == yaml.safe_load(text)
    assert load(text.replace("\n", "\r\n")) == yaml.safe_load(text)


@pytest.mark.parametrize("text, line, message, unsupported", [
    ("a: !!str 1\n", 1, "a YAML tag", True),
    ("? a\n: b\n", 1, "a complex mapping key", True),
    ("&x a: 1\n", 1, "an anchor on a mapping key", True),
    ("a:\tb\n", 1, "a tab outside quotes", True),
    ("a: b\rc: d\n", 1, "line break", True),
    ("%TAG ! tag:x,2000:\n---\na: 1\n", 1, "a directive other than %YAML", True),
    ("{[a]: 1}\n", 1, "as a mapping key", True),
    ("a: 1\na: 2\n", 2, "key 'a' appears twice", False),
    ("a: b\n---\nc: d\n", 2, "a second YAML document", False),
    ("  a: 1\nb: 2\n", 2, "content outside the document's top-level node", False),
    ("a:\n  b: 1\n c: 2\n", 3, "more indented than the keys above it", False),
    ("k: - x\n", 1, "a block sequence entry after a key on the same line", False),
    ("a: b: c\n", 1, "a mapping after a key on the same line", False),
    ("a: 'open\n", 2, "end of file inside a quoted scalar", False),
    ("a: [1, 2\n", 2, "end of file inside a flow sequence", False),
    ("a: *nope\n", 1, "alias *nope to an unknown anchor", False),
    ('a: "\\q"\n', 1, "unknown escape \\q", False),
])
def test_refusals_name_the_line(text, line, message, unsupported):
    with pytest.raises(YamlReaderError) as caught:
        load(text)
    assert caught.value.line == line and message in str(caught.value)
    assert caught.value.unsupported is unsupported
    if not unsupported and "twice" not in message:  # invalid YAML: PyYAML refuses it too
        with pytest.raises(yaml.YAMLError):
            yaml.safe_load(text)
