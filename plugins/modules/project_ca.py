#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: project_ca
short_description: Fetch an Aiven project's CA certificate
version_added: 0.1.0
description:
  - Returns the project's CA certificate (PEM), which signs the TLS certificates of the
    services' Prometheus endpoints on port 9273. Prometheus verifies the targets with it
    (C(tls_config.ca_file)) instead of skipping verification.
  - With O(dest), also writes it to a file, only when the content differs.
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.attributes
  - ansible.builtin.files
options:
  dest:
    description:
      - File to write the PEM to. Its directory must exist.
      - Written atomically, and only when the content differs.
    type: path
seealso:
  - name: Aiven documentation, Prometheus integration
    description: Why the project CA is needed to scrape Aiven services.
    link: https://aiven.io/docs/platform/howto/integrations/prometheus-metrics
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
- name: Write the project CA where Prometheus reads it
  aiven_tools.prometheus.project_ca:
    project: acme-prod
    dest: /etc/prometheus/aiven-acme-prod-ca.pem
    mode: "0644"

- name: Only read the PEM
  aiven_tools.prometheus.project_ca:
    project: acme-prod
  register: ca
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
certificate:
  description: The project CA certificate, PEM encoded. Not a secret.
  returned: success
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIEQTCCAqmgAwIBAgIUB3m...\n-----END CERTIFICATE-----\n"
dest:
  description: The file written or checked.
  returned: when O(dest) is set
  type: str
  sample: /etc/prometheus/aiven-acme-prod-ca.pem
"""

import ssl

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import aiven_argument_spec, run_module
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.local_file import write_if_different

PEM_BEGIN = "-----BEGIN CERTIFICATE-----"


def check_pem(pem):
    """A PEM certificate (or a bundle of them): reject anything else before it reaches a file."""
    if not isinstance(pem, str) or PEM_BEGIN not in pem:
        return "the API returned no PEM certificate"
    for block in pem.split(PEM_BEGIN)[1:]:
        try:
            ssl.PEM_cert_to_DER_cert(PEM_BEGIN + block.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
        except ValueError as exc:
            return "the API returned a malformed PEM certificate (%s)" % exc
    return None


def fetch(module, api):
    pem = api.get_project_ca(module.params["project"])
    problem = check_pem(pem)
    if problem:
        module.fail_json(msg=problem)
    if not pem.endswith("\n"):
        pem += "\n"
    result = {"changed": False, "certificate": pem}
    dest = module.params["dest"]
    if not dest:
        return result

    result["dest"] = dest
    result["changed"], before = write_if_different(module, dest, to_bytes(pem))
    if before != to_bytes(pem):
        result["diff"] = {"before": (before or b"").decode("utf-8", "replace"), "after": pem,
                          "before_header": dest, "after_header": dest}
    return result


def main():
    module = AnsibleModule(
        argument_spec=aiven_argument_spec(dest=dict(type="path")),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    run_module(module, lambda api: fetch(module, api))


if __name__ == "__main__":
    main()
