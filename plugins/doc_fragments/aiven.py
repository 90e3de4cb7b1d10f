# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options every Aiven API module shares (plugins/module_utils/aiven.py aiven_argument_spec).
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - Aiven API token, sent in the C(Authorization) header as C(aivenv1 TOKEN).
      - If not set, the environment variable E(AIVEN_TOKEN) is used, then E(AIVEN_AUTH_TOKEN)
        (the one Aiven's own CLI C(avn) reads).
      - Never printed, logged or returned.
    type: str
    required: true
  api_url:
    description:
      - Base URL of the Aiven API, without the C(/v1) suffix.
      - If not set, the environment variable E(AIVEN_WEB_URL) is used, then the default.
    type: str
    default: https://api.aiven.io
  project:
    description:
      - Name of the Aiven project.
      - If not set, the environment variable E(AIVEN_PROJECT) is used.
    type: str
    required: true
  timeout:
    description:
      - Seconds to wait for each HTTP response from the API.
      - Connection errors, 408, 429 (honouring C(Retry-After)), 502, 503 and 504 are retried with
        exponential backoff, at most 7 attempts within 120 seconds. E(AIVEN_CLIENT_RETRY_MAX),
        E(AIVEN_CLIENT_RETRY_WAIT_MIN) and E(AIVEN_CLIENT_RETRY_WAIT_MAX) tune this, as for
        Aiven's Go client.
    type: float
    default: 30
  validate_certs:
    description:
      - Verify the TLS certificate of the API. Only turn this off for a test API.
    type: bool
    default: true
requirements:
  - requests (Python library on the host running the module, normally the controller)
notes:
  - The modules run where the task runs. Use C(delegate_to=localhost) and C(run_once=true)
    when the play targets other hosts, so the API is called once.
  - All API modules are in the action group C(aiven_tools.prometheus.aiven); set the shared
    options once with C(module_defaults) for C(group/aiven_tools.prometheus.aiven).
"""

    # check_mode / diff_mode / action group, for modules that change things.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Sends no write request to the API; reports what would change.
  diff_mode:
    support: full
    description: Shows the state before and after.
  action_group:
    description: Use C(group/aiven_tools.prometheus.aiven) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - aiven_tools.prometheus.aiven
"""

    # For read-only modules.
    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: This module only reads from the API, so it runs normally in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: N/A
    details: This module changes nothing.
  action_group:
    description: Use C(group/aiven_tools.prometheus.aiven) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - aiven_tools.prometheus.aiven
"""
