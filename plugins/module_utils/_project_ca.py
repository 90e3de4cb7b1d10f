# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project CA certificate (aiven-api.md 6): read, check it is a PEM certificate, write.

PRIVATE to the collection: it can change at any time. Shared by the project_ca and
project_integration modules.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ssl

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.local_file import write_if_different

PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
PEM_END = "-----END CERTIFICATE-----"


def check_pem(pem):
    """A PEM certificate (or a bundle of them): reject anything else before it reaches a file.

    Returns what is wrong, or None.
    """
    if not isinstance(pem, str) or PEM_BEGIN not in pem:
        return "the API returned no PEM certificate"
    for block in pem.split(PEM_BEGIN)[1:]:
        try:
            ssl.PEM_cert_to_DER_cert(PEM_BEGIN + block.split(PEM_END)[0] + PEM_END + "\n")
        except ValueError as exc:
            return "the API returned a malformed PEM certificate (%s)" % exc
    return None


def read_ca(module, api, project):
    """The project CA PEM, ending in a newline; fails the module on anything but a certificate."""
    pem = api.get_project_ca(project)
    problem = check_pem(pem)
    if problem:
        module.fail_json(msg=problem)
    return pem if pem.endswith("\n") else pem + "\n"


def write_ca(module, pem, dest):
    """Write `pem` to `dest` where the module runs, only when it differs.

    {"changed", "dest", "diff" (when it differs)}."""
    result = {"dest": dest}
    result["changed"], before = write_if_different(module, dest, to_bytes(pem))
    if before != to_bytes(pem):
        result["diff"] = {"before": (before or b"").decode("utf-8", "replace"), "after": pem,
                          "before_header": dest, "after_header": dest}
    return result
