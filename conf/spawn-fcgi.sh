#!/bin/sh
# Start streamtoken as a FastCGI server on a Unix socket with spawn-fcgi,
# for web servers that do not start FastCGI programs themselves (nginx).
#
# Every setting can be overridden from the environment:
#   STREAMTOKEN_BIN          the program              (/usr/bin/streamtoken)
#   STREAMTOKEN_CONFIG       its configuration        (/etc/streamtoken/streamtoken.ini)
#   STREAMTOKEN_SOCKET       the socket nginx uses    (/run/streamtoken/streamtoken.sock)
#   STREAMTOKEN_SOCKET_MODE  socket permissions       (0660)
#   STREAMTOKEN_SOCKET_GROUP group of the socket, the web server's (www-data)
#   STREAMTOKEN_USER         user the program runs as, when started as root
#                            (streamtoken; it must be able to read the key files)
#
# The program stays in the foreground (spawn-fcgi -n execs it), so a
# supervisor such as systemd or runit can watch it; SIGTERM stops it after
# the request in hand, SIGHUP makes it re-read the configuration.
# The equivalent command line:
#   STREAMTOKEN_CONFIG=/etc/streamtoken/streamtoken.ini \
#   spawn-fcgi -n -s /run/streamtoken/streamtoken.sock -M 0660 \
#       -u streamtoken -U www-data -G www-data -- /usr/bin/streamtoken
set -eu

: "${STREAMTOKEN_BIN:=/usr/bin/streamtoken}"
: "${STREAMTOKEN_CONFIG:=/etc/streamtoken/streamtoken.ini}"
: "${STREAMTOKEN_SOCKET:=/run/streamtoken/streamtoken.sock}"
: "${STREAMTOKEN_SOCKET_MODE:=0660}"
: "${STREAMTOKEN_SOCKET_GROUP:=www-data}"
: "${STREAMTOKEN_USER:=streamtoken}"
export STREAMTOKEN_CONFIG

# Refuse to start on a bad configuration, with FILE:LINE on stderr.
"$STREAMTOKEN_BIN" check-config >/dev/null

mkdir -p "$(dirname "$STREAMTOKEN_SOCKET")"
rm -f "$STREAMTOKEN_SOCKET"

if [ "$(id -u)" -eq 0 ]; then
	exec spawn-fcgi -n -s "$STREAMTOKEN_SOCKET" -M "$STREAMTOKEN_SOCKET_MODE" \
	    -u "$STREAMTOKEN_USER" -U "$STREAMTOKEN_USER" \
	    -G "$STREAMTOKEN_SOCKET_GROUP" -- "$STREAMTOKEN_BIN"
fi
exec spawn-fcgi -n -s "$STREAMTOKEN_SOCKET" -M "$STREAMTOKEN_SOCKET_MODE" \
    -- "$STREAMTOKEN_BIN"
