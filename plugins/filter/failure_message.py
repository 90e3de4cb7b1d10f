# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: failure_message
short_description: A failed module's message in the words of the playbook or role that set its options
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - "For a task that registers a host module's result with C(failed_when: false) and fails in a
    task of its own, so that the message names what the user sets (a role variable) instead of
    the module's option. The modules this is for are
    M(aiven_tools.prometheus.scrape_config) (with C(reload)) and
    M(aiven_tools.prometheus.prometheus_reload): when a failure is about one option they return
    its name in C(option) (for example V(reload.web_url), V(path), V(web_url))."
  - "The result is C(SETTING: message) when C(option) is one of O(settings), else the message
    alone; an empty string when the result holds no failure (no C(msg)), so it also serves as the
    condition of the failing task. A module that raised an exception under C(failed_when: false)
    leaves no C(msg) with ansible-core 2.19 (only C(failed_when_suppressed_exception)): that is a
    failure too, and says so."
  - "In the message, an option named as C(reload.NAME) is replaced wherever it appears; a bare
    option name only where the message asks to change it (after C(set), C(fix), C(or) or C(use),
    and in C((in NAME))), so the same word in a sentence (C(method systemd needs systemctl))
    stays."
positional: _input, settings
options:
  _input:
    description: The registered result of the task; only its C(msg), C(option) and C(failed_when_suppressed_exception) are read.
    type: dict
    required: true
  settings:
    description:
      - "What the caller calls each option: C({option: setting}), option names without
        C(reload.) (V(web_url) stands for both V(web_url) and V(reload.web_url))."
    type: dict
    required: true
seealso:
  - module: aiven_tools.prometheus.scrape_config
  - module: aiven_tools.prometheus.prometheus_reload
"""

EXAMPLES = r"""
- name: Place the jobs and reload, reporting a failure in the next task
  aiven_tools.prometheus.scrape_config:
    path: "{{ my_config_file }}"
    name: aiven-myproject
    content: "{{ my_jobs }}"
    reload:
      web_url: "{{ my_prometheus_url }}"
  register: placed
  failed_when: false

- name: Fail naming the variable to fix
  ansible.builtin.fail:
    msg: >-
      {{ placed | aiven_tools.prometheus.failure_message({'web_url': 'my_prometheus_url',
                                                         'path': 'my_config_file'}) }}
  when: placed | aiven_tools.prometheus.failure_message({}) | length > 0
  # my_prometheus_url: Prometheus does not answer at http://127.0.0.1:9 (Connection refused). Start it
  # or fix my_prometheus_url (nothing was changed)
"""

RETURN = r"""
_value:
  description: "One line, C(SETTING: message) when the failure is about one of O(settings); empty when the result is no failure."
  type: str
  sample: "my_prometheus_url: Prometheus does not answer at http://127.0.0.1:9 (Connection refused). Start it or fix my_prometheus_url"
"""

import re

from ansible.errors import AnsibleFilterError

PREFIX = "reload."
# Where a module's message asks for an option to be changed (_reload.py, _scrape_config/), or
# names the option a value came from ("(in paths)").
ASKING = r"(\b(?:set|Set|fix|Fix|or|use) |\(in )"


def failure_message(result, settings):
    """'SETTING: msg' (or msg) for a failed result {"msg", "option"?}; see DOCUMENTATION."""
    if not isinstance(result, dict) or not isinstance(settings, dict):
        raise AnsibleFilterError("failure_message: expects a registered result (dict) and settings (dict)")
    if result.get("msg"):
        msg = str(result["msg"])
    elif "failed_when_suppressed_exception" in result:
        # ansible-core 2.19+: failed_when false on a module that raised keeps only this, no msg.
        msg = ("the module raised an exception (%s); run with -vvv to see it"
               % result["failed_when_suppressed_exception"])
    else:
        return ""
    names = "|".join(re.escape(name) for name in sorted(settings, key=len, reverse=True))
    if names:
        end = r")(?![\w.\[])"  # not part of a longer name, nor files[0].path
        msg = re.sub(r"\b" + re.escape(PREFIX) + "(" + names + end, lambda m: settings[m.group(1)], msg)
        msg = re.sub(ASKING + "(" + names + end, lambda m: m.group(1) + settings[m.group(2)], msg)
    option = result.get("option") or ""
    option = option[len(PREFIX):] if option.startswith(PREFIX) else option
    return ("%s: %s" % (settings[option], msg)) if option in settings else msg


class FilterModule(object):
    def filters(self):
        return {"failure_message": failure_message}
