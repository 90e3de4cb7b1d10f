# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing a small file (the project CA, the scrape password) where a module runs.

PRIVATE to the collection: it can change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def _read_bytes(path):
    """The file's content, or None when it does not exist."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


def write_if_different(module, path, content, secret=False):
    """Put `content` (bytes) at `path` when the file holds something else, atomically, then apply
    the task's file attributes (mode, owner, group, ...). Honours check mode.

    `secret`: a new file is created 0600 (unless the task gives a mode) and is never readable by
    others, not even between the write and the chmod.

    Returns (changed, previous content or None).
    """
    # atomic_move stats the destination's directory, which is '' for a bare file name.
    path = os.path.abspath(path)
    if os.path.isdir(path):
        module.fail_json(msg="%s is a directory; give the file's path" % path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        module.fail_json(msg="the directory of %s does not exist" % path)
    before = _read_bytes(path)
    changed = before != content
    if changed and not module.check_mode:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".ansible-tmp-")  # mkstemp: mode 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if secret and before is None:
            # atomic_move would chmod a new file to the umask default (often 0644) before
            # set_fs_attributes narrows it: rename the 0600 temp file instead.
            os.rename(tmp, path)
        else:
            module.atomic_move(tmp, path)  # keeps an existing file's mode, owner, SELinux label
    if os.path.exists(path):
        file_args = module.load_file_common_arguments(module.params, path=path)
        if secret and before is None and file_args.get("mode") is None:
            file_args["mode"] = "0600"
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return changed, before
