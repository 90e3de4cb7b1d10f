# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names, marker comments, lines and errors shared by the scrape_config engine.

PRIVATE to the collection: it can change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import re

COLLECTION = "aiven_tools.prometheus"
JOBS_KEY = "scrape_configs"
FILES_KEY = "scrape_config_files"
DEFAULT_DROPIN_DIR = "scrape_configs.d"
# scrape_config_files first shipped in Prometheus 2.43.0 (Prometheus CHANGELOG, #12019).
FILE_STYLE_MIN_VERSION = (2, 43)
# Indentation of list items under a key we create ourselves (relative to the top-level keys).
DEFAULT_INDENT = 2

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MARKER_RE = re.compile(
    r"^(?P<indent>[ \t]*)# (?P<which>BEGIN|END) aiven_tools\.prometheus (?P<name>\S+) \[(?P<key>[a-z_]+)\]")
MARKER_HINT_RE = re.compile(r"#\s*(BEGIN|END) aiven_tools\.prometheus\b")
WAS_PREFIX = "# aiven_tools.prometheus replaced: "
_PLAIN_PATH_RE = re.compile(r"^[A-Za-z0-9_./*?\[\]-][A-Za-z0-9_./*?\[\]@+=-]*$")


class ScrapeConfigError(Exception):
    """A problem the user must fix; the message says what and where, in one line. `option`: the
    module option the message asks to fix, when it is exactly one (returned as ``option``)."""

    def __init__(self, msg, option=None):
        super(ScrapeConfigError, self).__init__(msg)
        self.option = option


@contextlib.contextmanager
def about(option):
    """Every ScrapeConfigError raised inside is about `option`, unless it already names one."""
    try:
        yield
    except ScrapeConfigError as exc:
        if exc.option is None:
            exc.option = option
        raise


class FileChange(object):
    """One file: `before` is None when it does not exist, `after` is None when it is removed.
    `path` is the file actually written (a symlink's target)."""

    def __init__(self, path, before, after):
        self.path = path
        self.before = before
        self.after = after

    @property
    def changed(self):
        return self.before != self.after

    @property
    def action(self):
        if self.before is None:
            return "created"
        if self.after is None:
            return "removed"
        return "updated"


def begin_marker(name, key):
    return "# BEGIN %s %s [%s] managed by Ansible, do not edit" % (COLLECTION, name, key)


def end_marker(name, key):
    return "# END %s %s [%s]" % (COLLECTION, name, key)


def check_name(name):
    if not name or not _NAME_RE.match(name):
        raise ScrapeConfigError(
            "name %r is not usable as an owner id: use letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (it names the marker comments and the drop-in file)" % (name,), option="name")


def parse_version(text):
    """(major, minor, patch) from `promtool --version` output, or None."""
    match = re.search(r"version (\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(part) for part in match.groups()) if match else None


# Lines are (body, end) pairs. We split on "\n" only (str.splitlines would also split on form
# feeds and Unicode separators) and keep each line's own terminator ("\n", "\r\n" or "").

def split_lines(text):
    lines = []
    pos = 0
    while pos < len(text):
        nl = text.find("\n", pos)
        if nl < 0:
            lines.append((text[pos:], ""))
            break
        raw = text[pos:nl + 1]
        if raw.endswith("\r\n"):
            lines.append((raw[:-2], "\r\n"))
        else:
            lines.append((raw[:-1], "\n"))
        pos = nl + 1
    return lines


def join_lines(lines):
    return "".join(body + end for body, end in lines)


def is_blank_or_comment(body):
    stripped = body.strip()
    return not stripped or stripped.startswith("#")


def indent_of(body):
    return len(body) - len(body.lstrip(" "))


def strip_comment(value):
    """Drop a trailing ` # comment` from a one-line YAML value (quotes respected)."""
    out = []
    quote = None
    escaped = False
    for i, char in enumerate(value):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or value[i - 1] in " \t"):
            break
        out.append(char)
    return "".join(out).strip()


def unquote(value):
    """A one-line YAML scalar as text: quotes removed, a trailing comment dropped."""
    value = strip_comment(value)
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value[1:-1]
    return value


def quote_path(path):
    return path if _PLAIN_PATH_RE.match(path) else json.dumps(path)
