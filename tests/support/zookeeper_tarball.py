#!/usr/bin/env python3
"""Build an apache-zookeeper-<version>-bin.tar.gz from the Debian package's jars.

It has the layout of Apache's binary tarball (top directory, lib/*.jar, conf/, bin/), so
the role's tarball install can be tested without the internet.
Usage: zookeeper_tarball.py DEST_DIR|DEST.tar.gz  (prints the tarball's path)
"""

import os
import re
import sys
import tarfile
import tempfile
import zipfile

JAVA_DIR = "/usr/share/java"
# A logger, as Apache's tarball ships logback, and the servlet API its AdminServer needs.
EXTRA_JARS = ["slf4j-simple.jar", "servlet-api.jar"]


def manifest_class_path(jar):
    with zipfile.ZipFile(jar) as archive:
        text = archive.read("META-INF/MANIFEST.MF").decode()
    joined = text.replace("\r\n ", "").replace("\n ", "")
    for line in joined.splitlines():
        if line.startswith("Class-Path:"):
            return line.split(":", 1)[1].split()
    return []


def build(dest_dir):
    jar = os.path.join(JAVA_DIR, "zookeeper.jar")
    versioned = [name for name in os.listdir(JAVA_DIR) if re.match(r"^zookeeper-[0-9][0-9.]*\.jar$", name)]
    version = versioned[0][len("zookeeper-"):-len(".jar")] if versioned else "3.8.0"
    top = "apache-zookeeper-%s-bin" % version
    jars = [jar] + manifest_class_path(jar) + [os.path.join(JAVA_DIR, name) for name in EXTRA_JARS]
    # The manifest also names optional jars (jline, for zkCli) that may not be installed.
    jars = [path for path in jars if os.path.exists(path)]
    if dest_dir.endswith(".tar.gz"):
        target = dest_dir
        dest_dir = os.path.dirname(os.path.abspath(target))
    else:
        target = os.path.join(dest_dir, top + ".tar.gz")
    os.makedirs(dest_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        readme = os.path.join(work, "README.txt")
        with open(readme, "w", encoding="utf-8") as handle:
            handle.write("ZooKeeper %s rebuilt from the Debian package's jars, for tests.\n" % version)
        with tarfile.open(target, "w:gz") as tar:
            tar.add(readme, arcname=top + "/README.txt")
            for path in jars:
                # Dereference Debian's version symlinks: the tarball holds real files.
                tar.add(os.path.realpath(path), arcname="%s/lib/%s" % (top, os.path.basename(path)))
            conf = tarfile.TarInfo(top + "/conf")
            conf.type, conf.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(conf)
    return target


if __name__ == "__main__":
    print(build(sys.argv[1] if len(sys.argv) > 1 else "."))
