# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof that an edit means what it should: the candidate read as YAML is the original plus (or
minus) exactly the owner's jobs or include line, and nothing else changed.

PRIVATE to the collection: it can change at any time.

The line editor (document.py) works on text; this module reads the original and the candidate
as data and compares them, so a shape the editor misreads is refused instead of reported as a
success. It reads with PyYAML's SafeLoader when PyYAML is importable on the Prometheus host, and
otherwise with yaml_reader.py (standard library; the subset it reads is listed there). Either
way the result is the same data for the files this module accepts; the difference is only which
unusual constructs are refused without PyYAML.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    FILES_KEY, JOBS_KEY, ScrapeConfigError,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import yaml_reader

try:
    import yaml
except ImportError:  # Debian's python3 has no PyYAML: yaml_reader reads instead
    yaml = None

_MISSING = object()


class Loader(object):
    """Reads YAML text to data. `pyyaml`: use PyYAML (default: when importable)."""

    def __init__(self, pyyaml=None):
        self.pyyaml = (yaml is not None) if pyyaml is None else pyyaml
        if self.pyyaml and yaml is None:
            raise ScrapeConfigError("PyYAML is not importable on this host")
        self.name = "PyYAML" if self.pyyaml else "the built-in YAML reader"

    def load(self, text, where):
        """The data of `text`; ScrapeConfigError (one line, naming `where`) when it cannot be read."""
        if self.pyyaml:
            try:
                return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError as exc:
                raise ScrapeConfigError("%s is not valid YAML (PyYAML: %s)" % (where, " ".join(str(exc).split())))
        try:
            return yaml_reader.load(text)
        except yaml_reader.YamlReaderError as exc:
            if exc.unsupported:
                raise ScrapeConfigError(
                    "%s line %d uses %s, which the built-in YAML reader does not read (this host has no PyYAML); "
                    "install PyYAML for the Python that runs the module (Debian: python3-yaml) or write that part "
                    "without it" % (where, exc.line, exc.reason))
            raise ScrapeConfigError("%s is not valid YAML: %s" % (where, exc))


def job_name(job):
    """A job's name as text, or None for an item that is not a job."""
    if isinstance(job, dict) and job.get("job_name") is not None:
        return str(job["job_name"])
    return None


def as_list(value):
    """A scrape_configs / scrape_config_files value as a list (null and a missing key are empty)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def as_mapping(data, where):
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScrapeConfigError("%s: the top level is not a mapping of keys; this is not a Prometheus configuration"
                                % where)
    return data


def remove_each(items, removed):
    """`items` without one occurrence of each of `removed`, or None when one of them is missing."""
    rest = list(items)
    for item in removed:
        if item not in rest:
            return None
        rest.remove(item)
    return rest


def differences(before, after, jobs_removed, jobs_added, entries_removed, entries_added):
    """What differs between `after` and `before` with the owner's change applied ([] when none).

    Job order against other owners' jobs is not compared (Prometheus does not depend on it);
    null, [] and a missing scrape_configs / scrape_config_files all mean "none".
    """
    found = []
    for key in sorted(set(before) | set(after), key=str):
        if key not in (JOBS_KEY, FILES_KEY) and before.get(key, _MISSING) != after.get(key, _MISSING):
            found.append("top-level key %s" % key)
    added_names = set(job_name(job) for job in jobs_added)
    after_jobs = as_list(after.get(JOBS_KEY))
    kept = [job for job in as_list(before.get(JOBS_KEY)) if job_name(job) not in set(jobs_removed)]
    if [job for job in after_jobs if job_name(job) not in added_names] != kept:
        found.append("the other jobs of %s" % JOBS_KEY)
    if [job for job in after_jobs if job_name(job) in added_names] != list(jobs_added):
        found.append("the owner's jobs")
    kept_entries = remove_each(as_list(before.get(FILES_KEY)), entries_removed)
    after_entries = remove_each(as_list(after.get(FILES_KEY)), entries_added)
    if kept_entries is None or after_entries is None or kept_entries != after_entries:
        found.append("the entries of %s" % FILES_KEY)
    return found


def check_main(loader, where, owner, before_text, after_text, jobs_removed=(), jobs_added=(), entries_removed=(),
               entries_added=()):
    """Raise unless `after_text` means `before_text` with `jobs_removed` (names) taken out of
    scrape_configs, `jobs_added` (job dicts) put in, and the same for scrape_config_files entries."""
    before = as_mapping(loader.load(before_text, where), where)
    after = as_mapping(loader.load(after_text, where + " as edited"), where)
    found = differences(before, after, list(jobs_removed), list(jobs_added), list(entries_removed),
                        list(entries_added))
    if found:
        raise ScrapeConfigError(
            "%s: read as YAML (with %s), the edited file would not be the original plus exactly owner %r's change "
            "(%s differ), so nothing was changed; the file has a shape the line editor misreads: write that part in "
            "plain block style, or include a drop-in directory and use style=file" % (
                where, loader.name, owner, ", ".join(found)))


def check_dropin(loader, where, text, jobs):
    """Raise unless the drop-in `text` is a `scrape_configs:` document holding exactly `jobs`."""
    if loader.load(text, where) != {JOBS_KEY: list(jobs)}:
        raise ScrapeConfigError("%s: read as YAML (with %s), the drop-in file would not hold exactly the jobs of "
                                "content; nothing was changed" % (where, loader.name))
