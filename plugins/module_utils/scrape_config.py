# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every edit this collection makes to a prometheus.yml lives in this file.

Runs on the Prometheus host: standard library only (no PyYAML), Python 3.8+.

The edits are text-level, on purpose: a YAML round trip would rewrite the user's comments,
quoting and order. We only ever insert, replace or remove whole lines between our own marker
comments, so everything outside the markers stays byte-identical, and removing a block gives
back exactly the file from before the block was added:

* a block that had to create its key (``scrape_configs:`` missing) carries the key line inside
  the markers, so removing the block removes the key too;
* a block that replaced an empty flow value (``scrape_configs: []``) keeps the original line as
  a ``# aiven_tools.prometheus replaced: ...`` comment and puts it back on removal;
* a block appended to a file without a trailing newline ends without one, and removing it
  also removes the newline that was added before it.

Two kinds of block exist, told apart by the key in the marker:
``[scrape_configs]`` holds jobs (style ``block``), ``[scrape_config_files]`` holds the one
include line of the owner's drop-in file (style ``file``, Prometheus >= 2.43).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re

COLLECTION = "aiven_tools.prometheus"
JOBS_KEY = "scrape_configs"
FILES_KEY = "scrape_config_files"
DEFAULT_DROPIN_DIR = "scrape_configs.d"
# scrape_config_files first shipped in Prometheus 2.43.0.
FILE_STYLE_MIN_VERSION = (2, 43)
# Indentation of list items under a key we create ourselves.
DEFAULT_INDENT = 2

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MARKER_RE = re.compile(
    r"^(?P<indent>[ \t]*)# (?P<which>BEGIN|END) aiven_tools\.prometheus (?P<name>\S+) \[(?P<key>[a-z_]+)\]")
_MARKER_HINT_RE = re.compile(r"#\s*(BEGIN|END) aiven_tools\.prometheus\b")
_TOP_KEY_RE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:(?=[ \t]|$)(?P<rest>.*)$")
_ITEM_RE = re.compile(r"^(?P<indent> *)-(?:[ \t]+|$)(?P<rest>.*)$")
_JOB_RE = re.compile(r"^[ \t]*(?:-[ \t]+)?job_name[ \t]*:[ \t]*(?P<value>.*)$")
_WAS_PREFIX = "# aiven_tools.prometheus replaced: "
_EMPTY_VALUES = ("[]", "~", "null", "Null", "NULL")
_PLAIN_PATH_RE = re.compile(r"^[A-Za-z0-9_./*?\[\]-][A-Za-z0-9_./*?\[\]@+=-]*$")


class ScrapeConfigError(Exception):
    """A problem the user must fix; the message says what and where."""


def begin_marker(name, key):
    return "# BEGIN %s %s [%s] managed by Ansible, do not edit" % (COLLECTION, name, key)


def end_marker(name, key):
    return "# END %s %s [%s]" % (COLLECTION, name, key)


def check_name(name):
    if not name or not _NAME_RE.match(name):
        raise ScrapeConfigError(
            "name %r is not usable as an owner id: use letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (it names the marker comments and the drop-in file)" % (name,))


# ---------------------------------------------------------------------------------------------
# Lines: (body, end) pairs. We split on "\n" only (str.splitlines would also split on form
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


def _is_blank_or_comment(body):
    stripped = body.strip()
    return not stripped or stripped.startswith("#")


def _strip_comment(value):
    """Drop a trailing ` # comment` from a plain one-line YAML value (quotes respected)."""
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
    value = _strip_comment(value)
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


# ---------------------------------------------------------------------------------------------
# Content: the owner's jobs as a YAML block list at column 0.

