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
      - Connection errors, 408, 429 (honouring C(Retry-After)) and every 5xx are retried with
        exponential backoff, at most 7 attempts within 120 seconds, as Aiven's own Go clients
        do. E(AIVEN_CLIENT_RETRY_MAX), E(AIVEN_CLIENT_RETRY_WAIT_MIN) and
        E(AIVEN_CLIENT_RETRY_WAIT_MAX) tune this, as for Aiven's Go client.
      - A write may have taken effect although its answer was an error, so a create is never
        sent twice (the module first reads whether the first one took effect), and after a
        write that still fails the module reads back before it reports what changed.
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

    # The endpoint's credentials and whether to return the password (integration_endpoint,
    # project_integration; plugins/module_utils/_endpoint.py credentials_argument_spec).
    ENDPOINT_CREDENTIALS = r"""
options:
  username:
    description:
      - Basic-auth user name Prometheus scrapes with. 5 to 32 characters of lower-case letters,
        digits, V(-), V(@) and V(_).
      - If omitted when creating, Aiven generates one.
    type: str
  password:
    description:
      - Basic-auth password, 8 to 256 characters.
      - If omitted when creating, Aiven generates one; read it back from C(endpoint.password) of the result.
    type: str
  update_password:
    description:
      - V(always) sets O(password) on an existing endpoint when it differs.
      - V(on_create) only uses O(password) when the endpoint is created.
    type: str
    choices: [always, on_create]
    default: always
  return_password:
    description:
      - Return the endpoint's password in C(endpoint.password) of the result, read from the API. Use it when
        Aiven generated the password and Prometheus needs it.
      - The password is then in the task result in clear text. Only set this on a task with
        C(no_log) set.
      - When you pass O(password), Ansible masks that value in every result (it is a C(no_log)
        option), so the returned password reads C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER); use
        your own value then.
    type: bool
    default: false
"""

    # Selecting services, their access flags and the wait (service_integration,
    # project_integration; plugins/module_utils/_service_integration.py selection_argument_spec).
    SERVICES = r"""
options:
  services:
    description:
      - Names of the services. An unknown name fails the task before anything changes.
    type: list
    elements: str
  query:
    description:
      - A JMESPath expression selecting services from the project's service list, evaluated over
        the same views M(aiven_tools.prometheus.service_info) returns. Use V([*]) for all.
      - Combined with O(services), the union of both is used.
    type: str
  access:
    description:
      - Access flags of the Prometheus port to turn on, for the selected services that are in a
        project VPC (see O(access_outside_vpc)). Each makes Aiven list the service's Prometheus
        targets on one more route.
      - V(public) sets C(user_config.public_access.prometheus) (route C(public), C(public-) names
        reachable from the internet), for a Prometheus outside the VPC.
      - V(private) sets C(user_config.private_access.prometheus) (route C(private), names that
        always resolve to the nodes' private addresses), for a Prometheus in a peered network.
      - V(privatelink) sets C(user_config.privatelink_access.prometheus) (route C(privatelink), one
        set of names per AWS, Azure or Google PrivateLink connection of the service). The
        connections are made outside this module; until one exists, the service lists no
        C(privatelink) target.
      - Types C(clickhouse), C(dragonfly), C(kafka), C(kafka_connect), C(mysql), C(opensearch),
        C(pg) and C(valkey) have all three flags; C(flink) has only V(privatelink); C(grafana),
        C(kafka_mirrormaker) and C(thanos) have none. A selected service whose type lacks a flag
        it would get fails the task before anything changes, naming each such service and the
        flags its type has.
      - Flags are only turned on, never off; O(state=absent) leaves them as they are.
    type: list
    elements: str
    choices: [public, private, privatelink]
    default: []
  access_outside_vpc:
    description:
      - Also set the O(access) flags on selected services that are not in a project VPC.
      - Outside a VPC the normal (C(dynamic)) name is reachable already and Aiven lists no other
        route, so this only serves services in another kind of private network.
    type: bool
    default: false
  wait:
    description:
      - Wait until the integration of every selected running service is active and its
        Prometheus targets are listed, the C(public) and C(private) ones too where O(access)
        turns them on. PrivateLink targets are not waited for (they need a connection).
      - Also waits when nothing changed but an integration is not active yet, so a re-run after
        a timeout waits again.
      - A service that is not C(RUNNING) is never waited for; see RV(skipped_services).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 600
  wait_interval:
    description:
      - Seconds between two reads of the service list while waiting.
    type: float
    default: 2
notes:
  - Aiven needs about a minute after the integration is enabled before metrics appear.
  - "Services that are not running: a C(POWEROFF) service has no nodes and lists no targets.
    It is left as it is (no integration is created and no flag set for it; Aiven refuses some
    calls on powered-off services) and listed in RV(skipped_services) with a warning; the first
    run after it is powered on sets it up. A C(REBUILDING) or C(REBALANCING) service gets its
    changes but is not waited for. Either way the other services converge and the task does not
    wait for what cannot come up."
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
