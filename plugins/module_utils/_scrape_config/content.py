# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The owner's jobs: checked, read as YAML, rendered for the main file or a drop-in file.

PRIVATE to the collection: it can change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    COLLECTION, JOBS_KEY, MARKER_HINT_RE, ScrapeConfigError, is_blank_or_comment, unquote,
)

_ITEM_RE = re.compile(r"^(?P<indent> *)-(?:[ \t]+|$)(?P<rest>.*)$")


def render_yaml(value, indent=0):
    """Block-style YAML lines for JSON-like data (so `content` may also be a list of dicts).

    Strings are emitted JSON-quoted, which is valid YAML and never ambiguous.
    """
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out = []
        for key, item in value.items():
            out.extend(_render_entry(pad + _scalar(str(key)) + ":", item, indent))
        return out
    if isinstance(value, (list, tuple)):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            sub = render_yaml(item, indent + 2)
            if isinstance(item, (dict, list, tuple)) and item:
                out.append(pad + "- " + sub[0][indent + 2:])
                out.extend(sub[1:])
            else:
                out.append(pad + "- " + sub[0].strip())
        return out
    return [pad + _scalar(value)]


def _render_entry(head, item, indent):
    if isinstance(item, (dict, list, tuple)) and item:
        return [head] + render_yaml(item, indent + 2)
    return [head + " " + render_yaml(item, 0)[0]]


def _scalar(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", text) and text.lower() not in (
            "true", "false", "yes", "no", "on", "off", "null", "y", "n"):
        return text
    return json.dumps(text)


def parse_content(content, load):
    """Check the owner's jobs; returns (lines without terminators, [job names], [job dicts]).

    `content` is a YAML block list whose items start at column 0 (what a template renders), or
    a list of job dicts. `load(text, where)` reads YAML (see proof.Loader). The line checks are
    what the line editor needs; the job names come from the YAML itself, so flow-style items
    (`- {job_name: x, ...}`) count too. promtool checks the rest.
    """
    if isinstance(content, (list, tuple)):
        for i, job in enumerate(content):
            if not isinstance(job, dict):
                raise ScrapeConfigError("content item %d is not a mapping (a scrape job)" % (i + 1))
        lines = render_yaml(list(content))
    else:
        lines = (content or "").replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    lines = [line.rstrip("\r") for line in lines]
    if not any(not is_blank_or_comment(line) for line in lines):
        raise ScrapeConfigError("content holds no scrape job; use state=absent to remove the jobs")
    seen_item = False
    for number, line in enumerate(lines, 1):
        if MARKER_HINT_RE.search(line):
            raise ScrapeConfigError("content line %d contains an %s marker comment; content must be only the "
                                    "jobs" % (number, COLLECTION))
        leading = line[:len(line) - len(line.lstrip())]
        if "\t" in leading:
            raise ScrapeConfigError("content line %d is indented with a tab; YAML allows only spaces" % number)
        if is_blank_or_comment(line):
            continue
        if not line[0].isspace():
            if not _ITEM_RE.match(line):
                raise ScrapeConfigError(
                    "content line %d (%r) is not a list item: content must be a YAML list of scrape jobs in "
                    "block style with each item starting '- job_name:' at column 0" % (number, line))
            seen_item = True
        elif not seen_item:
            raise ScrapeConfigError("content line %d is indented before the first '- job_name:' item" % number)
    jobs = load("\n".join(lines) + "\n", "content")
    names = []
    for number, job in enumerate(jobs or [], 1):
        if not isinstance(job, dict):
            raise ScrapeConfigError("content item %d is not a mapping (a scrape job)" % number)
        name = job.get("job_name")
        if name is None or name == "":
            raise ScrapeConfigError("content item %d has no job_name: every scrape job needs one" % number)
        name = str(name)
        if name in names:
            raise ScrapeConfigError("content names job %r twice; job names must be unique" % name)
        names.append(name)
    return lines, names, jobs


def items_of(lines):
    """The content lines split into one list of lines per job (items start at column 0)."""
    items = []
    for line in lines:
        if line[:1] == "-" and _ITEM_RE.match(line):
            items.append([])
        if items:
            items[-1].append(line)
    return items


_PATH_KEY_RE = re.compile(
    r"(?:^|[\s{,])(?P<key>ca_file|cert_file|key_file|password_file|username_file|credentials_file|"
    r"bearer_token_file)[ \t]*:[ \t]*(?P<value>'(?:[^']|'')*'|\"(?:[^\"\\\\]|\\\\.)*\"|[^\s,}#]+)")


def relative_paths(content_lines):
    """[(key, path)] of file options in the jobs given as relative paths (block or flow style).

    Prometheus resolves them against the directory of the file that holds the job: the main
    config's directory for style block, the drop-in directory for style file.
    """
    out = []
    for line in content_lines:
        if line.lstrip().startswith("#"):
            continue
        for match in _PATH_KEY_RE.finditer(line):
            value = unquote(match.group("value"))
            if value and not os.path.isabs(value):
                out.append((match.group("key"), value))
    return out


def render_dropin(name, content_lines, main_path):
    """The owner's drop-in file: a `scrape_configs:` document (what scrape_config_files loads)."""
    head = [
        "# %s %s: managed by Ansible, do not edit." % (COLLECTION, name),
        "# Included by %s (scrape_config_files)." % main_path,
        JOBS_KEY + ":",
    ]
    return "\n".join(head + list(content_lines)) + "\n"