def render_yaml(value, indent=0):
    """Block-style YAML for JSON-like data (so `content` may also be a list of dicts).

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
    if isinstance(item, dict) and item:
        return [head] + render_yaml(item, indent + 2)
    if isinstance(item, (list, tuple)) and item:
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


def parse_content(content):
    """Check the owner's jobs and return (lines without terminators, [job names]).

    `content` is a YAML block list starting with `- job_name:` at column 0 (what a template
    renders), or a list of job dicts. Only what a text edit needs is checked here; promtool
    checks the rest.
    """
    if isinstance(content, (list, tuple)):
        for i, job in enumerate(content):
            if not isinstance(job, dict):
                raise ScrapeConfigError("content item %d is not a mapping (a scrape job)" % (i + 1))
        lines = render_yaml(list(content))
    else:
        text = (content or "").replace("\r\n", "\n")
        lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    lines = [line.rstrip("\r") for line in lines]
    if not any(not _is_blank_or_comment(line) for line in lines):
        raise ScrapeConfigError("content holds no scrape job; use state=absent to remove the jobs")
    items = 0
    jobs = []
    seen_item = False
    for number, line in enumerate(lines, 1):
        if _MARKER_HINT_RE.search(line):
            raise ScrapeConfigError("content line %d contains an %s marker comment; content must be only the "
                                    "jobs" % (number, COLLECTION))
        leading = line[:len(line) - len(line.lstrip())]
        if "\t" in leading:
            raise ScrapeConfigError("content line %d is indented with a tab; YAML allows only spaces" % number)
        if _is_blank_or_comment(line):
            continue
        if not line[0].isspace():
            if not _ITEM_RE.match(line):
                raise ScrapeConfigError(
                    "content line %d (%r) is not a list item: content must be a YAML list of scrape jobs in "
                    "block style with each item starting '- job_name:' at column 0" % (number, line))
            items += 1
            seen_item = True
        elif not seen_item:
            raise ScrapeConfigError("content line %d is indented before the first '- job_name:' item" % number)
        match = _JOB_RE.match(line)
        if match:
            job = unquote(match.group("value"))
            if not job:
                raise ScrapeConfigError("content line %d has an empty job_name" % number)
            if job in jobs:
                raise ScrapeConfigError("content names job %r twice; job names must be unique" % job)
            jobs.append(job)
    if len(jobs) != items:
        raise ScrapeConfigError("content has %d list items but %d job_name keys: every scrape job needs a "
                                "job_name" % (items, len(jobs)))
    return lines, jobs


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


# ---------------------------------------------------------------------------------------------
# The main file.

class Block(object):
    def __init__(self, name, key, begin, indent):
        self.name = name
        self.key = key
        self.begin = begin
        self.end = None
        self.indent = indent
        self.was = None        # body of the line this block replaced (e.g. "scrape_configs: []")
        self.key_line = None   # index of the key line, when the block holds the key itself

    def contains(self, idx):
        return self.begin <= idx <= self.end


class Document(object):
    """A prometheus.yml as lines, with its top-level keys and our managed blocks."""

    def __init__(self, text, path="prometheus.yml"):
        self.path = path
        if text.startswith("\ufeff"):
            raise ScrapeConfigError("%s starts with a UTF-8 byte order mark; remove it (Prometheus does not "
                                    "need it) and run again" % path)
        self.lines = split_lines(text)
        self.eol = "\n"
        for _body, end in self.lines:
            if end:
                self.eol = end
                break
        self.blocks = self._find_blocks()
        self.keys = self._find_keys()

    @property
    def text(self):
        return join_lines(self.lines)

    def _where(self, idx):
        return "%s line %d" % (self.path, idx + 1)

    def _find_blocks(self):
        blocks = []
        current = None
        for idx, (body, _end) in enumerate(self.lines):
            match = _MARKER_RE.match(body)
            if not match:
                if _MARKER_HINT_RE.search(body) and body.lstrip().startswith("#"):
                    raise ScrapeConfigError("%s: damaged %s marker %r; restore it or remove the whole block by "
                                            "hand" % (self._where(idx), COLLECTION, body.strip()))
                if current is not None and current.key_line is None and _TOP_KEY_RE.match(body):
                    if _TOP_KEY_RE.match(body).group("key") == current.key:
                        current.key_line = idx
                if current is not None and body.startswith(_WAS_PREFIX) and idx == current.begin + 1:
                    current.was = body[len(_WAS_PREFIX):]
                continue
            name, key = match.group("name"), match.group("key")
            if match.group("which") == "BEGIN":
                if current is not None:
                    raise ScrapeConfigError("%s: BEGIN marker of %r inside the block of %r (which has no END); "
                                            "fix the markers by hand" % (self._where(idx), name, current.name))
                if any(b.name == name and b.key == key for b in blocks):
                    raise ScrapeConfigError("%s: second [%s] block for owner %r; remove one by hand"
                                            % (self._where(idx), key, name))
                current = Block(name, key, idx, len(match.group("indent").expandtabs()))
            else:
                if current is None or current.name != name or current.key != key:
                    raise ScrapeConfigError("%s: END marker of %r [%s] without its BEGIN; fix the markers by hand"
                                            % (self._where(idx), name, key))
                current.end = idx
                blocks.append(current)
                current = None
        if current is not None:
            raise ScrapeConfigError("%s: BEGIN marker of %r [%s] has no END marker; fix the markers by hand"
                                    % (self._where(current.begin), current.name, current.key))
        return blocks

    def _find_keys(self):
        keys = {}
        seen_content = False
        for idx, (body, _end) in enumerate(self.lines):
            if _is_blank_or_comment(body):
                continue
            if body[0] in " \t":
                seen_content = True
                continue
            if body[:3] in ("---", "...") and body[3:4] in ("", " ", "\t"):
                if seen_content or body.startswith("..."):
                    raise ScrapeConfigError("%s: a second YAML document (or a document end marker); Prometheus "
                                            "reads one document, keep the file to one" % self._where(idx))
                seen_content = True
                continue
            seen_content = True
            match = _TOP_KEY_RE.match(body)
            if not match:
                continue
            key = match.group("key")
            if key in keys and key in (JOBS_KEY, FILES_KEY):
                raise ScrapeConfigError("%s: key %s: appears twice (first on line %d)"
                                        % (self._where(idx), key, keys[key] + 1))
            keys.setdefault(key, idx)
        return keys

    # -- queries -------------------------------------------------------------------------------

    def block(self, name, key):
        for blk in self.blocks:
            if blk.name == name and blk.key == key:
                return blk
        return None

    def block_at(self, idx):
        for blk in self.blocks:
            if blk.contains(idx):
                return blk
        return None

    def _region(self, key):
        """(key line, first line after the value) or None when the key is absent."""
        start = self.keys.get(key)
        if start is None:
            return None
        later = [idx for idx in self.keys.values() if idx > start]
        return start, (min(later) if later else len(self.lines))

    def _inline_value(self, key):
        start = self.keys[key]
        return _strip_comment(_TOP_KEY_RE.match(self.lines[start][0]).group("rest"))

    def jobs(self):
        """[(job name, line index, owner or None)] of the jobs in the main file's scrape_configs."""
        region = self._region(JOBS_KEY)
        if region is None:
            return []
        out = []
        for idx in range(region[0] + 1, region[1]):
            body = self.lines[idx][0]
            if body.lstrip().startswith("#"):
                continue
            match = _JOB_RE.match(body)
            if match:
                blk = self.block_at(idx)
                out.append((unquote(match.group("value")), idx, blk.name if blk else None))
        return out

    def entries(self, key):
        """[(entry, line index, owner or None)] of a list key (used for scrape_config_files)."""
        region = self._region(key)
        if region is None:
            return []
        inline = self._inline_value(key)
        if inline.startswith("[") and inline.endswith("]"):
            items = [unquote(part) for part in inline[1:-1].split(",") if part.strip()]
            return [(item, region[0], None) for item in items]
        out = []
        for idx in range(region[0] + 1, region[1]):
            body = self.lines[idx][0]
            match = _ITEM_RE.match(body)
            if match and not body.lstrip().startswith("#"):
                blk = self.block_at(idx)
                out.append((unquote(match.group("rest")), idx, blk.name if blk else None))
        return out

    def item_indent(self, key):
        region = self._region(key)
        for idx in range(region[0] + 1, region[1]):
            body = self.lines[idx][0]
            if _is_blank_or_comment(body):
                continue
            match = _ITEM_RE.match(body)
            if not match:
                raise ScrapeConfigError("%s: expected a '- ' list item under %s: (line %d), found %r; %s: must be "
                                        "a block-style list" % (self._where(idx), key, region[0] + 1, body.strip(),
                                                                key))
            return len(match.group("indent"))
        return None

    # -- edits -----------------------------------------------------------------------------------

    def _items(self, item_lines, indent):
        pad = " " * indent
        return [((pad + line) if line.strip() else "", self.eol) for line in item_lines]

    def _insert(self, after, new_lines):
        pos = after + 1
        if pos == len(self.lines) and self.lines and self.lines[-1][1] == "":
            # The file had no trailing newline: keep it that way, and add the newline we need
            # before the block (removal takes it away again: see remove_block).
            self.lines[-1] = (self.lines[-1][0], self.eol)
            new_lines[-1] = (new_lines[-1][0], "")
        self.lines[pos:pos] = new_lines

    def set_block(self, name, key, item_lines):
        """Put `item_lines` (list items at column 0, no terminators) in the owner's block."""
        blk = self.block(name, key)
        if blk is not None:
            if blk.key_line is not None:
                first, indent = blk.key_line + 1, DEFAULT_INDENT
            else:
                first, indent = blk.begin + 1, blk.indent
            self.lines[first:blk.end] = self._items(item_lines, indent)
        elif key not in self.keys:
            new = [(begin_marker(name, key), self.eol), (key + ":", self.eol)]
            new += self._items(item_lines, DEFAULT_INDENT)
            new.append((end_marker(name, key), self.eol))
            self._insert(len(self.lines) - 1, new)
        else:
            start, end = self._region(key)
            inline = self._inline_value(key)
            if inline in _EMPTY_VALUES:
                body, line_end = self.lines[start]
                new = [(begin_marker(name, key), self.eol), (_WAS_PREFIX + body, self.eol), (key + ":", self.eol)]
                new += self._items(item_lines, DEFAULT_INDENT)
                new.append((end_marker(name, key), line_end))
                self.lines[start:start + 1] = new
            elif inline:
                raise ScrapeConfigError(
                    "%s: %s: has an inline value (%s); rewrite it as a block-style list ('%s:' then one '- ' item "
                    "per line) so a managed block can be added" % (self._where(start), key, inline, key))
            else:
                indent = self.item_indent(key)
                if indent is None:
                    indent = DEFAULT_INDENT
                after = start
                for idx in range(start + 1, end):
                    body = self.lines[idx][0]
                    marker = _MARKER_RE.match(body)
                    if not _is_blank_or_comment(body) or (
                            marker and marker.group("which") == "END" and marker.group("key") == key):
                        after = idx
                inside = self.block_at(after)
                if inside is not None:
                    after = inside.end
                pad = " " * indent
                new = [(pad + begin_marker(name, key), self.eol)]
                new += self._items(item_lines, indent)
                new.append((pad + end_marker(name, key), self.eol))
                self._insert(after, new)
        self.__init__(self.text, self.path)

    def remove_block(self, name, key):
        blk = self.block(name, key)
        if blk is None:
            return False
        end_line_end = self.lines[blk.end][1]
        replacement = []
        if blk.key_line is not None:
            # We created (or rewrote) the key. If another owner's items now follow our block under
            # it, the key must stay for them: keep a plain key line.
            region_end = min([idx for idx in self.keys.values() if idx > blk.key_line] or [len(self.lines)])
            others = [idx for idx in range(blk.end + 1, region_end) if not _is_blank_or_comment(self.lines[idx][0])]
            heirs = set(self.block_at(idx) for idx in others)
            heir = heirs.pop() if len(heirs) == 1 else None
            if heir is not None and heir.key == key and heir.key_line is None and heir.indent == DEFAULT_INDENT:
                # Only another owner's block follows: hand the key (and the replaced line) over to
                # it, so whichever block goes last restores the file exactly.
                meta = [(_WAS_PREFIX + blk.was, self.eol)] if blk.was is not None else []
                begin_body = self.lines[heir.begin][0].lstrip()
                end_body, end_end = self.lines[heir.end]
                self.lines[heir.end] = (end_body.lstrip(), end_end)
                self.lines[heir.begin:heir.begin + 1] = [(begin_body, self.eol)] + meta + [(key + ":", self.eol)]
                del self.lines[blk.begin:blk.end + 1]
                self.__init__(self.text, self.path)
                return True
            if others:
                replacement = [(key + ":", end_line_end)]
            elif blk.was is not None:
                replacement = [(blk.was, end_line_end)]
        if not replacement and end_line_end == "" and blk.begin > 0:
            self.lines[blk.begin - 1] = (self.lines[blk.begin - 1][0], "")
        self.lines[blk.begin:blk.end + 1] = replacement
        self.__init__(self.text, self.path)
        return True


