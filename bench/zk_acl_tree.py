#!/usr/bin/env python3
"""Benchmark: zk_acl on a 10,000-node tree, next to zkCli's `setAcl -R` on the same tree.

Starts a throwaway standalone ZooKeeper on loopback (the Debian package's jar), builds
/bench with 1 + 100 + 9,900 nodes open to anyone, then prints nodes/s for:
  * zk_acl applying FATE's digest ACL recursively (every node written),
  * zk_acl re-run on the same tree (nothing to write: reads only),
  * zkCli.sh `setAcl -R` applying the same ACL, after `addauth` (tree reset to open first).
Prints figures only; saves nothing. Run from the repository root:
    .venv/bin/python bench/zk_acl_tree.py [--branches 100 --leaves 99]
"""

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import conftest  # noqa: E402,F401  (makes ansible_collections.fateflow.ha importable)

from kazoo.client import KazooClient  # noqa: E402
from kazoo.security import OPEN_ACL_UNSAFE  # noqa: E402

from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import digest_id, pipelined  # noqa: E402
from ansible_collections.fateflow.ha.plugins.modules import zk_acl  # noqa: E402
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module  # noqa: E402
from ansible_collections.fateflow.ha.tests.support.zookeeper_server import ZookeeperServer  # noqa: E402

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
USER, PASSWORD = "fate", "bench_pass"


def build_tree(client, branches, leaves):
    paths = ["/bench"] + ["/bench/b%d" % b for b in range(branches)]
    paths += ["/bench/b%d/l%d" % (b, leaf) for b in range(branches) for leaf in range(leaves)]
    client.create("/bench", b"", acl=OPEN_ACL_UNSAFE)
    for level in (paths[1:branches + 1], paths[branches + 1:]):
        for _path, _value, exc in pipelined((p, lambda p=p: client.create_async(p, b"", acl=OPEN_ACL_UNSAFE)) for p in level):
            if exc:
                raise exc
    return len(paths)


def timed(label, nodes, action):
    start = time.monotonic()
    result = action()
    seconds = time.monotonic() - start
    rate = "%8.0f nodes/s" % (nodes / seconds) if nodes else ""
    print("%-44s %6s nodes %7.2f s %s" % (label, nodes or "", seconds, rate))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--leaves", type=int, default=99)
    args = parser.parse_args()
    fate_acl = [{"scheme": "digest", "username": USER, "password": PASSWORD, "perms": "all"}]
    open_acl = [{"scheme": "world", "perms": "all"}]
    with ZookeeperServer(extra_config={"jute.maxbuffer": 4194304}) as server:
        client = KazooClient(hosts=server.hosts)
        client.start(timeout=10)
        nodes = timed("build the tree (kazoo, pipelined creates)", 0, lambda: build_tree(client, args.branches, args.leaves))
        print("tree: %d nodes under /bench" % nodes)
        common = dict(hosts=[server.hosts], name="/bench", recursive=True, auth_credential="%s:%s" % (USER, PASSWORD))

        applied = timed("zk_acl apply (every node written)", nodes, lambda: run_module(zk_acl.main, dict(common, acls=fate_acl)))
        assert applied["changed"] and len(applied["changed_paths"]) == nodes, applied.get("msg")
        rerun = timed("zk_acl re-run (nothing to write)", nodes, lambda: run_module(zk_acl.main, dict(common, acls=fate_acl)))
        assert not rerun["changed"], rerun.get("msg")

        reset = run_module(zk_acl.main, dict(common, acls=open_acl))
        assert len(reset["changed_paths"]) == nodes, reset.get("msg")
        script = "addauth digest %s:%s\nsetAcl -R /bench digest:%s:cdrwa\nquit\n" % (USER, PASSWORD, digest_id(USER, PASSWORD))
        env = dict(os.environ, JVMFLAGS="-Djava.net.preferIPv4Stack=true", ZOO_LOG4J_PROP="ERROR,CONSOLE")
        cli = timed("zkCli.sh setAcl -R (after addauth)", nodes, lambda: subprocess.run(
            [ZKCLI, "-server", server.hosts], input=script, text=True, capture_output=True, env=env))
        check = run_module(zk_acl.main, dict(common, acls=fate_acl))
        print("zkCli exit %d; nodes zkCli left with another ACL: %d" % (cli.returncode, len(check["changed_paths"])))
        start = time.monotonic()
        subprocess.run([ZKCLI, "-server", server.hosts, "ls", "/"], capture_output=True, env=env)
        print("(zkCli.sh start-up and connect alone: %.2f s, included above)" % (time.monotonic() - start))
        client.stop()
        client.close()


if __name__ == "__main__":
    main()
