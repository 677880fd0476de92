#!/bin/sh
# Installs ArchiveBox for bench/capture.py in its own venv (never a verify dependency) and
# creates the unprivileged user it runs as (ArchiveBox refuses to run as root). Run as root.
# The venv uses a Python every user can execute (a pyenv Python under /root is not).
set -eu
VENV=${ARCHIVEBOX_VENV:-/tmp/archivebox-venv}
USER_NAME=${ARCHIVEBOX_USER:-verifybench}
PYTHON=${ARCHIVEBOX_PYTHON:-/usr/bin/python3}
id "$USER_NAME" >/dev/null 2>&1 || useradd -m -s /bin/sh "$USER_NAME"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q archivebox
command -v wget >/dev/null || echo "warning: wget is missing (apt-get install wget); ArchiveBox's wget/WARC extractor needs it"
runuser -u "$USER_NAME" -- "$VENV/bin/archivebox" version | head -1
