# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run an API module's own code, read-only, in the controller's Python (for lookups).

PRIVATE to the collection: it can change at any time.

Why it exists: a module task costs about 0.85 s the first time a run uses the module (the
AnsiballZ payload is built, then a new Python imports ansible.module_utils.basic), a lookup
costs none of that: it runs in the controller's process. To answer "would the module change
anything?" a lookup runs the module's code itself, from module_utils, in check mode, so the
answer cannot drift from the module's: the same options (the module's argument spec: types,
choices, defaults, environment fallbacks, the same error messages), the same requests, the same
result.

ControllerModule stands in for AnsibleModule with exactly what the collection's module_utils use
on a check-mode path: `params`, `check_mode`, `fail_json`, `exit_json` and `warn`. Nothing else,
on purpose: code that needs more (file attributes, atomic_move, a temporary directory) writes
something and belongs in a module task. `check_mode` is always true: a lookup runs whenever a
template is rendered, including under --check, so it must never write.

    module = ControllerModule("ns.col.thing", spec, options, accepted=LOOKUP_OPTIONS, fixed={"state": "present"})
    result = outcome(lambda: run_the_module_body(module))   # the module's result or failure dict

ControllerModule() itself raises ControllerFailed when the options do not validate (as
AnsibleModule() fails the module), so build it inside outcome() too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

try:  # ansible-core >= 2.19 hands `omit` to plugins as this placeholder object
    from ansible._internal._templating._utils import Omit as _OMIT
except ImportError:  # older ansible-core: `omit` is a string, the variable `omit` holds it
    _OMIT = None


class ControllerFailed(Exception):
    """The code called fail_json. `result`: what a module would have failed with (`failed`,
    `msg`, any other keys it passed), no_log values replaced as AnsibleModule does."""

    def __init__(self, result):
        super(ControllerFailed, self).__init__(result["msg"])
        self.result = result


class ControllerExit(Exception):
    """The code called exit_json. `result`: what a module would have returned."""

    def __init__(self, result):
        super(ControllerExit, self).__init__("exit_json")
        self.result = result


def given_options(options, variables=None):
    """A lookup's keyword options without those given as None or `omit`: those count as not
    given, as for a module task, so the module's default or environment fallback applies."""
    placeholder = (variables or {}).get("omit")
    return dict((key, value) for key, value in options.items()
                if value is not None and not (_OMIT is not None and value is _OMIT)
                and not (isinstance(placeholder, str) and isinstance(value, str) and value == placeholder))


def missing_library(plugin, library, error):
    """One line: `plugin` needs `library` in the controller's Python, which lacks it (named,
    since ansible_python_interpreter does not apply to controller-side plugins)."""
    return ("%s needs the Python library %s in the Python that runs Ansible on the controller, %s, which cannot "
            "import it (%s); install it there: %s -m pip install %s"
            % (plugin, library, sys.executable, " ".join(str(error).split()), sys.executable, library))


class ControllerModule(object):
    """The part of AnsibleModule a module's check-mode code uses, in the controller's process.

    `name`: the plugin, for messages. `argument_spec` and `validator_options` (required_if,
    mutually_exclusive, ...): the module's own. `options`: what the caller was given (see
    given_options). `accepted`: the option names the caller takes, a subset of the module's
    (None: all of them). `fixed`: options the caller sets itself, e.g. state=present. `warn`:
    called with each warning (they are collected in `warnings` too).
    """

    check_mode = True

    def __init__(self, name, argument_spec, options, accepted=None, fixed=None, warn=None, **validator_options):
        self.name = name
        self.warnings = []
        self._warn = warn
        self.no_log_values = set()
        unsupported = sorted(set(options) - set(accepted if accepted is not None else argument_spec))
        if unsupported:
            # AnsibleModule's wording, listing what this caller takes.
            self.fail_json(msg="Unsupported parameters for (%s) lookup: %s. Supported parameters include: %s."
                           % (name, ", ".join(unsupported), ", ".join(sorted(accepted or argument_spec))))
        parameters = dict(options, **(fixed or {}))
        result = ArgumentSpecValidator(argument_spec, **validator_options).validate(parameters)
        self.no_log_values.update(result._no_log_values)  # pylint: disable=protected-access
        if result.error_messages:
            self.fail_json(msg=result.errors.msg)  # AnsibleModule reports the first error too
        self.params = result.validated_parameters

    def fail_json(self, msg, **kwargs):
        kwargs.update(failed=True, msg=msg)
        raise ControllerFailed(remove_values(kwargs, self.no_log_values))

    def exit_json(self, **kwargs):
        # Not masked: a lookup's caller asked for what it returns (the password with
        # return_password), and Ansible's own masking of module results does not apply here.
        kwargs.setdefault("changed", False)
        raise ControllerExit(kwargs)

    def warn(self, warning):
        self.warnings.append(warning)
        if self._warn is not None:
            self._warn(warning)


def outcome(call):
    """Run `call()`, which ends the way a module's main() does (exit_json or fail_json); the dict
    it ended with: the result, or the failure with `failed` true."""
    try:
        call()
    except ControllerExit as done:
        return done.result
    except ControllerFailed as failed:
        return failed.result
    raise RuntimeError("the module code returned without calling exit_json or fail_json")
