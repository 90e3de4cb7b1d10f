# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine of the scrape_config module: every edit this collection makes to a prometheus.yml.

PRIVATE to the collection: it can change at any time. It runs on the Prometheus host with the
standard library only (PyYAML is used when it is importable). What each part does:

* ``common``: names, marker comments, lines with their own terminators, errors.
* ``content``: the owner's jobs (YAML text or data) checked and rendered.
* ``document``: the line editor: marked blocks inside one prometheus.yml.
* ``yaml_reader``: a YAML reader for hosts without PyYAML.
* ``proof``: reads original and candidate as YAML and proves the candidate is the original plus
  (or minus) exactly the owner's jobs or include.
* ``placement``: which files change and how, job-name conflicts, includes that already cover
  the drop-in file, and the texts promtool validates.
* ``files``: the lock per configuration file, atomic writes, companion files.
* ``runner``: the module's run: lock, plan, prove, validate with promtool, write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
