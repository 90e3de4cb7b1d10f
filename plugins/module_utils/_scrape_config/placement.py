# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which files an owner's run changes and how, and the texts promtool validates.

PRIVATE to the collection: it can change at any time. Pure apart from reading the files it
names (the main file, the drop-in, files included through scrape_config_files).

Facts about Prometheus used here (prometheus/config/config.go, checked against 2.42-3.5):
relative paths in a configuration file resolve against the directory of the file as Prometheus
was given it (``filepath.Dir`` of ``--config.file``, so a symlink's own directory);
``scrape_config_files`` entries are ``filepath.Glob`` patterns (``*`` does not cross ``/`` and
matches dot files too); job names must be unique across the main file and every included file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    DEFAULT_DROPIN_DIR, FILES_KEY, JOBS_KEY, FileChange, ScrapeConfigError, about, check_name, quote_path,
    split_lines, unquote,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.content import (
    items_of, parse_content, render_dropin,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.document import Document
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.proof import (
    Loader, as_list, as_mapping, check_dropin, check_main, job_name, remove_each,
)

_JOB_LINE_RE = re.compile(r"[\"']?job_name[\"']?[ \t]*:[ \t]*(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^,}#]+)")


def read_text(path):
    """The UTF-8 text of `path`, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScrapeConfigError("%s is not UTF-8 text" % path)


# -- Go's filepath.Match / filepath.Glob, for scrape_config_files patterns -----------------------

def _go_regex(segment):
    """A regex for one path segment of a Go filepath.Match pattern, or None if it is malformed."""
    out = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\":
            i += 1
            if i == len(segment):
                return None
            out.append(re.escape(segment[i]))
        elif char == "[":
            j = i + 1
            negate = segment[j:j + 1] == "^"
            j += 1 if negate else 0
            parts = []
            while j < len(segment) and (segment[j] != "]" or not parts):
                if segment[j] == "\\":
                    j += 1
                if j >= len(segment):
                    return None
                parts.append(re.escape(segment[j]) if segment[j] != "-" else "-")
                j += 1
            if j >= len(segment):
                return None
            out.append("[" + ("^" if negate else "") + "".join(parts) + "]")
            i = j
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def _has_magic(segment):
    return any(char in segment for char in "*?[\\")


def go_match(pattern, path):
    """Does filepath.Match(pattern, path) hold (both absolute, normalized)?"""
    pat_parts = os.path.normpath(pattern).split(os.sep)
    path_parts = os.path.normpath(path).split(os.sep)
    if len(pat_parts) != len(path_parts):
        return False
    for pat, part in zip(pat_parts, path_parts):
        regex = _go_regex(pat)
        if regex is None or not regex.match(part):
            return False
    return True


def go_glob(pattern):
    """Sorted existing paths matching an absolute filepath.Glob pattern (dot files included)."""
    parts = os.path.normpath(pattern).split(os.sep)
    found = [os.sep]
    for part in parts[1:]:
        nxt = []
        for base in found:
            if not _has_magic(part):
                if os.path.lexists(os.path.join(base, part)):
                    nxt.append(os.path.join(base, part))
                continue
            regex = _go_regex(part)
            try:
                names = os.listdir(base) if regex else []
            except OSError:
                names = []
            nxt.extend(os.path.join(base, name) for name in sorted(names) if regex.match(name))
        found = nxt
    return found


def go_escape(path):
    """A path as a filepath.Glob pattern that matches only itself."""
    return re.sub(r"([*?\[\\])", r"\\\1", path)


# -- the plan --------------------------------------------------------------------------------------

class Plan(object):
    """What one run changes (`main`, `dropin`: FileChange) and what validation needs."""

    def __init__(self, placement, state, style):
        self.placement = placement
        self.state = state
        self.style = style
        self.lines = []         # the owner's jobs as lines at column 0
        self.jobs = []          # their names
        self.job_data = []      # and their data
        self.covered_by = None  # the scrape_config_files pattern that already includes the drop-in
        self.main = None
        self.dropin = None
        self.block_jobs_before = []  # the owner's jobs in its block of the main file before the run

    @property
    def changes(self):
        return [self.main, self.dropin]

    def validation_main(self, dropin_candidate=None, probe=False):
        """The main configuration promtool checks, placed next to the real one: as it will be,
        but including `dropin_candidate` instead of the drop-in file. `probe` repeats the first
        job (block style), so a duplicate-name error proves Prometheus reads the jobs where they
        were placed."""
        placement = self.placement
        if self.covered_by is not None:
            return placement.expanded_main(self.main.after, dropin_candidate)
        lines = self.lines + (items_of(self.lines)[0] if probe and self.lines else [])
        entry = None
        if dropin_candidate is not None:
            entry = os.path.relpath(dropin_candidate, placement.config_dir)
            entry = dropin_candidate if entry.startswith("..") else entry
        return placement.edit(self.state, self.style, lines, entry)

    def dropped_jobs(self):
        """The owner's jobs before this run that it no longer has: from its block of the main
        file, and from its drop-in when that changes."""
        before = list(self.block_jobs_before)
        if self.dropin.changed and self.dropin.before is not None:
            path = self.placement.dropin_path
            try:
                data = as_mapping(self.placement.loader.load(self.dropin.before, path), path)
                before += [job_name(job) for job in as_list(data.get(JOBS_KEY))]
            except ScrapeConfigError:
                pass  # a drop-in Prometheus could not read had no live jobs to drop
        return [job for job in before if job not in self.jobs]

    def probe_dropin(self):
        """The drop-in with its first job twice (see validation_main)."""
        return render_dropin(self.placement.name, self.lines + items_of(self.lines)[0], self.placement.config_path)


class Placement(object):
    """Plans the edit for one owner in one Prometheus configuration.

    `config_path` is the path Prometheus is given (relative paths resolve against its
    directory, even when it is a symlink); the file written is the symlink's target.
    """

    def __init__(self, config_path, name, dropin_dir=DEFAULT_DROPIN_DIR, loader=None):
        check_name(name)
        self.config_path = os.path.abspath(config_path)
        self.config_dir = os.path.dirname(self.config_path)
        self.real_path = os.path.realpath(self.config_path)
        self.name = name
        self.loader = loader or Loader()
        self.dropin_dir = os.path.normpath(os.path.join(self.config_dir, dropin_dir))
        self.dropin_path = os.path.join(self.dropin_dir, name + ".yml")
        self.dropin_real = os.path.realpath(self.dropin_path)
        text = read_text(self.real_path)
        if text is None:
            raise ScrapeConfigError("%s does not exist or cannot be read; this module edits an existing "
                                    "Prometheus configuration" % self.config_path, option="path")
        self.main_before = text
        self.dropin_before = read_text(self.dropin_real)
        self._before_data = None

    @property
    def dropin_entry(self):
        """How the main file names the drop-in: relative to its directory when inside it."""
        rel = os.path.relpath(self.dropin_path, self.config_dir)
        return self.dropin_path if rel.startswith("..") else rel

    def resolve(self, pattern):
        return pattern if os.path.isabs(pattern) else os.path.join(self.config_dir, pattern)

    def before_data(self):
        if self._before_data is None:
            self._before_data = as_mapping(self.loader.load(self.main_before, self.config_path), self.config_path)
        return self._before_data

    def own_entries(self, doc):
        return [entry for entry, _idx, owner in doc.entries(FILES_KEY) if owner == self.name]

    def own_jobs(self, doc):
        """Names of the jobs in the owner's block of the main file."""
        blk = doc.block(self.name, JOBS_KEY)
        if blk is None:
            return []
        data = self.loader.load("\n".join(doc.block_items(blk)) + "\n", "the block of owner %r in %s"
                                % (self.name, self.config_path))
        return [job_name(job) for job in as_list(data)]

    # -- included files --------------------------------------------------------------------------

    def _included(self, doc, data):
        """[(pattern, path)] of the files the main file includes, the owner's own entries and
        drop-in left out."""
        others = remove_each(as_list(data.get(FILES_KEY)), self.own_entries(doc)) or []
        out = []
        for pattern in others:
            if isinstance(pattern, str):
                out.extend((pattern, path) for path in go_glob(self.resolve(pattern))
                           if os.path.realpath(path) != self.dropin_real)
        return out

    def covering(self, doc, data):
        """The scrape_config_files pattern (not the owner's own include) that matches the drop-in."""
        others = remove_each(as_list(data.get(FILES_KEY)), self.own_entries(doc)) or []
        covering = [p for p in others if isinstance(p, str) and go_match(self.resolve(p), self.dropin_path)]
        if len(covering) > 1:
            raise ScrapeConfigError(
                "the drop-in %s is matched by %d scrape_config_files patterns of %s (%s); Prometheus would load it "
                "%d times: remove all but one" % (self.dropin_path, len(covering), self.config_path,
                                                  ", ".join(covering), len(covering)))
        return covering[0] if covering else None

    def expanded_main(self, main_text, dropin_candidate):
        """`main_text` as JSON (valid YAML, same meaning), its pattern that covers the drop-in
        replaced by the files it matches besides the drop-in, plus `dropin_candidate`. For
        validation only (the real file keeps its pattern): promtool then reads the candidate
        instead of the live drop-in, which the pattern would also match."""
        doc = Document(main_text, self.config_path)
        data = dict(as_mapping(self.loader.load(main_text, self.config_path), self.config_path))
        pattern = self.covering(doc, data)
        entries = []
        for entry in as_list(data.get(FILES_KEY)):
            if entry == pattern:
                entries.extend(go_escape(path) for path in go_glob(self.resolve(entry))
                               if os.path.realpath(path) != self.dropin_real)
                if dropin_candidate:
                    entries.append(go_escape(dropin_candidate))
                pattern = None
            else:
                entries.append(entry)
        data[FILES_KEY] = entries
        return json.dumps(data, default=str, indent=1) + "\n"

    # -- conflicts -------------------------------------------------------------------------------

    def _check_conflicts(self, doc, data, jobs, own_old):
        wanted = set(jobs)
        names = [job_name(job) for job in as_list(data.get(JOBS_KEY))]
        for job in sorted(wanted):
            if names.count(job) > (1 if job in own_old else 0):
                idx, owner = doc.job_location(job)
                how = ("in the block of owner %r" % owner) if owner else "not managed by this collection"
                where = self.config_path if idx is None else "%s line %d" % (self.config_path, idx + 1)
                raise ScrapeConfigError(
                    "job %r already exists in %s (%s); rename one of them or remove the other job first "
                    "(Prometheus needs unique job names)" % (job, where, how))
        for pattern, path in self._included(doc, data):
            text = read_text(path) or ""
            located = []
            for number, (body, _end) in enumerate(split_lines(text), 1):
                if not body.lstrip().startswith("#"):
                    located.extend((unquote(m.group("value").strip()), number) for m in _JOB_LINE_RE.finditer(body))
            try:
                names = [job_name(job) for job in as_list(as_mapping(self.loader.load(text, path), path).get(JOBS_KEY))]
            except ScrapeConfigError:
                names = []  # promtool reads this file too and reports what the line scan misses
            for job in sorted(wanted):
                lines = [number for name, number in located if name == job]
                if lines or job in names:
                    raise ScrapeConfigError(
                        "job %r already exists in %s%s (included through scrape_config_files entry %r of %s); "
                        "rename one of them (Prometheus needs unique job names)" % (
                            job, path, (" line %d" % lines[0]) if lines else "", pattern, self.config_path))

    # -- edits -----------------------------------------------------------------------------------

    def edit(self, state, style, lines, entry=None, covered=False):
        """The main file's text after the owner's edit (`entry`: the include line's path)."""
        doc = Document(self.main_before, self.config_path)
        if state == "absent":
            doc.remove_block(self.name, JOBS_KEY)
            doc.remove_block(self.name, FILES_KEY)
        elif style == "block":
            doc.remove_block(self.name, FILES_KEY)
            doc.set_block(self.name, JOBS_KEY, lines)
        elif style == "file":
            doc.remove_block(self.name, JOBS_KEY)
            if covered:
                doc.remove_block(self.name, FILES_KEY)
            else:
                doc.set_block(self.name, FILES_KEY, ["- " + quote_path(entry or self.dropin_entry)])
        else:
            raise ScrapeConfigError("unknown style %r" % style)
        return doc.text

    def plan(self, state, style, content=None):
        """The Plan for `state` and `style`; proven (see proof.py) before it is returned."""
        doc = Document(self.main_before, self.config_path)
        plan = Plan(self, state, style)
        own_old = plan.block_jobs_before = self.own_jobs(doc)
        own_entries = self.own_entries(doc)
        dropin_after = None
        jobs_added, entries_added = [], []
        if state == "present":
            with about("content"):
                plan.lines, plan.jobs, plan.job_data = parse_content(content, self.loader.load)
            data = self.before_data()
            self._check_conflicts(doc, data, plan.jobs, own_old)
            if style == "block":
                jobs_added = plan.job_data
            elif style == "file":
                plan.covered_by = self.covering(doc, data)
                entries_added = [] if plan.covered_by else [self.dropin_entry]
                dropin_after = render_dropin(self.name, plan.lines, self.config_path)
        elif self.dropin_before is not None:
            plan.covered_by = self.covering(doc, self.before_data())
        main_after = self.edit(state, style, plan.lines, covered=plan.covered_by is not None)
        plan.main = FileChange(self.real_path, self.main_before, main_after)
        plan.dropin = FileChange(self.dropin_real, self.dropin_before, dropin_after)
        if plan.main.changed:
            check_main(self.loader, self.config_path, self.name, self.main_before, main_after, own_old, jobs_added,
                       own_entries, entries_added)
        if plan.dropin.changed and dropin_after is not None:
            check_dropin(self.loader, self.dropin_path, dropin_after, plan.job_data)
        return plan
