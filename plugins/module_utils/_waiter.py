# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One waiter for every "poll until" of the collection: a deadline, an interval, one check per
round, and a message naming what was awaited when time runs out.

PRIVATE to the collection: it can change at any time. Modelled on community.dns's
``wait_for_txt`` Waiter and amazon.aws's waiters: the module that waits reports once, instead of
an Ansible ``until`` loop printing a line per attempt.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time


class WaitTimeout(Exception):
    """`what` did not come true within `timeout` seconds.

    Attributes: `what` (str), `timeout` (seconds), `last` (the value of the last successful read,
    None when none succeeded; callers build their detailed message from it), `error` (the last
    exception listed in `retry_on`, None when the last read succeeded), `rounds` (reads made).
    """

    def __init__(self, what, timeout, last=None, error=None, rounds=0):
        self.what = what
        self.timeout = timeout
        self.last = last
        self.error = error
        self.rounds = rounds
        message = "timed out after %ss waiting for %s" % (_seconds(timeout), what)
        if error is not None:
            message += " (last error: %s)" % (error,)
        super(WaitTimeout, self).__init__(message)


def _seconds(value):
    return ("%d" % value) if float(value).is_integer() else ("%.1f" % value)


class Waiter(object):
    """Poll with a deadline.

    `timeout` and `interval` are seconds (int or float). `clock` returns seconds on a monotonic
    scale and `sleep` waits; both are injectable so unit tests never sleep.
    """

    def __init__(self, timeout, interval=1.0, clock=time.monotonic, sleep=time.sleep):
        self.timeout = timeout
        self.interval = interval
        self.clock = clock
        self.sleep = sleep

    def wait(self, read, done, what, retry_on=()):
        """Call `read()` once per round until `done(value)` is true; return that value.

        The first read happens at once, the last one at the deadline (a round never sleeps past
        it), so `timeout=0` means exactly one read. An exception of a type in `retry_on` counts
        as "not yet" (a service that is briefly unavailable); any other exception propagates.
        Raises WaitTimeout (naming `what`, carrying the last value read) when time runs out.
        """
        deadline = self.clock() + self.timeout
        last, error, rounds = None, None, 0
        while True:
            rounds += 1
            try:
                value = read()
            except tuple(retry_on) as exc:
                error = exc
            else:
                last, error = value, None
                if done(value):
                    return value
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeout(what, self.timeout, last=last, error=error, rounds=rounds)
            self.sleep(min(self.interval, remaining))
