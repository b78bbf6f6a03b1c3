# Stands in for the get-pip.py that ansible-test downloads from ci-files.testing.ansible.com (not
# reachable here) to put pip into the virtual environments of its sanity tests. It is run as
# ``python get_pip_X_Y.py [pip options] pip==X.Y [--no-setuptools] [--no-wheel]``, like get-pip.py:
# pip comes from the interpreter's own ensurepip and is then brought to the version asked for from
# the package index. scripts/sanity.sh copies it to the cache path ansible-test names.
import subprocess
import sys


def main(argv):
    options = [arg for arg in argv if arg.startswith("-") and arg not in ("--no-setuptools", "--no-wheel")]
    packages = [arg for arg in argv if not arg.startswith("-")]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + options + packages)
    # get-pip.py leaves out what it is told to; ensurepip of older Pythons brings setuptools along.
    unwanted = [name for name, flag in (("setuptools", "--no-setuptools"), ("wheel", "--no-wheel"))
                if flag in argv and not any(p.split("=")[0] == name for p in packages)]
    if unwanted:
        subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet"] + unwanted,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


main(sys.argv[1:])
