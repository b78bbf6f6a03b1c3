# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Writing a configuration file the way every module of the collection does.

Through a symlink to its target (the link stays, the target keeps owner, mode and SELinux context
through atomic_move), in one rename, under an exclusive lock that several writers of one file
share, so that none of them loses another's update.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import grp
import os
import pwd
import stat
import tempfile
import time

from ansible.module_utils.common.text.converters import to_bytes, to_native

LOCK_TIMEOUT = 30.0


class _Stat(object):
    st_mode = stat.S_IFREG | 0o644


def check_file_args(module):
    """Refuse a mode, owner or group that Ansible would refuse only after the file is written.

    AnsibleModule checks them when it applies them, after the module has changed the file: a run
    would fail having written. Here they are checked before anything is read.
    """
    mode = module.params.get("mode")
    if mode is not None:
        try:
            number = mode if isinstance(mode, int) and not isinstance(mode, bool) else int(mode, 8)
        except (TypeError, ValueError):
            try:
                number = module._symbolic_mode_to_octal(_Stat(), mode)
            except Exception:  # Ansible's parser raises ValueError, or others on odd types
                number = None
        if number is None or number != stat.S_IMODE(number) or number < 0:
            module.fail_json(msg="mode must be octal (0640) or symbolic (u=rw,g=r,o=), not %r." % (mode,))
    for option, lookup in (("owner", pwd.getpwnam), ("group", grp.getgrnam)):
        value = module.params.get(option)
        if value is None or (isinstance(value, str) and value.isdigit()):
            continue
        try:
            lookup(value)
        except (KeyError, TypeError, ValueError):
            module.fail_json(msg="%s %r does not exist on this host." % (option, value))


def lock_path(path):
    """What a run on ``path`` locks: the directory holding the file it resolves to (a symlink's target)."""
    return os.path.dirname(os.path.realpath(path))


@contextlib.contextmanager
def file_lock(module, path, timeout=LOCK_TIMEOUT):
    """Hold an exclusive flock on the directory holding ``path``; fail after ``timeout`` seconds of waiting.

    The file itself is replaced by a rename on every write, so a lock on it would be a lock on a
    file nobody reads any more; its directory stays the same inode through every rename, and
    locking it leaves nothing new on the host (a lock file would be a file the run added, also
    when it refuses its input).
    """
    name = lock_path(path)
    try:
        handle = os.open(name, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        module.fail_json(msg="Cannot open the directory %s to lock it: %s." % (name, to_native(exc)))
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    module.fail_json(msg="Cannot lock the directory %s: %s." % (name, to_native(exc)))
                if time.monotonic() >= deadline:
                    module.fail_json(msg="Another run has held the lock on %s for %s s; nothing was changed."
                                         % (name, timeout))
                time.sleep(0.02)
        yield
    finally:
        os.close(handle)


def write_through(module, path, text):
    """Replace the file ``path`` resolves to (not a symlink in front of it) with ``text``, in one rename."""
    handle, temp_path = tempfile.mkstemp(dir=module.tmpdir)
    with os.fdopen(handle, "wb") as temp:
        temp.write(to_bytes(text))
    module.atomic_move(temp_path, os.path.realpath(path), unsafe_writes=module.params["unsafe_writes"])


def check_parent(module, path):
    """Fail when the directory of the file ``path`` resolves to does not exist."""
    directory = os.path.dirname(os.path.realpath(path))
    if not os.path.isdir(directory):
        module.fail_json(msg="Directory %s of %s does not exist." % (directory, path))