# ---------------------------------------------------------------------------------------------
# Placement plan: which files change and how. Pure apart from reading the files it names.

class FileChange(object):
    """One file: `before` is None when it does not exist, `after` is None when it is removed."""

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


def _read(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScrapeConfigError("%s is not UTF-8 text" % path)


def _glob_segments_match(pattern, path):
    """Does a scrape_config_files glob match `path`? (Go's filepath.Match: '*' stops at '/')."""
    import fnmatch
    pat_parts = os.path.normpath(pattern).split(os.sep)
    path_parts = os.path.normpath(path).split(os.sep)
    return len(pat_parts) == len(path_parts) and all(
        fnmatch.fnmatchcase(p, q) for q, p in zip(pat_parts, path_parts))


class Placement(object):
    """Plans the edit for one owner in one Prometheus config."""

    def __init__(self, config_path, name, dropin_dir=DEFAULT_DROPIN_DIR):
        check_name(name)
        self.config_path = os.path.abspath(config_path)
        self.config_dir = os.path.dirname(self.config_path)
        self.name = name
        self.dropin_dir = os.path.normpath(os.path.join(self.config_dir, dropin_dir))
        self.dropin_path = os.path.join(self.dropin_dir, name + ".yml")
        text = _read(self.config_path)
        if text is None:
            raise ScrapeConfigError("%s does not exist or cannot be read; this module edits an existing "
                                    "Prometheus configuration" % self.config_path)
        self.main_before = text
        self.dropin_before = _read(self.dropin_path)

    @property
    def dropin_entry(self):
        """How the main file names the drop-in: relative to its directory when inside it."""
        rel = os.path.relpath(self.dropin_path, self.config_dir)
        return self.dropin_path if rel.startswith("..") else rel

    def _resolve(self, pattern):
        return pattern if os.path.isabs(pattern) else os.path.join(self.config_dir, pattern)

    def _check_conflicts(self, doc, jobs, style):
        wanted = set(jobs)
        for job, idx, owner in doc.jobs():
            if owner == self.name or job not in wanted:
                continue
            how = ("in the block of owner %r" % owner) if owner else "not managed by this collection"
            raise ScrapeConfigError(
                "job %r already exists in %s line %d (%s); rename one of them or remove the other job first "
                "(Prometheus needs unique job names)" % (job, self.config_path, idx + 1, how))
        own_real = os.path.realpath(self.dropin_path)
        for pattern, idx, owner in doc.entries(FILES_KEY):
            if owner == self.name:
                continue
            resolved = self._resolve(pattern)
            if style == "file" and _glob_segments_match(resolved, self.dropin_path):
                raise ScrapeConfigError(
                    "the drop-in %s is already matched by scrape_config_files entry %r (%s line %d); it would "
                    "be loaded twice. Choose a dropin_dir outside that pattern" % (
                        self.dropin_path, pattern, self.config_path, idx + 1))
            for path in sorted(glob.glob(resolved)):
                if os.path.realpath(path) == own_real:
                    continue
                text = _read(path) or ""
                for number, (body, _end) in enumerate(split_lines(text), 1):
                    match = _JOB_RE.match(body)
                    if match and not body.lstrip().startswith("#") and unquote(match.group("value")) in wanted:
                        raise ScrapeConfigError(
                            "job %r already exists in %s line %d (included through scrape_config_files entry %r "
                            "of %s); rename one of them (Prometheus needs unique job names)" % (
                                unquote(match.group("value")), path, number, pattern, self.config_path))

    def plan(self, state, style, content=None, dropin_entry=None):
        """[FileChange for the main file, FileChange for the drop-in] (unchanged ones included).

        `dropin_entry` overrides the include line (validation points it at a candidate file).
        """
        doc = Document(self.main_before, self.config_path)
        dropin_after = self.dropin_before
        if state == "absent":
            doc.remove_block(self.name, JOBS_KEY)
            doc.remove_block(self.name, FILES_KEY)
            dropin_after = None
        else:
            lines, jobs = parse_content(content)
            self._check_conflicts(doc, jobs, style)
            if style == "block":
                doc.remove_block(self.name, FILES_KEY)
                doc.set_block(self.name, JOBS_KEY, lines)
                dropin_after = None
            elif style == "file":
                doc.remove_block(self.name, JOBS_KEY)
                doc.set_block(self.name, FILES_KEY, ["- " + quote_path(dropin_entry or self.dropin_entry)])
                dropin_after = render_dropin(self.name, lines, self.config_path)
            else:
                raise ScrapeConfigError("unknown style %r" % style)
        return [FileChange(self.config_path, self.main_before, doc.text),
                FileChange(self.dropin_path, self.dropin_before, dropin_after)]


def parse_version(text):
    """(major, minor, patch) from `promtool --version` output, or None."""
    match = re.search(r"version (\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(part) for part in match.groups()) if match else None
